from .fcn_iou_metric import FCNIoUMetric
from .two_map_metric import FCNTwoMapMetric

__all__ = ['FCNIoUMetric', 'FCNTwoMapMetric']
