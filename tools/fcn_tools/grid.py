"""Side-by-side picture grids with column titles."""
import math
from typing import Optional, Sequence

import cv2
import numpy as np

#: Narrow images are enlarged (nearest neighbour) to at least this width,
#: so that the column titles fit.
MIN_COLUMN_WIDTH = 160
TITLE_HEIGHT = 28
GAP = 4


def _fit(img: np.ndarray, height: int, width: int) -> np.ndarray:
    if img.shape[:2] != (height, width):
        img = cv2.resize(img, (width, height), interpolation=cv2.INTER_NEAREST)
    return img


def make_grid(columns: Sequence[Optional[np.ndarray]],
              titles: Sequence[str],
              min_width: int = MIN_COLUMN_WIDTH) -> np.ndarray:
    """One row of equally sized RGB images, each under its title.

    Args:
        columns (Sequence[np.ndarray | None]): (H, W, 3) uint8 RGB images,
            all shown at the size of the first one; ``None`` leaves a grey
            tile marked "n/a" (e.g. no ground truth).
        titles (Sequence[str]): One title per column.
        min_width (int): Small images are enlarged by an integer factor to
            at least this width. Defaults to 160.

    Returns:
        np.ndarray: The (H', W', 3) uint8 RGB grid.
    """
    if len(columns) != len(titles):
        raise ValueError(f'{len(columns)} columns but {len(titles)} titles')
    if columns[0] is None:
        raise ValueError('the first column (the input) is required')
    h, w = columns[0].shape[:2]
    scale = max(1, math.ceil(min_width / w))
    h, w = h * scale, w * scale
    font, font_scale, thickness = cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1
    grid = np.full((TITLE_HEIGHT + h, len(columns) * (w + GAP) - GAP, 3), 255,
                   np.uint8)
    for i, (img, title) in enumerate(zip(columns, titles)):
        x = i * (w + GAP)
        if img is None:
            tile = np.full((h, w, 3), 200, np.uint8)
            cv2.putText(tile, 'n/a', (w // 2 - 12, h // 2), font, font_scale,
                        (90, 90, 90), thickness, cv2.LINE_AA)
        else:
            tile = _fit(np.ascontiguousarray(img[..., :3]), h, w)
        grid[TITLE_HEIGHT:, x:x + w] = tile
        (tw, th), _ = cv2.getTextSize(title, font, font_scale, thickness)
        cv2.putText(grid, title,
                    (x + max(0, (w - tw) // 2), (TITLE_HEIGHT + th) // 2),
                    font, font_scale, (0, 0, 0), thickness, cv2.LINE_AA)
    return grid
