"""PASCAL VOC data: the checked dataset and the data checks."""
from .transforms import CheckSegData
from .voc_dataset import FCNVOCDataset

__all__ = ['FCNVOCDataset', 'CheckSegData']
