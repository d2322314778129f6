"""Convert a pytorch-fcn checkpoint to a plugin checkpoint.

Example::

    python tools/model_converters/torchfcn2mmseg.py \
        fcn8s_from_caffe.pth checkpoints/fcn8s_voc.pth

The file is read with ``torch.load(weights_only=True)``; files holding
pickled Python objects are refused.
"""
import sys

from fcn_plugin.converters import torchfcn2mmseg
from fcn_plugin.converters.cli import main

if __name__ == '__main__':
    sys.exit(main(torchfcn2mmseg, 'pytorch-fcn -> plugin checkpoint'))
