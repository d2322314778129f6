from .fcn_iou_metric import FCNIoUMetric

__all__ = ['FCNIoUMetric']
