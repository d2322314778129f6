"""A fix of MMSeg 1.2.2's drawing of 1x1 segmentation maps.

``SegLocalVisualizer._draw_sem_seg`` paints each class with
``mask[sem_seg[0] == label, :] = color``, where ``sem_seg[0]`` is a torch
tensor. For a 1x1 map the comparison is a one-element tensor, which numpy
takes as the integer index 0 or 1 (through ``Tensor.__index__``), not as a
boolean mask: drawing fails with ``IndexError`` or paints the wrong pixel.
This breaks ``show_result_pyplot``, ``MMSegInferencer`` visualisation and
``tools/test.py --show-dir`` on 1x1 images, for any model. The FCN nets
take images down to 1x1 (``conv1_1`` pads by 100), so :func:`install`
hands the map to the same method as a numpy array, which indexes as a
mask at every size; the drawing is otherwise unchanged.

The patch is written against MMSeg 1.2.x (the version this plugin pins);
on another version it is left off with a warning.
"""
import functools
import warnings

import mmseg
import torch
from mmengine.structures import PixelData
from mmseg.visualization import SegLocalVisualizer


def install() -> None:
    """Make ``SegLocalVisualizer`` draw 1x1 maps (idempotent)."""
    if not mmseg.__version__.startswith('1.2.'):
        warnings.warn(
            f'fcn_plugin: the 1x1 drawing fix targets MMSeg 1.2.x, found '
            f'{mmseg.__version__}; it is not applied')
        return
    draw = SegLocalVisualizer._draw_sem_seg
    if getattr(draw, '_fcn_numpy_maps', False):
        return

    @functools.wraps(draw)
    def draw_numpy_map(self, image, sem_seg, *args, **kwargs):
        data = sem_seg.cpu().data
        if isinstance(data, torch.Tensor):
            sem_seg = PixelData(data=data.numpy())
        return draw(self, image, sem_seg, *args, **kwargs)

    draw_numpy_map._fcn_numpy_maps = True
    SegLocalVisualizer._draw_sem_seg = draw_numpy_map
