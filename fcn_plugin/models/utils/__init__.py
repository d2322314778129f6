from .caffe_geometry import (bilinear_kernel, caffe_crop, fc_size,
                             pooled_size)

__all__ = ['bilinear_kernel', 'caffe_crop', 'fc_size', 'pooled_size']
