"""Original-style Fully Convolutional Networks as an MMSegmentation plugin.

Long, Shelhamer, Darrell, "Fully Convolutional Networks for Semantic
Segmentation", CVPR 2015 / PAMI 2016 (https://arxiv.org/abs/1605.06211).

Importing this package registers the plugin's models, datasets, metrics and
hooks in MMSeg's registries, makes MMEngine load its own checkpoints with
``weights_only`` safe loading (see :mod:`fcn_plugin.utils.safe_checkpoint`),
and lets MMSeg's ``SegLocalVisualizer`` draw 1x1 maps
(:mod:`fcn_plugin.utils.mmseg_fixes`).
Configs pull it in with ``custom_imports = dict(imports=['fcn_plugin'])``.
"""
from .utils import install_mmseg_fixes, install_safe_checkpoint_loading
from .version import __version__

install_safe_checkpoint_loading()
install_mmseg_fixes()

from . import (datasets, engine, evaluation, models,  # noqa: E402,F401
               visualization)

__all__ = ['__version__']
