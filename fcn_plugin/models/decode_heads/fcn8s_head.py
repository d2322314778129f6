"""FCN-8s head (staged and at-once)."""
from mmseg.registry import MODELS

from ..net_description import NetDescription
from .caffe_fcn_head import CaffeFCNHead, IntOrSeq
from .head_layers import ScoreLayer, UpscoreLayer


@MODELS.register_module()
class FCN8sHead(CaffeFCNHead):
    """FCN-8s head of `FCN <https://arxiv.org/abs/1605.06211>`_.

    ``score_fr`` -> ``upscore2`` (4x4 / 2) + crop(``score_pool4``, 5) ->
    ``upscore_pool4`` (4x4 / 2) + crop(``score_pool3``, 9) -> ``upscore8``
    (16x16 / 8) -> crop to the input at 31 (``voc-fcn8s``).

    The at-once net (``voc-fcn8s-atonce``) is this head with
    ``scale_pool4=0.01`` and ``scale_pool3=0.0001``: fixed Caffe ``Scale``
    layers that bring the skip features to the magnitude of fc7 so that all
    skips can be trained together from the start. They have no parameters.

    Args:
        in_channels (Sequence[int]): Channels of pool3, pool4 and fc7.
            Defaults to (256, 512, 4096).
        in_index (Sequence[int]): Their indices in the backbone outputs.
            Defaults to (0, 1, 2).
        scale_pool4 (float): Constant multiplying pool4 before
            ``score_pool4``. Defaults to 1.
        scale_pool3 (float): Constant multiplying pool3 before
            ``score_pool3``. Defaults to 1.
        **kwargs: See :class:`CaffeFCNHead` (``align``, ``init``, ...).
    """

    nets = (
        NetDescription('fcn8s', 'FCN-8s', staged_from='fcn16s',
                       caffe_release='fcn8s-heavy-pascal.caffemodel',
                       torchfcn_arch='FCN8s'),
        # All skips trained together from the trunk, the skip features
        # brought to fc7's magnitude by fixed Scale layers.
        NetDescription('fcn8s-atonce', 'FCN-8s at-once', staged_from='vgg16',
                       caffe_release='fcn8s-atonce-pascal.caffemodel',
                       torchfcn_arch='FCN8sAtOnce',
                       fixed_scales=(('scale_pool4', 0.01),
                                     ('scale_pool3', 0.0001))),
    )
    layers = (
        ScoreLayer('score_fr', reads='fc7'),
        UpscoreLayer('upscore2', kernel=4, stride=2),
        # pool4 sits 5 px (at stride 16) after upscore2 in input
        # coordinates: (x+99)/16 - 0.47 versus (x+99)/16 - 5.47.
        ScoreLayer('score_pool4', reads='pool4', crop_offset=5,
                   scale='scale_pool4'),
        UpscoreLayer('upscore_pool4', kernel=4, stride=2),
        # pool3 sits 9 px (at stride 8) after upscore_pool4:
        # (x+99)/8 - 0.44 versus (x+99)/8 - 9.44.
        ScoreLayer('score_pool3', reads='pool3', crop_offset=9,
                   scale='scale_pool3'),
        UpscoreLayer('upscore8', kernel=16, stride=8),
    )
    #: upscore8 maps input pixel x to x + 31.
    final_crop_offset = 31

    def __init__(self,
                 in_channels: IntOrSeq = (256, 512, 4096),
                 in_index: IntOrSeq = (0, 1, 2),
                 scale_pool4: float = 1.,
                 scale_pool3: float = 1.,
                 **kwargs) -> None:
        super().__init__(in_channels=in_channels, in_index=in_index, **kwargs)
        self.scale_pool4 = scale_pool4
        self.scale_pool3 = scale_pool3
