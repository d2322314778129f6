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
from typing import List, Optional

from fcn_plugin.converters import summary
from fcn_plugin.converters.mmpretrain_vgg import mmpretrain2mmseg
from fcn_plugin.errors import run_tool


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='mmpretrain ImageNet VGG16 -> plugin VGG16Caffe trunk')
    parser.add_argument('src', help='mmpretrain VGG16 checkpoint')
    parser.add_argument('dst', help='output checkpoint (e.g. checkpoints/'
                        'vgg16_mmpretrain_fcn.pth)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    meta = mmpretrain2mmseg(args.src, args.dst)
    print(summary(meta, args.dst))


if __name__ == '__main__':
    run_tool(main)
