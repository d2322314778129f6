from .alexnet_caffe import AlexNetCaffe
from .vgg16_caffe import VGG16Caffe

__all__ = ['VGG16Caffe', 'AlexNetCaffe']
