"""The PASCAL VOC colour map and palette-label helpers of the tools."""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from PIL import Image

from fcn_plugin.datasets.palettes import pascal_colormap

#: Label value of "void" pixels (object borders, difficult regions).
VOC_IGNORE_INDEX = 255
#: Number of VOC classes, background included.
VOC_NUM_CLASSES = 21


def voc_palette() -> List[int]:
    """The 256-entry VOC colour map as a flat ``[r, g, b, ...]`` list.

    The plugin's :func:`~fcn_plugin.datasets.palettes.pascal_colormap`
    (the VOC devkit's ``VOClabelcolormap``): 0 is black, 1 is (128, 0, 0),
    ..., 255 (void) is (224, 224, 192).

    Returns:
        list[int]: 768 values, the palette of VOC ``SegmentationClass`` PNGs.
    """
    return [value for rgb in pascal_colormap(256) for value in rgb]


def _colour_to_index() -> Dict[Tuple[int, int, int], int]:
    flat = voc_palette()
    table = {}
    for index in list(range(VOC_NUM_CLASSES)) + [VOC_IGNORE_INDEX]:
        table[tuple(flat[3 * index:3 * index + 3])] = index
    return table


def read_label_indices(path: Union[str, Path]) -> np.ndarray:
    """Read a VOC label PNG as an ``(H, W)`` uint8 array of class indices.

    Palette (``P``) and grayscale (``L``) PNGs are read as they are;
    colour-coded RGB(A) PNGs are mapped back through the VOC colour map.

    Args:
        path (str | Path): The label file.

    Returns:
        np.ndarray: Class indices (0..20, 255 for void).

    Raises:
        ValueError: If the file cannot be decoded, or an RGB label holds a
            colour that is not a VOC class colour.
    """
    try:
        with Image.open(path) as img:
            mode = img.mode
            array = np.array(
                img.convert('RGB') if mode in ('RGB', 'RGBA') else img)
    except (OSError, SyntaxError) as err:
        raise ValueError(f'cannot read label {path}: {err}') from err
    if mode in ('P', 'L'):
        return array.astype(np.uint8)
    if mode not in ('RGB', 'RGBA'):
        raise ValueError(f'label {path} has image mode {mode!r}; expected a '
                         'palette, grayscale or VOC-colour RGB PNG')
    codes = (array[..., 0].astype(np.int64) << 16) | (
        array[..., 1].astype(np.int64) << 8) | array[..., 2]
    out = np.full(codes.shape, -1, np.int64)
    for (r, g, b), index in _colour_to_index().items():
        out[codes == (r << 16 | g << 8 | b)] = index
    if (out < 0).any():
        bad = sorted({tuple(c) for c in array[out < 0][:1000].tolist()})
        raise ValueError(f'label {path} has colours that are not VOC class '
                         f'colours: {bad[:5]}')
    return out.astype(np.uint8)


def palette_table(
        palette: Optional[Sequence[Sequence[int]]] = None) -> np.ndarray:
    """A 256x3 uint8 colour table for label maps.

    Args:
        palette (Sequence[Sequence[int]], optional): RGB colour of each
            class (a dataset's ``metainfo['palette']``), at most 255 of
            them; indices past the classes are black and the void index 255
            keeps VOC's void colour. Defaults to the full VOC colour map.

    Returns:
        np.ndarray: (256, 3) uint8 table indexed by class.
    """
    voc = np.asarray(voc_palette(), np.uint8).reshape(256, 3)
    if palette is None:
        return voc
    if len(palette) > VOC_IGNORE_INDEX:
        raise ValueError('a palette PNG holds at most '
                         f'{VOC_IGNORE_INDEX} classes, got {len(palette)}')
    table = np.zeros((256, 3), np.uint8)
    table[:len(palette)] = np.asarray(palette, np.uint8).reshape(-1, 3)
    table[VOC_IGNORE_INDEX] = voc[VOC_IGNORE_INDEX]
    return table


def colorize(label: np.ndarray,
             palette: Optional[Sequence[Sequence[int]]] = None) -> np.ndarray:
    """Paint a label map.

    Args:
        label (np.ndarray): (H, W) class indices; 255 is void.
        palette (Sequence[Sequence[int]], optional): See
            :func:`palette_table`. Defaults to the VOC colour map.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB image.
    """
    return palette_table(palette)[label.astype(np.uint8)]


def save_palette_png(
        label: np.ndarray,
        path: Union[str, Path],
        palette: Optional[Sequence[Sequence[int]]] = None) -> None:
    """Save class indices as a palette ('P' mode) PNG.

    The pixel values stay the class indices (as in VOC's
    ``SegmentationClass`` PNGs), so the file can be evaluated directly.

    Args:
        label (np.ndarray): ``(H, W)`` uint8 class indices; 255 is void.
        path (str | Path): Where to write the PNG.
        palette (Sequence[Sequence[int]], optional): See
            :func:`palette_table`. Defaults to the VOC colour map.
    """
    img = Image.fromarray(np.ascontiguousarray(label, np.uint8))
    img.putpalette(palette_table(palette).flatten().tolist())  # L -> P
    img.save(path, format='PNG')
