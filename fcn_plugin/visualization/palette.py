"""Colour label maps with a dataset palette."""
from typing import Sequence

import numpy as np
from PIL import Image

#: Colour of the void label (255), as in PASCAL VOC's palette PNGs.
VOID_COLOR = (224, 224, 192)


def _palette_array(palette: Sequence[Sequence[int]]) -> np.ndarray:
    """A 256x3 uint8 palette: the classes, then black, void at 255."""
    if len(palette) > 255:
        raise ValueError(
            f'a palette PNG holds at most 255 classes, got {len(palette)}')
    table = np.zeros((256, 3), np.uint8)
    table[:len(palette)] = np.asarray(palette, np.uint8).reshape(-1, 3)
    table[255] = VOID_COLOR
    return table


def colorize(label: np.ndarray,
             palette: Sequence[Sequence[int]]) -> np.ndarray:
    """Paint a label map.

    Args:
        label (np.ndarray): (H, W) class indices; 255 is void.
        palette (Sequence[Sequence[int]]): RGB colour of each class.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB image.
    """
    return _palette_array(palette)[label.astype(np.uint8)]


def save_label_png(label: np.ndarray, palette: Sequence[Sequence[int]],
                   path: str) -> None:
    """Save a label map as a palette ('P' mode) PNG.

    The pixel values stay the class indices (as in VOC's
    ``SegmentationClass`` PNGs), so the file can be evaluated directly.

    Args:
        label (np.ndarray): (H, W) class indices; 255 is void.
        palette (Sequence[Sequence[int]]): RGB colour of each class.
        path (str): Output file.
    """
    img = Image.fromarray(label.astype(np.uint8), mode='P')
    img.putpalette(_palette_array(palette).flatten().tolist())
    img.save(path)
