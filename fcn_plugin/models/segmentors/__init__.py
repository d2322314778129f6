from .late_fusion_encoder_decoder import LateFusionEncoderDecoder
from .precision_encoder_decoder import (PRECISIONS, PrecisionEncoderDecoder,
                                        bf16_cpu_problem, set_precision)
from .rgbd_data_preprocessor import RGBDDataPreProcessor
from .two_head_encoder_decoder import TwoHeadEncoderDecoder
from .two_map_data_preprocessor import TwoMapDataPreProcessor

__all__ = [
    'PRECISIONS', 'PrecisionEncoderDecoder', 'LateFusionEncoderDecoder',
    'RGBDDataPreProcessor',
    'TwoHeadEncoderDecoder', 'TwoMapDataPreProcessor',
    'bf16_cpu_problem', 'set_precision'
]
