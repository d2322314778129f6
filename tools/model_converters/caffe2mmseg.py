"""Convert a Caffe .caffemodel to a plugin checkpoint.

Reads the ILSVRC VGG16 model (``VGG_ILSVRC_16_layers.caffemodel``, FCN's
``vgg16-fcn.caffemodel``) or a released FCN model
(``fcn32s-heavy-pascal.caffemodel`` ... ``fcn8s-atonce-pascal.caffemodel``)
without pycaffe. Example::

    python tools/model_converters/caffe2mmseg.py \
        VGG_ILSVRC_16_layers.caffemodel checkpoints/vgg16_caffe_fcn.pth
"""
import sys

from fcn_plugin.converters import caffe2mmseg
from fcn_plugin.converters.cli import main

if __name__ == '__main__':
    sys.exit(main(caffe2mmseg, 'Caffe .caffemodel -> plugin checkpoint'))
