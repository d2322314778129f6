"""FCN-16s head."""
from mmseg.registry import MODELS

from ..net_description import NetDescription
from .caffe_fcn_head import CaffeFCNHead, IntOrSeq
from .head_layers import ScoreLayer, UpscoreLayer


@MODELS.register_module()
class FCN16sHead(CaffeFCNHead):
    """FCN-16s head of `FCN <https://arxiv.org/abs/1605.06211>`_.

    ``score_fr`` -> ``upscore2`` (4x4 / 2) + crop(``score_pool4``, 5) ->
    ``upscore16`` (32x32 / 16) -> crop to the input at 27
    (``voc-fcn16s``).

    Args:
        in_channels (Sequence[int]): Channels of pool4 and fc7.
            Defaults to (512, 4096).
        in_index (Sequence[int]): Indices of pool4 and fc7 in the backbone
            outputs. Defaults to (1, 2).
        scale_pool4 (float): Constant multiplying pool4 before
            ``score_pool4`` (an at-once style ``Scale`` layer; 1 in
            ``voc-fcn16s``). Defaults to 1.
        **kwargs: See :class:`CaffeFCNHead` (``align``, ``init``, ...).
    """

    nets = (NetDescription('fcn16s', 'FCN-16s', staged_from='fcn32s',
                           caffe_release='fcn16s-heavy-pascal.caffemodel',
                           torchfcn_arch='FCN16s'), )
    layers = (
        ScoreLayer('score_fr', reads='fc7'),
        UpscoreLayer('upscore2', kernel=4, stride=2),
        # pool4 sits 5 px (at stride 16) after upscore2 in input
        # coordinates: (x+99)/16 - 0.47 versus (x+99)/16 - 5.47.
        ScoreLayer('score_pool4', reads='pool4', crop_offset=5,
                   scale='scale_pool4'),
        UpscoreLayer('upscore16', kernel=32, stride=16),
    )
    #: upscore16 maps input pixel x to x + 27.
    final_crop_offset = 27

    def __init__(self,
                 in_channels: IntOrSeq = (512, 4096),
                 in_index: IntOrSeq = (1, 2),
                 scale_pool4: float = 1.,
                 **kwargs) -> None:
        super().__init__(in_channels=in_channels, in_index=in_index, **kwargs)
        self.scale_pool4 = scale_pool4
