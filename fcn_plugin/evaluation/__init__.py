from .metrics import FCNIoUMetric
from .trimap import label_boundary, trimap_bands

__all__ = ['FCNIoUMetric', 'label_boundary', 'trimap_bands']
