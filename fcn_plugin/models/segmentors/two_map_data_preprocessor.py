"""MMSeg's data preprocessor, padding a second label map like the first."""
from typing import Any, Dict

import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

from ...datasets.geo_transforms import GT_FIELD


@MODELS.register_module()
class TwoMapDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` that pads ``gt_geo_seg`` with ``gt_sem_seg``.

    When a training batch is stacked, MMSeg pads each image and its
    ``gt_sem_seg`` to the batch's size (and ``size`` / ``size_divisor``)
    on the right and bottom, recording ``padding_size``; the geometric map
    of the SIFT Flow net of `FCN <https://arxiv.org/abs/1605.06211>`_
    (``gt_geo_seg``) gets the same padding with ``seg_pad_val``. At test
    time nothing is padded, as in MMSeg.

    Args:
        **kwargs: See :class:`mmseg.models.SegDataPreProcessor`.
    """

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """MMSeg's preprocessing, then the geometric maps padded.

        Args:
            data (dict): ``inputs`` and ``data_samples`` from the loader.
            training (bool): Whether the batch is for training.

        Returns:
            dict: ``inputs`` and ``data_samples``, as MMSeg's.
        """
        out = super().forward(data, training)
        for sample in out.get('data_samples') or []:
            pad = sample.metainfo.get('padding_size')
            if training and GT_FIELD in sample and pad is not None \
                    and any(pad):
                geo = sample.get(GT_FIELD).data
                sample.set_data({
                    GT_FIELD:
                    PixelData(
                        data=F.pad(geo, list(pad), value=self.seg_pad_val))
                })
        return out
