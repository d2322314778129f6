"""How an FCN head declares its layers (see ``FCN32sHead.layers``)."""
from typing import NamedTuple, Optional, Union


class ScoreLayer(NamedTuple):
    """A 1x1 score layer (``nn.Conv2d`` with bias) of an FCN head.

    Args:
        name (str): Caffe layer name, also the attribute and state-dict
            name (``score_fr``, ``score_pool4``, ``score_pool3``).
        reads (str): Backbone output it scores (``'fc7'``, ``'pool4'``,
            ``'pool3'``; with ``VGG16Caffe(with_fc=False)`` ``score_fr``
            reads pool5).
        crop_offset (int): For a skip, the Caffe crop offset of its scores
            to the upsampled map they are added to. 0 for ``score_fr``.
        scale (str, optional): Head attribute holding the constant the
            input is multiplied by first (the at-once ``Scale`` layers).
    """
    name: str
    reads: str
    crop_offset: int = 0
    scale: Optional[str] = None


class UpscoreLayer(NamedTuple):
    """A bias-free transposed convolution (``upscore*``) of an FCN head.

    Args:
        name (str): Caffe layer name, also the attribute name.
        kernel (int): Square kernel size (twice the stride).
        stride (int): Upsampling factor.
    """
    name: str
    kernel: int
    stride: int


HeadLayer = Union[ScoreLayer, UpscoreLayer]
