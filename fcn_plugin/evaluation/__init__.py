from .metrics import FCNIoUMetric, FCNTwoMapMetric
from .trimap import label_boundary, trimap_bands

__all__ = ['FCNIoUMetric', 'FCNTwoMapMetric', 'label_boundary', 'trimap_bands']
