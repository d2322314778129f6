"""Trimap bands around ground-truth label boundaries."""
from typing import Dict, Sequence

import numpy as np


def label_boundary(label: np.ndarray) -> np.ndarray:
    """Pixels that have a 4-neighbour with a different label value.

    Both sides of every transition are marked. The void value (e.g. 255)
    is an ordinary value here, so on PASCAL VOC, whose objects are outlined
    by a thin void band, the boundary follows that outline.

    Args:
        label (np.ndarray): Ground-truth map of shape (H, W).

    Returns:
        np.ndarray: Boolean map of shape (H, W).
    """
    if label.ndim != 2:
        raise ValueError(
            f'label_boundary expects an (H, W) map, got {label.shape}')
    edge = np.zeros(label.shape, dtype=bool)
    horizontal = label[:, 1:] != label[:, :-1]
    vertical = label[1:, :] != label[:-1, :]
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    edge[1:, :] |= vertical
    edge[:-1, :] |= vertical
    return edge


def trimap_bands(label: np.ndarray,
                 widths: Sequence[int]) -> Dict[int, np.ndarray]:
    """Trimap bands of several widths around the label boundaries.

    A pixel lies in the band of width ``w`` when its Euclidean distance to
    the nearest boundary pixel (see :func:`label_boundary`) is less than
    ``w``. A straight boundary thus gets a band of ``w`` pixels on each
    side. A map without boundaries has empty bands.

    Args:
        label (np.ndarray): Ground-truth map of shape (H, W).
        widths (Sequence[int]): Band widths in pixels, each >= 1.

    Returns:
        dict[int, np.ndarray]: Boolean (H, W) band mask for each width.
    """
    from scipy.ndimage import distance_transform_edt  # only for trimaps
    edge = label_boundary(label)
    if not edge.any():
        return {w: np.zeros(label.shape, dtype=bool) for w in widths}
    distance = distance_transform_edt(~edge)
    return {w: distance < w for w in widths}
