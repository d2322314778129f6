from .vgg16_caffe import VGG16Caffe

__all__ = ['VGG16Caffe']
