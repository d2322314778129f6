"""Converters from torchvision, Caffe, pytorch-fcn and mmpretrain weight files.

Each one writes ``{'state_dict': ..., 'meta': {...}}`` that loads with
``torch.load(weights_only=True)`` into the plugin's nets of `FCN
<https://arxiv.org/abs/1605.06211>`_; ``meta['fcn_net']`` records the net.
"""
from ..errors import WeightFileError
from .caffe_model import CaffeLayer, CaffeNet, read_caffemodel
from .caffe_proto import caffe_messages
from .convert import caffe2mmseg, summary, torchfcn2mmseg, vgg2mmseg
from .layers import (CAFFE_INPUT, NET_TITLES, NETS, STAGES, TORCHVISION_INPUT,
                     expected_shapes, net_of_layers)
from .mmpretrain_vgg import mmpretrain2mmseg

__all__ = [
    'CAFFE_INPUT', 'CaffeLayer', 'CaffeNet', 'NETS', 'NET_TITLES', 'STAGES',
    'TORCHVISION_INPUT', 'WeightFileError', 'caffe2mmseg', 'caffe_messages',
    'expected_shapes', 'mmpretrain2mmseg', 'net_of_layers', 'read_caffemodel',
    'summary', 'torchfcn2mmseg', 'vgg2mmseg'
]
