"""Convert a pytorch-fcn checkpoint to a plugin checkpoint.

Example::

    python tools/model_converters/torchfcn2mmseg.py \
        fcn8s_from_caffe.pth checkpoints/fcn8s_voc.pth

The file is read with ``torch.load(weights_only=True)``; files holding
pickled Python objects are refused.
"""
import argparse
import os.path as osp
import sys

from fcn_plugin.converters import NETS, summary, torchfcn2mmseg

# The tools' helper package, fcn_tools, is in tools/, this folder's parent.
sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))
from fcn_tools.errors import run_tool  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description='pytorch-fcn -> plugin checkpoint')
    parser.add_argument('src', help='the pytorch-fcn .pth file')
    parser.add_argument('dst', help='output checkpoint, e.g. '
                        'checkpoints/fcn8s_voc.pth')
    parser.add_argument('--net', choices=NETS,
                        help='expected net; detected from the file name '
                        'and layers if omitted')
    args = parser.parse_args()
    print(summary(torchfcn2mmseg(args.src, args.dst, args.net), args.dst))


if __name__ == '__main__':
    run_tool(main)
