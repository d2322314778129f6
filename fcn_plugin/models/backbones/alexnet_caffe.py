"""The CaffeNet (AlexNet) trunk of the reference's FCN-AlexNet."""
import math
from typing import Dict, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig
from torch import Tensor

from ..net_description import NetDescription, register_trunk
from .caffe_trunk import CaffeTrunkShapes

#: Caffe name, kernel, stride, padding and groups of each conv, in order.
_CONVS = (
    ('conv1', 11, 4, None, 1),  # pad: ``first_pad``
    ('conv2', 5, 1, 2, 2),
    ('conv3', 3, 1, 1, 1),
    ('conv4', 3, 1, 1, 2),
    ('conv5', 3, 1, 1, 2),
)
#: The convolutionalised ImageNet classifier with its kernel sizes.
_FC_LAYERS = (('fc6', 6), ('fc7', 1))
#: Output names, indexed by ``out_indices``.
OUTPUT_NAMES = ('pool1', 'pool2', 'pool5', 'fc7')
#: The 3x3 / 2 max pools (ceil rounding) after conv1, conv2 and conv5.
_POOLED = {'conv1': 'pool1', 'conv2': 'pool2', 'conv5': 'pool5'}
#: The LRN after pool1 and pool2 (CaffeNet normalises after pooling).
_NORMED = ('pool1', 'pool2')


@register_trunk
@MODELS.register_module()
class AlexNetCaffe(CaffeTrunkShapes, BaseModule):
    """CaffeNet as in the reference's FCN-AlexNet, fc6/fc7 as convolutions.

    The trunk of ``voc-fcn-alexnet/net.py`` of ``fcn.berkeleyvision.org``,
    the AlexNet of the backbone comparison of `Fully Convolutional Networks
    for Semantic Segmentation <https://arxiv.org/abs/1605.06211>`_ (table
    1), in the form of Caffe's ``bvlc_reference_caffenet``:

    - ``conv1`` 11x11 / 4, 96 outputs, padded by 100 px (as VGG16's
      conv1_1 in the other FCNs: any input, down to 1x1, leaves fc6 a
      valid position and the final crop fits); ``pool1`` 3x3 / 2;
      ``norm1``;
    - ``conv2`` 5x5, 256, pad 2, group 2; ``pool2``; ``norm2``;
    - ``conv3`` 3x3, 384, pad 1; ``conv4`` 3x3, 384, pad 1, group 2;
      ``conv5`` 3x3, 256, pad 1, group 2; ``pool5`` 3x3 / 2;
    - ``fc6`` a 6x6 valid conv to 4096, ``fc7`` 1x1 to 4096, each with
      ReLU and element-wise dropout 0.5.

    ReLU follows every conv. The pools round **up** like Caffe
    (``ceil_mode=True``). ``norm1`` / ``norm2`` are Caffe's cross-channel
    LRN (``local_size`` 5, alpha 1e-4, beta 0.75, k 1): ``x / (1 + alpha /
    5 * sum of x^2 over the 5 channels centred on x) ^ beta``, which is
    exactly ``nn.LocalResponseNorm(5, 1e-4, 0.75, 1.)`` (zero channels
    pad the window at both ends in both). CaffeNet pools before it
    normalises; the original AlexNet, and torchvision's AlexNet (no LRN, no
    groups, 64/192/384/256/256 widths), are other nets.

    A group-2 conv is Caffe's: the first half of the outputs sees the first
    half of the inputs (``nn.Conv2d(groups=2)``, same weight layout).
    Attribute names are the Caffe layer names, so weights map by name.

    Args:
        in_channels (int): Input image channels. Defaults to 3.
        stage_channels (Sequence[int]): Widths of conv1 .. conv5. Defaults
            to (96, 256, 384, 384, 256). Smaller widths give the same
            geometry for quick experiments and tests; the widths of conv1,
            conv3 and conv4 (the inputs of the group-2 convs) and of
            conv2, conv4, conv5 must be even.
        fc_channels (int): Width of fc6 and fc7. Defaults to 4096.
        first_pad (int): Padding of conv1. Defaults to 100, the only value
            the head's Caffe crop is computed for.
        dropout_ratio (float): Dropout after fc6 and fc7. Defaults to 0.5.
        out_indices (Sequence[int]): Outputs to return, indices into
            ``('pool1', 'pool2', 'pool5', 'fc7')``. Defaults to (3, ): fc7,
            the input of the FCN-32s head.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    #: The trunk as a net of its own: weight files that hold it alone.
    net = NetDescription(
        'caffenet', 'CaffeNet trunk',
        caffe_release='bvlc_reference_caffenet.caffemodel')
    #: The settings the Caffe crop offset of the head is computed for.
    reference_form = 'first_pad=100'
    #: Caffe name and kernel size of each layer with parameters, in order.
    caffe_layers: Tuple[Tuple[str, int], ...] = tuple(
        (name, k) for name, k, _, _, _ in _CONVS) + _FC_LAYERS
    #: The stage (index into ``stage_channels``) of each conv: one each.
    caffe_stages: Dict[str, int] = {
        name: i
        for i, (name, _, _, _, _) in enumerate(_CONVS)
    }
    #: Groups of each grouped layer (Caffe's ``group``).
    caffe_groups: Dict[str, int] = {
        name: g
        for name, _, _, _, g in _CONVS if g > 1
    }
    #: Layers of the released ImageNet model that FCN drops.
    caffe_dropped: Tuple[str, ...] = ('fc8', )
    #: The convolutionalised classifier (InnerProduct in ImageNet files).
    fc_layers: Tuple[str, ...] = tuple(name for name, _ in _FC_LAYERS)
    #: Each output (``out_indices`` names) and the layer whose width it has.
    output_layers: Dict[str, str] = {
        **{pool: conv
           for conv, pool in _POOLED.items()}, 'fc7': 'fc7'
    }
    #: Trunk switches of the net table this trunk has (none: it is built in
    #: its reference form only).
    switches: Tuple[str, ...] = ()

    @staticmethod
    def output_size(name: str, size: int, first_pad: int = 100) -> int:
        """Height (or width) of output ``name`` for an input of ``size``."""
        s = (size + 2 * first_pad - 11) // 4 + 1  # conv1
        for pool in ('pool1', 'pool2', 'pool5'):
            s = math.ceil((s - 3) / 2) + 1
            if pool == name:
                return s
        return s - 5  # fc6: 6x6 valid

    def __init__(self,
                 in_channels: int = 3,
                 stage_channels: Sequence[int] = (96, 256, 384, 384, 256),
                 fc_channels: int = 4096,
                 first_pad: int = 100,
                 dropout_ratio: float = 0.5,
                 out_indices: Sequence[int] = (3, ),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(stage_channels) != len(_CONVS):
            raise ValueError('stage_channels needs 5 widths (conv1 .. conv5)'
                             f', got {tuple(stage_channels)}')
        out_indices = tuple(out_indices)
        if not out_indices or any(
                not 0 <= i < len(OUTPUT_NAMES) for i in out_indices):
            raise ValueError(f'out_indices must index {OUTPUT_NAMES}, got '
                             f'{out_indices}')
        shapes = self.layer_shapes(stage_channels, fc_channels, in_channels)
        odd = [
            name for name, g in self.caffe_groups.items()
            if shapes[name][0] % g or shapes[name][1] * g != (
                in_channels if name == 'conv1' else
                shapes[self._previous(name)][0])
        ]
        if odd:
            raise ValueError(
                f'stage_channels {tuple(stage_channels)}: the group-2 convs '
                f'{", ".join(odd)} need even input and output widths')
        self.stage_channels = tuple(stage_channels)
        self.fc_channels = fc_channels
        self.first_pad = first_pad
        self.out_indices = out_indices
        #: Always built: the name the net table reads for every trunk.
        self.with_fc = True
        cin = in_channels
        for name, kernel, stride, pad, groups in _CONVS:
            cout = shapes[name][0]
            self.add_module(
                name,
                nn.Conv2d(
                    cin,
                    cout,
                    kernel,
                    stride=stride,
                    padding=first_pad if pad is None else pad,
                    groups=groups))
            cin = cout
        # Caffe's pooling rounds the output size up.
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.norm = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.)
        self.fc6 = nn.Conv2d(cin, fc_channels, _FC_LAYERS[0][1])
        self.fc7 = nn.Conv2d(fc_channels, fc_channels, 1)
        self.drop6 = nn.Dropout(dropout_ratio)
        self.drop7 = nn.Dropout(dropout_ratio)

    @classmethod
    def _previous(cls, name: str) -> str:
        names = [n for n, _ in cls.caffe_layers]
        return names[names.index(name) - 1]

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the trunk.

        Args:
            x (Tensor): Images of shape (N, C, H, W), any H, W >= 1.

        Returns:
            tuple[Tensor]: The outputs selected by ``out_indices``.
        """
        outs: Dict[str, Tensor] = {}
        for name, _, _, _, _ in _CONVS:
            x = F.relu(getattr(self, name)(x), inplace=True)
            if name in _POOLED:
                x = self.pool(x)
                pool = _POOLED[name]
                outs[pool] = x
                if pool in _NORMED:
                    x = self.norm(x)
        x = self.drop6(F.relu(self.fc6(x), inplace=True))
        outs['fc7'] = self.drop7(F.relu(self.fc7(x), inplace=True))
        return tuple(outs[OUTPUT_NAMES[i]] for i in self.out_indices)
