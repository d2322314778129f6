"""Original-style Fully Convolutional Networks as an MMSegmentation plugin.

Long, Shelhamer, Darrell, "Fully Convolutional Networks for Semantic
Segmentation", CVPR 2015 / PAMI 2016 (https://arxiv.org/abs/1605.06211).
"""
from .version import __version__

__all__ = ['__version__']
