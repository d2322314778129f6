"""Load and pack a second label map (SIFT Flow's geometric classes)."""
from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import to_tensor
from mmengine.structures import PixelData
from mmseg.datasets.transforms import LoadAnnotations, PackSegInputs
from mmseg.registry import TRANSFORMS

from ..errors import DataFileError

#: Where the second map lives: the sample's file key, the results key the
#: geometric transforms follow.
PATH_KEY = 'geo_map_path'
MAP_KEY = 'gt_geo_map'
#: Its ``SegDataSample`` fields, read by the two-headed segmentor, its
#: preprocessor, the metric and the visualizer: ground truth, prediction,
#: logits.
GT_FIELD = 'gt_geo_seg'
PRED_FIELD = 'pred_geo_seg'
LOGITS_FIELD = 'geo_logits'


@TRANSFORMS.register_module()
class LoadGeoAnnotations(LoadAnnotations):
    """Load the geometric label map of a sample beside its semantic one.

    MMSeg's :class:`LoadAnnotations` for the second label map of the SIFT
    Flow net of `FCN <https://arxiv.org/abs/1605.06211>`_: it reads
    ``results['geo_map_path']`` (a single-channel PNG, values
    ``0..num_classes-1`` and the ignore index) into
    ``results['gt_geo_map']`` and adds that key to ``seg_fields``, so that
    MMSeg's geometric transforms (``RandomResize``, ``RandomCrop``,
    ``RandomFlip``, ...) move it with the image and the semantic map. Put it
    after ``LoadImageFromFile`` (and ``LoadAnnotations``), and pack with
    ``PackTwoMapInputs``.

    A sample without ``geo_map_path`` (MMSeg's inference APIs) passes
    unchanged. A map that is not single-channel, whose size differs from
    its image (the semantic map's size is ``CheckSegData``'s), or that
    holds values outside its classes is refused with one error naming the
    file.

    Args:
        num_classes (int, optional): Number of geometric classes; None
            skips the value check. Defaults to 3.
        ignore_index (int): The void value. Defaults to 255.
        imdecode_backend (str): As :class:`LoadAnnotations`. Defaults to
            'pillow'.
        backend_args (dict, optional): As :class:`LoadAnnotations`.
    """

    #: What :class:`~fcn_plugin.datasets.CheckedFilesMixin` names in its
    #: messages when this step fails.
    path_key = PATH_KEY
    what = 'geometric label'

    def __init__(self,
                 num_classes: Optional[int] = 3,
                 ignore_index: int = 255,
                 imdecode_backend: str = 'pillow',
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(
            imdecode_backend=imdecode_backend, backend_args=backend_args)
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def _load_seg_map(self, results: dict) -> None:
        path = results[self.path_key]
        raw = mmcv.imfrombytes(
            fileio.get(path, backend_args=self.backend_args),
            flag='unchanged',
            backend=self.imdecode_backend)
        if raw.ndim != 2:
            raise DataFileError(
                f'geometric label {path} has {raw.shape[-1]} channels; it '
                'must be a single-channel PNG of class indices '
                '(tools/prepare_siftflow.py writes them)')
        hw = tuple(results.get('ori_shape') or results['img_shape'])[:2]
        if raw.shape != hw:
            raise DataFileError(
                f'geometric label {path} is {raw.shape[0]}x{raw.shape[1]} '
                f'(HxW) but its image is {hw[0]}x{hw[1]}; the label maps of '
                'an image must have its size')
        label = raw.astype(np.uint8)
        if self.num_classes is not None:
            bad = np.setdiff1d(
                np.unique(label),
                np.r_[np.arange(self.num_classes), self.ignore_index])
            if bad.size:
                raise DataFileError(
                    f'geometric label {path} has values {bad.tolist()} '
                    f'outside 0..{self.num_classes - 1} and the ignore index '
                    f'{self.ignore_index}; prepare the data with '
                    'tools/prepare_siftflow.py')
        results[MAP_KEY] = label
        results.setdefault('seg_fields', []).append(MAP_KEY)

    def transform(self, results: dict) -> dict:
        """Load the geometric map into ``results['gt_geo_map']``; nothing
        for a sample without one (an image from MMSeg's inference APIs,
        which drop ``LoadAnnotations`` but not this step)."""
        if results.get(self.path_key) is not None:
            self._load_seg_map(results)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index}, imdecode_backend='
                f"'{self.imdecode_backend}')")


@TRANSFORMS.register_module()
class PackTwoMapInputs(PackSegInputs):
    """MMSeg's ``PackSegInputs`` that also packs the geometric map.

    ``results['gt_geo_map']`` (from ``LoadGeoAnnotations``) becomes the
    ``gt_geo_seg`` field (``PixelData``) of the ``SegDataSample``, beside
    ``gt_sem_seg``; :class:`~fcn_plugin.models.TwoHeadEncoderDecoder` trains
    its second head on it and ``FCNIoUMetric`` scores ``pred_geo_seg``
    against it.

    Args:
        **kwargs: See :class:`mmseg.datasets.transforms.PackSegInputs`.
    """

    def transform(self, results: dict) -> dict:
        """Pack as MMSeg does, plus the geometric map."""
        packed = super().transform(results)
        if MAP_KEY in results:
            data = to_tensor(results[MAP_KEY][None].astype(np.int64))
            packed['data_samples'].set_data(
                {GT_FIELD: PixelData(data=data)})
        return packed
