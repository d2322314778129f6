from .caffe_geometry import bilinear_kernel, caffe_crop, fc_size, pooled_size
from .im2col_gemm import IM2COL_MAX_BYTES, conv_rows, im2col_bytes, rows_to_map

__all__ = [
    'bilinear_kernel', 'caffe_crop', 'fc_size', 'pooled_size',
    'IM2COL_MAX_BYTES', 'conv_rows', 'im2col_bytes', 'rows_to_map'
]
