"""PASCAL VOC data: checked dataset, data checks, synthetic VOC."""
from .synthetic import make_synthetic_sbd, make_synthetic_voc
from .transforms import CheckSegData
from .voc_dataset import FCNVOCDataset
from .voc_palette import read_label_indices, save_palette_png, voc_palette

__all__ = [
    'FCNVOCDataset', 'CheckSegData', 'make_synthetic_voc',
    'make_synthetic_sbd', 'voc_palette', 'read_label_indices',
    'save_palette_png'
]
