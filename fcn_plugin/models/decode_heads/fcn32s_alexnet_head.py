"""FCN-AlexNet head: FCN-32s on the CaffeNet trunk."""
from mmseg.registry import MODELS

from ..backbones.alexnet_caffe import AlexNetCaffe
from ..net_description import NetDescription
from .caffe_fcn_head import IntOrSeq
from .fcn32s_head import FCN32sHead
from .head_layers import ScoreLayer, UpscoreLayer


@MODELS.register_module()
class FCN32sAlexNetHead(FCN32sHead):
    """FCN-AlexNet head of `FCN <https://arxiv.org/abs/1605.06211>`_.

    ``score_fr`` (1x1 on fc7) -> ``upscore`` (63x63 / 32 bilinear
    transposed conv, no bias, fixed) -> crop to the input at offset 18
    (``voc-fcn-alexnet``). Its trunk is :class:`AlexNetCaffe`.

    The kernel is odd: the bilinear filter of size 63 peaks at its centre
    tap 31 (``surgery.upsample_filt``: factor 32, centre ``factor - 1``),
    where an even kernel's peak falls between two taps.

    Args:
        in_channels (int | Sequence[int]): fc7 channels. Defaults to 4096.
        in_index (int | Sequence[int]): Index of fc7 in the backbone
            outputs. Defaults to 0 (AlexNetCaffe's default outputs).
        **kwargs: See :class:`CaffeFCNHead` (``init``, ...).
    """

    nets = (NetDescription(
        'fcn32s-alexnet', 'FCN-AlexNet', staged_from='caffenet',
        caffe_release='fcn-alexnet-pascal.caffemodel'), )
    layers = (
        ScoreLayer('score_fr', reads='fc7'),
        UpscoreLayer('upscore', kernel=63, stride=32),
    )
    #: Caffe's coord_map for ``crop(upscore, data)``, input to blob:
    #: conv1 (11/4, pad 100) x/4 + 23.75; each 3x3/2 pool halves and
    #: subtracts 0.5 (x/8 + 11.375, x/16 + 5.1875, x/32 + 2.09375 at
    #: pool5); fc6 (6x6 valid) subtracts 2.5: x/32 - 0.40625; upscore
    #: (63/32) maps y to 32y + 31: input pixel x is upscore pixel x + 18.
    final_crop_offset = 18
    trunk = AlexNetCaffe

    def __init__(self,
                 in_channels: IntOrSeq = 4096,
                 in_index: IntOrSeq = 0,
                 **kwargs) -> None:
        super().__init__(in_channels=in_channels, in_index=in_index, **kwargs)
