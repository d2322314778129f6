"""Convert torchvision VGG16 weights to the plugin's VGG16Caffe trunk.

Example::

    python tools/model_converters/vgg2mmseg.py \
        vgg16-397923af.pth checkpoints/vgg16_torchvision_fcn.pth

torchvision weights expect RGB input normalised with the ImageNet mean/std;
use ``configs/_base_/models/torchvision_preprocessor.py`` with them (see
docs/weights.md). fc6/fc7 are convolutionalised, fc8 is dropped.
"""
import argparse
import os.path as osp
import sys

from fcn_plugin.converters import summary, vgg2mmseg

# The tools' helper package, fcn_tools, is in tools/, this folder's parent.
sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))
from fcn_tools.errors import run_tool  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description='torchvision VGG16 -> plugin VGG16Caffe trunk')
    parser.add_argument('src', help='the torchvision-layout .pth file')
    parser.add_argument('dst', help='output checkpoint, e.g. '
                        'checkpoints/vgg16_torchvision_fcn.pth')
    parser.add_argument(
        '--origin', choices=('torchvision', 'caffe'), default=None,
        help='where the weights come from, which fixes the input '
        'normalisation recorded in the checkpoint: torchvision (RGB, '
        'ImageNet mean/std) or caffe (Caffe VGG16 saved in torchvision '
        'layout, e.g. vgg16_from_caffe.pth: BGR, mean only). Default: '
        'caffe if the file name contains "caffe", else torchvision')
    args = parser.parse_args()
    print(summary(vgg2mmseg(args.src, args.dst, args.origin), args.dst))


if __name__ == '__main__':
    run_tool(main)
