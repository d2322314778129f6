"""Convert the OpenMMLab model zoo's ImageNet VGG16 to the VGG16Caffe trunk.

Reads mmpretrain's ``vgg16_8xb32_in1k`` checkpoint
(``vgg16_batch256_imagenet_20210208-db26f1a5.pth``: an ``ImageClassifier``
whose ``VGG`` backbone holds the classifier). Example::

    python tools/model_converters/mmpretrain2mmseg.py \
        vgg16_batch256_imagenet_20210208-db26f1a5.pth \
        checkpoints/vgg16_mmpretrain_fcn.pth

The zoo weights expect RGB input normalised with the ImageNet mean/std, like
torchvision's; use ``configs/_base_/models/torchvision_preprocessor.py`` with
them (see docs/weights.md). fc6/fc7 are convolutionalised, fc8 is dropped.
"""
import argparse
import os.path as osp
import sys

from fcn_plugin.converters import mmpretrain2mmseg, summary

# The tools' helper package, fcn_tools, is in tools/, this folder's parent.
sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))
from fcn_tools.errors import run_tool  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description='mmpretrain ImageNet VGG16 -> plugin VGG16Caffe trunk')
    parser.add_argument('src', help='the mmpretrain VGG16 checkpoint, e.g. '
                        'vgg16_batch256_imagenet_20210208-db26f1a5.pth')
    parser.add_argument('dst', help='output checkpoint, e.g. '
                        'checkpoints/vgg16_mmpretrain_fcn.pth')
    args = parser.parse_args()
    print(summary(mmpretrain2mmseg(args.src, args.dst), args.dst))


if __name__ == '__main__':
    run_tool(main)
