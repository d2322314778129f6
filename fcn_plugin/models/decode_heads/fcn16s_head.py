"""FCN-16s head."""
from typing import Optional, Sequence

from torch import Tensor

from mmseg.registry import MODELS
from ..utils.caffe_geometry import caffe_crop
from .caffe_fcn_head import CaffeFCNHead, IntOrSeq


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
            ``score_pool4`` (the at-once trick; 1 in the staged net).
            Defaults to 1.
        **kwargs: See :class:`CaffeFCNHead`.
    """

    #: upscore16 maps input pixel x to x + 27.
    final_crop_offset = 27
    #: pool4 sits 5 px (at stride 16) after upscore2 in input coordinates:
    #: (x+99)/16 - 0.47 versus (x+99)/16 - 5.47.
    pool4_crop_offset = 5

    def __init__(self,
                 in_channels: IntOrSeq = (512, 4096),
                 in_index: IntOrSeq = (1, 2),
                 scale_pool4: float = 1.,
                 **kwargs) -> None:
        super().__init__(in_channels=in_channels, in_index=in_index, **kwargs)
        self.scale_pool4 = scale_pool4
        self.upscore2 = self._upscore_layer(4, 2)
        self.score_pool4 = self._score_layer(self.in_channels[-2])
        self._build_after_fuse_pool4()

    def _build_after_fuse_pool4(self) -> None:
        """The layers that take ``fuse_pool4``: here ``upscore16``."""
        self.upscore16 = self._upscore_layer(32, 16)

    def fuse_pool4(self, pool4: Tensor, fc7: Tensor) -> Tensor:
        """``upscore2`` of the fc7 scores plus the cropped pool4 scores."""
        upscore2 = self.upscore2(self._score_fr(fc7))
        if self.scale_pool4 != 1:
            pool4 = pool4 * self.scale_pool4
        score_pool4c = caffe_crop(
            self.score_pool4(pool4), self.pool4_crop_offset,
            upscore2.shape[-2:])
        return upscore2 + score_pool4c

    def forward(self,
                inputs: Sequence[Tensor],
                out_size: Optional[Sequence[int]] = None) -> Tensor:
        pool4, fc7 = self._transform_inputs(inputs)
        upscore16 = self.upscore16(self.fuse_pool4(pool4, fc7))
        if out_size is None:
            return upscore16
        return caffe_crop(upscore16, self.final_crop_offset, out_size)
