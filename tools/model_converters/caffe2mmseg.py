"""Convert a Caffe .caffemodel to a plugin checkpoint.

Reads the ILSVRC VGG16 model (``VGG_ILSVRC_16_layers.caffemodel``, FCN's
``vgg16-fcn.caffemodel``) or a released FCN model
(``fcn32s-heavy-pascal.caffemodel`` ... ``fcn8s-atonce-pascal.caffemodel``)
without pycaffe. Example::

    python tools/model_converters/caffe2mmseg.py \
        VGG_ILSVRC_16_layers.caffemodel checkpoints/vgg16_caffe_fcn.pth
"""
import argparse
import os.path as osp
import sys

from fcn_plugin.converters import NETS, caffe2mmseg, summary

# The tools' helper package, fcn_tools, is in tools/, this folder's parent.
sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))
from fcn_tools.errors import run_tool  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Caffe .caffemodel -> plugin checkpoint')
    parser.add_argument('src', help='the .caffemodel file')
    parser.add_argument('dst', help='output checkpoint, e.g. '
                        'checkpoints/vgg16_caffe_fcn.pth')
    parser.add_argument('--net', choices=NETS,
                        help='expected net; detected from the layers if '
                        'omitted')
    args = parser.parse_args()
    print(summary(caffe2mmseg(args.src, args.dst, args.net), args.dst))


if __name__ == '__main__':
    run_tool(main)
