"""The plugin's data: checked datasets, the data checks, class orders."""
from .class_orders import CLASS_ORDERS, ClassOrder, class_rows
from .geo_transforms import LoadGeoAnnotations, PackTwoMapInputs
from .nyud_dataset import FCNNYUDDataset
from .pascal_context_dataset import (FCNPascalContextDataset,
                                     FCNPascalContextDataset59)
from .rgbd_transforms import (LoadDepthFromFile, LoadHHAFromFile,
                              PadModalities, StackModalities)
from .siftflow_dataset import FCNSiftFlowDataset
from .transforms import CheckSegData
from .voc_dataset import FCNVOCDataset

__all__ = [
    'FCNVOCDataset', 'FCNPascalContextDataset', 'FCNPascalContextDataset59',
    'FCNSiftFlowDataset', 'FCNNYUDDataset', 'CheckSegData',
    'LoadGeoAnnotations', 'PackTwoMapInputs', 'LoadDepthFromFile',
    'LoadHHAFromFile', 'StackModalities', 'PadModalities', 'CLASS_ORDERS',
    'ClassOrder', 'class_rows'
]
