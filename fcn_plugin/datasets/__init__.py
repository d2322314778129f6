"""The plugin's data: checked datasets, the data checks, class orders."""
from .class_orders import CLASS_ORDERS, ClassOrder, class_rows
from .pascal_context_dataset import (FCNPascalContextDataset,
                                     FCNPascalContextDataset59)
from .transforms import CheckSegData
from .voc_dataset import FCNVOCDataset

__all__ = [
    'FCNVOCDataset', 'FCNPascalContextDataset', 'FCNPascalContextDataset59',
    'CheckSegData', 'CLASS_ORDERS', 'ClassOrder', 'class_rows'
]
