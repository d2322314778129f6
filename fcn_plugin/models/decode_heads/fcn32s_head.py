"""FCN-32s head."""
from mmseg.registry import MODELS

from ..net_description import NetDescription
from .caffe_fcn_head import CaffeFCNHead, IntOrSeq
from .head_layers import ScoreLayer, UpscoreLayer


@MODELS.register_module()
class FCN32sHead(CaffeFCNHead):
    """FCN-32s head of `FCN <https://arxiv.org/abs/1605.06211>`_.

    ``score_fr`` (1x1 on fc7) -> ``upscore`` (64x64 / 32 bilinear
    transposed conv) -> crop to the input at offset 19 (``voc-fcn32s``).

    Args:
        in_channels (int | Sequence[int]): fc7 channels. Defaults to 4096.
        in_index (int | Sequence[int]): Index of fc7 in the backbone
            outputs. Defaults to 2 (VGG16Caffe's default outputs).
        **kwargs: See :class:`CaffeFCNHead` (``align``, ``init``, ...).
    """

    nets = (NetDescription('fcn32s', 'FCN-32s', staged_from='vgg16',
                           caffe_release='fcn32s-heavy-pascal.caffemodel',
                           torchfcn_arch='FCN32s'), )
    layers = (
        ScoreLayer('score_fr', reads='fc7'),
        UpscoreLayer('upscore', kernel=64, stride=32),
    )
    #: upscore maps input pixel x to x + 19 (the 100-px pad, shrunk by the
    #: 7x7 fc6 and shifted by the 64/32 deconv's half-kernel).
    final_crop_offset = 19

    def __init__(self,
                 in_channels: IntOrSeq = 4096,
                 in_index: IntOrSeq = 2,
                 **kwargs) -> None:
        super().__init__(in_channels=in_channels, in_index=in_index, **kwargs)
