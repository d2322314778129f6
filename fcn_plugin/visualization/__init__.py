"""Pictures of FCN results: label PNGs, comparison grids, training curves.

Plain helpers for ``tools/infer.py``, ``tools/compare.py`` and
``tools/plot_curves.py``; nothing here is registered.
"""
from .curves import load_scalars, plot_curves
from .grid import make_grid
from .images import list_images, read_label
from .palette import VOID_COLOR, colorize, save_label_png
from .predict import load_segmentor, pred_label, predict

__all__ = [
    'VOID_COLOR', 'colorize', 'list_images', 'load_scalars', 'load_segmentor',
    'make_grid', 'plot_curves', 'pred_label', 'predict', 'read_label',
    'save_label_png'
]
