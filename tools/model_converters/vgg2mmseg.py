"""Convert torchvision VGG16 weights to the plugin's VGG16Caffe trunk.

Example::

    python tools/model_converters/vgg2mmseg.py \
        vgg16-397923af.pth checkpoints/vgg16_torchvision_fcn.pth

torchvision weights expect RGB input normalised with the ImageNet mean/std;
use ``configs/_base_/models/torchvision_preprocessor.py`` with them (see
docs/weights.md). fc6/fc7 are convolutionalised, fc8 is dropped.
"""
import sys

from fcn_plugin.converters import vgg2mmseg
from fcn_plugin.converters.cli import main


def add_origin(parser):
    parser.add_argument(
        '--origin', choices=('torchvision', 'caffe'), default=None,
        help='where the weights come from, which fixes the input '
        'normalisation recorded in the checkpoint: torchvision (RGB, '
        'ImageNet mean/std) or caffe (Caffe VGG16 saved in torchvision '
        'layout, e.g. vgg16_from_caffe.pth: BGR, mean only). Default: '
        'caffe if the file name contains "caffe", else torchvision')


if __name__ == '__main__':
    sys.exit(
        main(vgg2mmseg, 'torchvision VGG16 -> plugin VGG16Caffe trunk',
             with_net=False, extra=add_origin))
