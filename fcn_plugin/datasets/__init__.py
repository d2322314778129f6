"""PASCAL VOC data: checked dataset, checked loading, synthetic VOC."""
from .synthetic import make_synthetic_sbd, make_synthetic_voc
from .transforms import LoadCheckedAnnotations, LoadCheckedImageFromFile
from .voc_dataset import FCNVOCDataset
from .voc_palette import read_label_indices, save_palette_png, voc_palette

__all__ = [
    'FCNVOCDataset', 'LoadCheckedImageFromFile', 'LoadCheckedAnnotations',
    'make_synthetic_voc', 'make_synthetic_sbd', 'voc_palette',
    'read_label_indices', 'save_palette_png'
]
