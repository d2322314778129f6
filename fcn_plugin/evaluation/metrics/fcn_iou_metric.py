"""IoU metrics of the FCN paper: fwIoU and boundary (trimap) mIoU."""
import contextlib
import os.path as osp
from collections import OrderedDict
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS
from PIL import Image
from prettytable import PrettyTable

from ..trimap import trimap_bands

Areas = Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


@METRICS.register_module()
class FCNIoUMetric(IoUMetric):
    """MMSeg's IoU metric plus the scores of `FCN
    <https://arxiv.org/abs/1605.06211>`_.

    On top of ``aAcc``, ``mIoU``, ``mAcc`` (and the per-class table) of
    :class:`mmseg.evaluation.IoUMetric`, it reports:

    - ``fwIoU``: frequency weighted IoU, ``sum(freq[freq > 0] *
      iou[freq > 0])`` with ``freq`` the share of ground-truth pixels of
      each class, over the histogram accumulated on the whole dataset (as
      ``score.py`` of the reference implementation computes ``fwavacc``).
    - ``mIoU@band{w}`` for each ``w`` in ``band_widths``: mIoU of the
      pixels within ``w`` pixels of a ground-truth label boundary (the
      trimap evaluation of boundary accuracy, see
      :func:`fcn_plugin.evaluation.trimap_bands`). Void pixels are never
      scored, but void/label transitions count as boundaries.

    All values are percentages rounded to 2 decimals, like MMSeg's.

    ``exclude_classes`` scores a net on a subset of its dataset's classes:
    the ground-truth pixels of an excluded class are not scored (as if
    void), the class leaves every mean and table, and a prediction of it
    on a scored pixel counts as an error. This is PASCAL-Context's
    59-class task for a net that also scores the background, and SIFT
    Flow's scores without the classes absent from its test set. The log
    names the excluded classes.

    Args:
        band_widths (Sequence[int]): Trimap band widths in pixels. Defaults
            to () (no boundary metric).
        fw_iou (bool): Whether to report ``fwIoU``. Defaults to True.
        exclude_classes (Sequence[str]): Names of the dataset's classes
            left out of the scores. Defaults to () (every class).
        **kwargs: See :class:`mmseg.evaluation.IoUMetric`.

    Example:
        >>> test_evaluator = dict(
        ...     type='FCNIoUMetric', iou_metrics=['mIoU'],
        ...     band_widths=[2, 5, 10])
    """

    def __init__(self,
                 band_widths: Sequence[int] = (),
                 fw_iou: bool = True,
                 exclude_classes: Sequence[str] = (),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(exclude_classes, str) or len(
                set(exclude_classes)) != len(exclude_classes):
            raise ValueError('FCNIoUMetric: exclude_classes must be a list '
                             'of distinct class names, got '
                             f'{exclude_classes!r}')
        self.exclude_classes = list(exclude_classes)
        widths = list(band_widths)
        if any(
                isinstance(w, bool) or not isinstance(w, int) or w < 1
                for w in widths) or len(set(widths)) != len(widths):
            raise ValueError('FCNIoUMetric: band_widths must be distinct '
                             f'integers >= 1 (pixels), got {band_widths!r}')
        self.band_widths = widths
        self.fw_iou = fw_iou

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Add the band histograms to MMSeg's per-image areas.

        Args:
            data_batch (dict): A batch of data from the dataloader.
            data_samples (Sequence[dict]): A batch of outputs from the model.
        """
        start = len(self.results)
        data_samples = self._without_excluded(data_samples)
        # MMSeg writes each prediction from ``data.squeeze()``, which is 0-D
        # for a 1x1 image and 1-D for a one-row image; PIL cannot save
        # those. The PNGs are written here from the 2-D map instead.
        output_dir, self.output_dir = self.output_dir, None
        try:
            super().process(data_batch, data_samples)
        finally:
            self.output_dir = output_dir
        if output_dir is not None:
            for sample in data_samples:
                self._save_prediction(sample, output_dir)
        if self.format_only:
            return
        num_classes = len(self.dataset_meta['classes'])
        for k, sample in enumerate(data_samples):
            band_areas = self._band_areas(sample, num_classes)
            self.results[start + k] = (*self.results[start + k], band_areas)

    def _excluded_ids(self) -> List[int]:
        """Indices of ``exclude_classes`` among the dataset's classes."""
        classes = list(self.dataset_meta['classes'])
        unknown = [c for c in self.exclude_classes if c not in classes]
        if unknown:
            raise ValueError(
                f'FCNIoUMetric: exclude_classes names {", ".join(unknown)}, '
                f'which the dataset does not have (its classes: '
                f'{", ".join(classes)})')
        return [classes.index(c) for c in self.exclude_classes]

    def _without_excluded(self, data_samples: Sequence[dict]) -> List[dict]:
        """The samples with excluded classes' ground truth made void."""
        if not self.exclude_classes or self.format_only:
            return list(data_samples)
        ids = self._excluded_ids()
        out = []
        for sample in data_samples:
            label = sample['gt_sem_seg']['data']
            void = torch.isin(label, torch.tensor(ids, device=label.device))
            gt = dict(sample['gt_sem_seg'],
                      data=label.masked_fill(void, self.ignore_index))
            out.append(dict(sample, gt_sem_seg=gt))
        return out

    def _kept(self) -> List[int]:
        excluded = set(self._excluded_ids())
        return [
            i for i in range(len(self.dataset_meta['classes']))
            if i not in excluded
        ]

    @contextlib.contextmanager
    def _scored_classes(self) -> Iterator[None]:
        """``dataset_meta['classes']`` narrowed to the scored classes, for
        MMSeg's tables."""
        if not self.exclude_classes:
            yield
            return
        meta = self._dataset_meta
        classes = list(meta['classes'])
        kept = self._kept()
        self._dataset_meta = dict(meta, classes=[classes[i] for i in kept])
        try:
            yield
        finally:
            self._dataset_meta = meta

    @staticmethod
    def _narrow(areas: Sequence[torch.Tensor],
                kept: Optional[List[int]]) -> Areas:
        if kept is None:
            return tuple(areas)
        index = torch.tensor(kept)
        return tuple(a[index] for a in areas)

    @staticmethod
    def _save_prediction(sample: dict, output_dir: str) -> None:
        """Write the (H, W) label map as ``output_dir/<image name>.png``,
        as MMSeg's IoUMetric does (+1 with ``reduce_zero_label``)."""
        mask = sample['pred_sem_seg']['data'][0].cpu().numpy()
        if sample.get('reduce_zero_label', False):
            mask = mask + 1
        name = osp.splitext(osp.basename(sample['img_path']))[0]
        Image.fromarray(mask.astype(np.uint8)).save(
            osp.join(osp.abspath(output_dir), f'{name}.png'))

    def _band_areas(self, sample: dict, num_classes: int) -> Dict[int, Areas]:
        """Intersection/union/pred/label areas inside each trimap band."""
        if not self.band_widths:
            return {}
        # (1, H, W) -> (H, W); not squeeze(), which breaks 1x1 images.
        pred = sample['pred_sem_seg']['data'][0]
        label = sample['gt_sem_seg']['data'][0].to(pred)
        bands = trimap_bands(label.cpu().numpy(), self.band_widths)
        out = {}
        for width, band in bands.items():
            mask = torch.from_numpy(band).to(pred.device)
            out[width] = self.intersect_and_union(pred[mask], label[mask],
                                                  num_classes,
                                                  self.ignore_index)
        return out

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute MMSeg's metrics, then fwIoU and the band mIoUs.

        Args:
            results (list): Per-image results of :meth:`process`.

        Returns:
            Dict[str, float]: MMSeg's metrics plus ``fwIoU`` and
            ``mIoU@band{w}``.
        """
        if self.format_only:
            return super().compute_metrics(results)
        kept = self._kept() if self.exclude_classes else None
        areas = [self._narrow(r[:4], kept) for r in results]
        if self.exclude_classes:
            print_log(
                f'scored on {len(kept)} of '
                f'{len(self.dataset_meta["classes"])} classes; excluded: '
                f'{", ".join(self.exclude_classes)} (its ground truth is '
                'not scored, a prediction of it is an error)',
                MMLogger.get_current_instance())
        with self._scored_classes():
            metrics = super().compute_metrics(areas)
            if self.fw_iou:
                metrics['fwIoU'] = self._fw_iou(areas)
            if self.band_widths:
                metrics.update(
                    self._band_metrics([{
                        w: self._narrow(a, kept)
                        for w, a in r[4].items()
                    } for r in results]))
        return metrics

    @staticmethod
    def _sum_areas(results: List[Areas]) -> List[np.ndarray]:
        return [sum(col).numpy().astype(np.float64) for col in zip(*results)]

    def _fw_iou(self, results: List[Areas]) -> float:
        intersect, union, _, label = self._sum_areas(results)
        freq = label / label.sum()
        valid = freq > 0
        fw = (freq[valid] * intersect[valid] / union[valid]).sum()
        return float(np.round(fw * 100, 2))

    def _band_metrics(self, results: List[Dict[int,
                                               Areas]]) -> Dict[str, float]:
        logger: MMLogger = MMLogger.get_current_instance()
        table = PrettyTable()
        table.add_column('Class', list(self.dataset_meta['classes']))
        metrics = OrderedDict()
        for width in self.band_widths:
            intersect, union, _, _ = self._sum_areas(
                [r[width] for r in results])
            with np.errstate(divide='ignore', invalid='ignore'):
                iou = intersect / union
            if self.nan_to_num is not None:
                iou = np.nan_to_num(iou, nan=self.nan_to_num)
            key = f'mIoU@band{width}'
            if np.isnan(iou).all():
                print_log(
                    f'{key}: no labelled pixel lies within {width} px '
                    'of a ground-truth boundary', logger)
                metrics[key] = float('nan')
            else:
                metrics[key] = float(np.round(np.nanmean(iou) * 100, 2))
            table.add_column(f'IoU@band{width}', np.round(iou * 100, 2))
        print_log('per class results within the boundary bands:', logger)
        print_log('\n' + table.get_string(), logger=logger)
        return metrics
