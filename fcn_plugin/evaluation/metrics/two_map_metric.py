"""FCN's scores of a two-headed net: semantic ones and geometric accuracy."""
from typing import Dict, Sequence

import torch
from mmengine.logging import MMLogger, print_log
from mmseg.registry import METRICS

from ...datasets.geo_transforms import GT_FIELD, PRED_FIELD
from .fcn_iou_metric import FCNIoUMetric


@METRICS.register_module()
class FCNTwoMapMetric(FCNIoUMetric):
    """:class:`FCNIoUMetric` on the semantic map plus the geometric pixel
    accuracy, for the SIFT Flow net of `FCN
    <https://arxiv.org/abs/1605.06211>`_ (CVPR 2015, table 5: pixel acc,
    mean acc, mean IU, f.w. IU and geometric accuracy).

    The semantic scores are :class:`FCNIoUMetric`'s (with
    ``exclude_classes``, e.g. SIFT Flow's classes absent from its test set,
    left out and named in the log). ``geoAcc`` is the share of labelled
    geometric pixels (``gt_geo_seg`` other than the ignore index) whose
    ``pred_geo_seg`` is right, over the whole dataset, in percent rounded
    to 2 decimals like MMSeg's scores.

    Args:
        **kwargs: See :class:`FCNIoUMetric`.

    Example:
        >>> test_evaluator = dict(
        ...     type='FCNTwoMapMetric', iou_metrics=['mIoU'],
        ...     exclude_classes=['cow', 'desert', 'moon'])
    """

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """The semantic areas, then the geometric right/labelled counts.

        Args:
            data_batch (dict): A batch of data from the dataloader.
            data_samples (Sequence[dict]): A batch of outputs from the model.

        Raises:
            KeyError: If a sample lacks the geometric prediction or map.
        """
        start = len(self.results)
        super().process(data_batch, data_samples)
        if self.format_only:
            return
        for k, sample in enumerate(data_samples):
            for field in (PRED_FIELD, GT_FIELD):
                if field not in sample:
                    raise KeyError(
                        f'FCNTwoMapMetric: {sample.get("img_path")} has no '
                        f'{field}; it scores TwoHeadEncoderDecoder outputs '
                        'on data loaded with LoadGeoAnnotations and packed '
                        'with PackTwoMapInputs')
            pred = sample[PRED_FIELD]['data'][0]
            label = sample[GT_FIELD]['data'][0].to(pred)
            valid = label != self.ignore_index
            counts = torch.stack([(pred[valid] == label[valid]).sum(),
                                  valid.sum()]).cpu()
            self.results[start + k] = (*self.results[start + k], counts)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """:class:`FCNIoUMetric`'s scores plus ``geoAcc``.

        Args:
            results (list): Per-image results of :meth:`process`.

        Returns:
            Dict[str, float]: The semantic scores and ``geoAcc``.
        """
        metrics = super().compute_metrics([r[:5] for r in results])
        if self.format_only:
            return metrics
        right, labelled = (int(v) for v in sum(r[5] for r in results))
        acc = 100. * right / labelled if labelled else float('nan')
        metrics['geoAcc'] = round(acc, 2)
        print_log(
            f'geometric pixel accuracy: {metrics["geoAcc"]} ({right} of '
            f'{labelled} labelled pixels)', MMLogger.get_current_instance())
        return metrics
