"""Draw both label maps of a two-headed net: semantic above geometric."""
import contextlib
from typing import Iterator, Optional

import mmcv
import numpy as np
from mmseg.registry import VISUALIZERS
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from ..datasets.geo_transforms import GT_FIELD, PRED_FIELD

#: (ground-truth field, prediction field) of the second map.
GEO_FIELDS = (GT_FIELD, PRED_FIELD)


@VISUALIZERS.register_module()
class TwoMapSegVisualizer(SegLocalVisualizer):
    """MMSeg's ``SegLocalVisualizer`` that also draws the geometric map.

    For the SIFT Flow net of `FCN <https://arxiv.org/abs/1605.06211>`_ a
    sample carries a semantic map (``gt_sem_seg`` / ``pred_sem_seg``) and a
    geometric one (``gt_geo_seg`` / ``pred_geo_seg``). Each is drawn as
    MMSeg draws a map (ground truth left, prediction right, class names on
    the regions), the semantic row in ``dataset_meta['classes']`` /
    ``['palette']``, the geometric row below it in
    ``dataset_meta['geo_classes']`` / ``['geo_palette']`` (the dataset's
    METAINFO, e.g. ``FCNSiftFlowDataset``'s), into one picture. A sample
    without a geometric map is drawn exactly as MMSeg draws it. So
    ``tools/test.py --show-dir``, ``SegVisualizationHook`` and
    ``MMSegInferencer`` draw both maps when the config names this
    visualizer. ``MMSegInferencer`` passes the visualizer only ``classes``
    and ``palette``; the geometric ones then come from ``geo_meta``.

    Args:
        name (str): The instance name (MMEngine's). Defaults to
            'visualizer'.
        geo_meta (dict, optional): ``geo_classes`` and ``geo_palette`` for
            when ``dataset_meta`` lacks them. Defaults to None:
            ``FCNSiftFlowDataset``'s.
        **kwargs: See :class:`mmseg.visualization.SegLocalVisualizer`.
    """

    _capture: Optional[list] = None

    def __init__(self,
                 name: str = 'visualizer',
                 geo_meta: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        if geo_meta is None:
            from fcn_plugin.datasets import FCNSiftFlowDataset
            geo_meta = FCNSiftFlowDataset.METAINFO
        self.geo_meta = dict(
            geo_classes=tuple(geo_meta['geo_classes']),
            geo_palette=[list(c) for c in geo_meta['geo_palette']])

    def add_image(self, name: str, image: np.ndarray, step: int = 0) -> None:
        """Store the picture in the backends (or keep it, while drawing one
        row of a two-map picture)."""
        if self._capture is not None:
            self._capture.append(image)
            return
        super().add_image(name, image, step)

    def _row(self, image: np.ndarray, sample: SegDataSample, draw_gt: bool,
             draw_pred: bool, with_labels: bool) -> np.ndarray:
        """One map drawn by MMSeg's ``add_datasample``, kept here."""
        self._capture = []
        try:
            super().add_datasample(
                '', image, sample, draw_gt=draw_gt, draw_pred=draw_pred,
                with_labels=with_labels)
            (row, ) = self._capture
        finally:
            self._capture = None
        return row

    @contextlib.contextmanager
    def _geo_meta(self) -> Iterator[None]:
        meta = self.dataset_meta
        geo = meta if 'geo_classes' in meta and 'geo_palette' in meta \
            else self.geo_meta
        self.dataset_meta = dict(
            classes=geo['geo_classes'], palette=geo['geo_palette'])
        try:
            yield
        finally:
            self.dataset_meta = meta

    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[SegDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0,
                       with_labels: Optional[bool] = True) -> None:
        """Draw the sample's maps and save to all backends (or
        ``out_file``), as :class:`SegLocalVisualizer` does.

        Args:
            name (str): The image identifier.
            image (np.ndarray): The image (RGB) to draw on.
            data_sample (SegDataSample, optional): Maps to draw.
            draw_gt (bool): Whether to draw the ground truths.
            draw_pred (bool): Whether to draw the predictions.
            show (bool): Whether to display the picture.
            wait_time (float): The interval of show (s).
            out_file (str, optional): Where to write the picture.
            step (int): Global step value to record.
            with_labels (bool, optional): Whether to write class names.
        """
        if data_sample is None or not any(f in data_sample
                                          for f in GEO_FIELDS):
            super().add_datasample(name, image, data_sample, draw_gt,
                                   draw_pred, show, wait_time, out_file,
                                   step, with_labels)
            return
        semantic = SegDataSample(metainfo=data_sample.metainfo)
        geo = SegDataSample(metainfo=data_sample.metainfo)
        for field in ('gt_sem_seg', 'pred_sem_seg'):
            if field in data_sample:
                semantic.set_data({field: data_sample.get(field)})
        for field, as_field in zip(GEO_FIELDS,
                                   ('gt_sem_seg', 'pred_sem_seg')):
            if field in data_sample:
                geo.set_data({as_field: data_sample.get(field)})
        rows = [self._row(image, semantic, draw_gt, draw_pred, with_labels)]
        with self._geo_meta():
            rows.append(self._row(image, geo, draw_gt, draw_pred,
                                  with_labels))
        width = max(r.shape[1] for r in rows)
        drawn = np.concatenate([
            np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)))
            for r in rows
        ], axis=0)
        self.set_image(drawn)  # what get_image() (MMSegInferencer) returns
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawn), out_file)
        else:
            self.add_image(name, drawn, step)
