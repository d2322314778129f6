"""FCN-8s head (staged and at-once)."""
from typing import Optional, Sequence

from torch import Tensor

from mmseg.registry import MODELS
from ..utils.caffe_geometry import caffe_crop
from .caffe_fcn_head import IntOrSeq
from .fcn16s_head import FCN16sHead


@MODELS.register_module()
class FCN8sHead(FCN16sHead):
    """FCN-8s head of `FCN <https://arxiv.org/abs/1605.06211>`_.

    FCN-16s up to ``fuse_pool4`` -> ``upscore_pool4`` (4x4 / 2) +
    crop(``score_pool3``, 9) -> ``upscore8`` (16x16 / 8) -> crop to the
    input at 31 (``voc-fcn8s``).

    The at-once net (``voc-fcn8s-atonce``) is this head with
    ``scale_pool4=0.01`` and ``scale_pool3=0.0001``: fixed Caffe ``Scale``
    layers that bring the skip features to the magnitude of fc7 so that all
    skips can be trained together from the start. They have no parameters.

    Args:
        in_channels (Sequence[int]): Channels of pool3, pool4 and fc7.
            Defaults to (256, 512, 4096).
        in_index (Sequence[int]): Their indices in the backbone outputs.
            Defaults to (0, 1, 2).
        scale_pool3 (float): Constant multiplying pool3 before
            ``score_pool3``. Defaults to 1.
        **kwargs: See :class:`FCN16sHead` (``scale_pool4``) and
            :class:`CaffeFCNHead`.
    """

    #: upscore8 maps input pixel x to x + 31.
    final_crop_offset = 31
    #: pool3 sits 9 px (at stride 8) after upscore_pool4:
    #: (x+99)/8 - 0.44 versus (x+99)/8 - 9.44.
    pool3_crop_offset = 9

    def __init__(self,
                 in_channels: IntOrSeq = (256, 512, 4096),
                 in_index: IntOrSeq = (0, 1, 2),
                 scale_pool3: float = 1.,
                 **kwargs) -> None:
        super().__init__(in_channels=in_channels, in_index=in_index, **kwargs)
        self.scale_pool3 = scale_pool3

    def _build_after_fuse_pool4(self) -> None:
        """FCN-8s upsamples ``fuse_pool4`` by 2 (not 16) and adds pool3."""
        self.upscore_pool4 = self._upscore_layer(4, 2)
        self.score_pool3 = self._score_layer(self.in_channels[-3])
        self.upscore8 = self._upscore_layer(16, 8)

    def forward(self,
                inputs: Sequence[Tensor],
                out_size: Optional[Sequence[int]] = None) -> Tensor:
        pool3, pool4, fc7 = self._transform_inputs(inputs)
        upscore_pool4 = self.upscore_pool4(self.fuse_pool4(pool4, fc7))
        if self.scale_pool3 != 1:
            pool3 = pool3 * self.scale_pool3
        score_pool3c = caffe_crop(
            self.score_pool3(pool3), self.pool3_crop_offset,
            upscore_pool4.shape[-2:])
        upscore8 = self.upscore8(upscore_pool4 + score_pool3c)
        if out_size is None:
            return upscore8
        return caffe_crop(upscore8, self.final_crop_offset, out_size)
