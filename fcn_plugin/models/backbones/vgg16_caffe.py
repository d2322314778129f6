"""The VGG16 trunk of the Caffe FCN reference nets."""
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig
from torch import Tensor

from ..net_description import NetDescription, register_trunk
from ..utils.caffe_geometry import fc_size, pooled_size
from ..utils.im2col_gemm import (IM2COL_MAX_BYTES, conv_rows, im2col_bytes,
                                 rows_to_map)
from .caffe_trunk import CaffeTrunkShapes

#: Number of 3x3 convs in each of the five VGG16 stages.
VGG16_STAGE_DEPTHS = (2, 2, 3, 3, 3)
#: Output names, indexed by ``out_indices``.
OUTPUT_NAMES = ('pool1', 'pool2', 'pool3', 'pool4', 'pool5', 'fc7')
#: The convolutionalised ImageNet classifier (``InnerProduct`` layers in
#: the ILSVRC model) with its kernel sizes.
_FC_LAYERS = (('fc6', 7), ('fc7', 1))


@register_trunk
@MODELS.register_module()
class VGG16Caffe(CaffeTrunkShapes, BaseModule):
    """VGG16 as in the Caffe FCN nets, with fc6/fc7 as convolutions.

    This backbone is the trunk of `Fully Convolutional Networks for Semantic
    Segmentation <https://arxiv.org/abs/1605.06211>`_ (``voc-fcn*/net.py``
    of ``fcn.berkeleyvision.org``):

    - ``conv1_1`` is padded by 100 px so that any input, down to 1x1, leaves
      fc6 at least one valid position and the final crops always fit;
      every other 3x3 conv has pad 1; ReLU after each conv.
    - ``pool1`` .. ``pool5`` are 2x2/2 max pools rounding **up** like Caffe
      (``ceil_mode=True``; floor rounding breaks many input sizes).
    - ``fc6`` is a 7x7 valid conv 512->4096 and ``fc7`` a 1x1 conv
      4096->4096, each followed by ReLU and element-wise dropout 0.5
      (Caffe's ``Dropout`` drops single units, so ``nn.Dropout``, not
      ``nn.Dropout2d``).

    fc6/fc7 live here, not in the heads, because they are the
    convolutionalised ImageNet classifier: they come from the same
    pretrained file as the convs, and FCN-32s/16s/8s all share them, so one
    backbone config and one weight file serve every net while the heads
    hold only the layers FCN adds (score_*, upscore*).

    Attribute names are the Caffe layer names (``conv1_1`` ... ``conv5_3``,
    ``fc6``, ``fc7``), so weights map by name. mmpretrain's ``VGG`` was not
    used: its convs are ``ConvModule`` wrappers (keys
    ``features.N.conv.weight``), it cannot pad conv1_1 by 100 (an extra
    99-px pad of every input would be needed), and its fc layers are
    ``nn.Linear`` modules that exist only with a classifier.

    Args:
        in_channels (int): Input image channels. Defaults to 3.
        stage_channels (Sequence[int]): Widths of the five conv stages.
            Defaults to (64, 128, 256, 512, 512), i.e. VGG16. Smaller widths
            give the same geometry for quick experiments and tests.
        fc_channels (int): Width of fc6 and fc7. Defaults to 4096.
        first_pad (int): Padding of conv1_1. Defaults to 100; 1 gives
            the ordinary VGG16 padding of tutorials (then, with ceil
            pools, pool5 is ceil(H/32) x ceil(W/32): at least 1x1 for any
            input, and fc6 needs pool5 >= 7x7, i.e. inputs >= 193 px).
        with_fc (bool): Build fc6/fc7 (the convolutionalised classifier).
            Without them (as tutorials often write FCN-8s) output index 5
            does not exist and the heads score pool5 (index 4, 512
            channels). Defaults to True.
        dropout_ratio (float): Dropout after fc6 and fc7. Defaults to 0.5.
        out_indices (Sequence[int]): Outputs to return, indices into
            ``('pool1', 'pool2', 'pool3', 'pool4', 'pool5', 'fc7')``.
            Defaults to (2, 3, 5): pool3, pool4 and fc7, the inputs of the
            FCN-8s/16s/32s heads.
        fc_gemm (bool): Compute fc6/fc7 as Caffe does, im2col + one GEMM,
            instead of a direct convolution. Same function and FLOPs; on a
            CPU it runs fc6 about twice as fast. Maps whose column matrix
            would exceed ``IM2COL_MAX_BYTES`` use the convolution.
            Defaults to False.
        channels_last (bool): Keep the activations and the 3x3 conv
            weights in ``torch.channels_last`` (NHWC) layout, which oneDNN
            (CPU) and cuDNN with AMP (GPU) run faster; fc6/fc7 weights stay
            contiguous for the GEMM. Same function. Defaults to False.
        init_cfg (dict or list[dict], optional): Initialization config,
            e.g. ``dict(type='Pretrained', checkpoint=...)``. Defaults to
            None (PyTorch's default init).
    """

    #: The trunk as a net of its own: weight files that hold it alone.
    net = NetDescription(
        'vgg16', 'VGG16 trunk',
        caffe_release='VGG_ILSVRC_16_layers.caffemodel')
    #: The settings the Caffe crop offsets of the heads are computed for.
    reference_form = 'first_pad=100, with_fc=True'
    #: Caffe name and kernel size of each layer with parameters, in order;
    #: the last two exist only with ``with_fc``.
    caffe_layers: Tuple[Tuple[str, int], ...] = tuple(
        (f'conv{stage}_{i}', 3)
        for stage, depth in enumerate(VGG16_STAGE_DEPTHS, 1)
        for i in range(1, depth + 1)) + _FC_LAYERS
    #: Layers of the released ImageNet model that FCN drops: the
    #: classifier (FCN scores with its own ``score_fr``).
    caffe_dropped: Tuple[str, ...] = ('fc8', )
    #: The layers built only with ``with_fc=True``.
    fc_layers: Tuple[str, ...] = tuple(name for name, _ in _FC_LAYERS)
    #: The stage (index into ``stage_channels``) of each conv.
    caffe_stages: Dict[str, int] = {
        f'conv{stage}_{i}': stage - 1
        for stage, depth in enumerate(VGG16_STAGE_DEPTHS, 1)
        for i in range(1, depth + 1)
    }
    #: Each output (``out_indices`` names) and the layer whose width it has.
    output_layers: Dict[str, str] = {
        **{
            f'pool{stage}': f'conv{stage}_{depth}'
            for stage, depth in enumerate(VGG16_STAGE_DEPTHS, 1)
        }, 'fc7': 'fc7'
    }

    #: Other Caffe names of a layer: the 4-channel (BGR + depth) conv1_1 of
    #: the early-fusion NYUDv2 net (``nyud-fcn32s-color-d``) is renamed so
    #: that Caffe does not copy the 3-channel weights into it.
    caffe_aliases: Dict[str, str] = {'conv1_1_bgrd': 'conv1_1'}
    #: Trunk switches of the net table this trunk has: ``nofc``
    #: (``with_fc=False``) and ``nopad`` (``first_pad=1``).
    switches: Tuple[str, ...] = ('nofc', 'nopad')

    @staticmethod
    def output_size(name: str, size: int, first_pad: int = 100) -> int:
        """Height (or width) of output ``name`` for an input of ``size``.

        ``poolK`` after K ceil pools of the conv1_1-padded input; ``fc7``
        after the 7x7 valid fc6 on pool5.
        """
        if name == 'fc7':
            return fc_size(size, first_pad)
        return pooled_size(size, first_pad, int(name[len('pool'):]))

    def __init__(self,
                 in_channels: int = 3,
                 stage_channels: Sequence[int] = (64, 128, 256, 512, 512),
                 fc_channels: int = 4096,
                 first_pad: int = 100,
                 with_fc: bool = True,
                 dropout_ratio: float = 0.5,
                 out_indices: Sequence[int] = (2, 3, 5),
                 fc_gemm: bool = False,
                 channels_last: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(stage_channels) != len(VGG16_STAGE_DEPTHS):
            raise ValueError('stage_channels needs 5 widths (one per VGG16 '
                             f'stage), got {tuple(stage_channels)}')
        out_indices = tuple(out_indices)
        if not out_indices or any(
                not 0 <= i < len(OUTPUT_NAMES) for i in out_indices):
            raise ValueError(f'out_indices must index {OUTPUT_NAMES}, got '
                             f'{out_indices}')
        if not with_fc and 5 in out_indices:
            raise ValueError(
                'out_indices includes 5 (fc7), but with_fc=False builds no '
                f'fc6/fc7; score pool5 (index 4) instead, got {out_indices}')
        self.stage_channels = tuple(stage_channels)
        self.fc_channels = fc_channels
        self.first_pad = first_pad
        self.with_fc = with_fc
        self.out_indices = out_indices
        self.fc_gemm = fc_gemm
        self.channels_last = channels_last

        self.stage_layers: List[List[str]] = []
        cin = in_channels
        for stage, (depth, cout) in enumerate(
                zip(VGG16_STAGE_DEPTHS, stage_channels), start=1):
            names = []
            for i in range(1, depth + 1):
                name = f'conv{stage}_{i}'
                pad = first_pad if name == 'conv1_1' else 1
                self.add_module(name, nn.Conv2d(cin, cout, 3, padding=pad))
                names.append(name)
                cin = cout
            self.stage_layers.append(names)
        # Caffe's pooling rounds the output size up.
        self.pool = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        if with_fc:
            self.fc6 = nn.Conv2d(cin, fc_channels, 7)
            self.fc7 = nn.Conv2d(fc_channels, fc_channels, 1)
            self.drop6 = nn.Dropout(dropout_ratio)
            self.drop7 = nn.Dropout(dropout_ratio)
        if channels_last:
            # The 3x3 conv weights only, in place: loading a checkpoint later
            # copies into them and keeps the layout. fc6/fc7 stay
            # contiguous, so that their GEMM view (``weight.flatten(1)``) is
            # not a 411 MB copy in every step.
            for names in self.stage_layers:
                for name in names:
                    getattr(self, name).to(memory_format=torch.channels_last)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the trunk.

        Args:
            x (Tensor): Images of shape (N, C, H, W), any H, W >= 1.

        Returns:
            tuple[Tensor]: The outputs selected by ``out_indices``, in that
            order (pool3 at stride 8, pool4 at 16, pool5 and fc7 at 32,
            each offset by ``first_pad - 1`` px).
        """
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        outs = []
        for names in self.stage_layers:
            for name in names:
                x = F.relu(getattr(self, name)(x), inplace=True)
            x = self.pool(x)
            outs.append(x)
        if 5 in self.out_indices:
            outs.append(self.forward_fc(x))
        return tuple(outs[i] for i in self.out_indices)

    def forward_fc(self, pool5: Tensor) -> Tensor:
        """fc6 -> relu6 -> drop6 -> fc7 -> relu7 -> drop7 on pool5."""
        if (self.fc_gemm
                and im2col_bytes(pool5, self.fc6) <= IM2COL_MAX_BYTES):
            h = pool5.shape[-2] - self.fc6.kernel_size[0] + 1
            w = pool5.shape[-1] - self.fc6.kernel_size[1] + 1
            x = self.drop6(F.relu(conv_rows(pool5, self.fc6), inplace=True))
            # fc7 is 1x1: on rows it is a plain linear layer.
            x = self.drop7(
                F.relu(
                    F.linear(x, self.fc7.weight.flatten(1), self.fc7.bias),
                    inplace=True))
            return rows_to_map(x, h, w)
        x = self.drop6(F.relu(self.fc6(pool5), inplace=True))
        return self.drop7(F.relu(self.fc7(x), inplace=True))
