"""Find input images and read ground-truth label maps."""
from pathlib import Path
from typing import List, Union

import numpy as np

from fcn_tools.voc_palette import read_label_indices

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def list_images(path: Union[str, Path]) -> List[Path]:
    """Images given as a file, a folder or a list file.

    Args:
        path (str | Path): An image; a folder (its images, sorted, not
            recursive); or a ``.txt`` file with one image path per line,
            relative paths being relative to the list file's folder.

    Returns:
        list[Path]: The image files.

    Raises:
        FileNotFoundError: If ``path`` or a listed image does not exist.
        ValueError: If there is no image.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f'input {path} does not exist: give an image, a folder of '
            'images or a .txt list of image paths')
    if path.is_dir():
        images = sorted(p for p in path.iterdir()
                        if p.suffix.lower() in IMAGE_EXTENSIONS)
    elif path.suffix.lower() == '.txt':
        images = []
        for line in path.read_text().splitlines():
            if line.strip():
                image = Path(line.strip())
                if not image.is_absolute():
                    image = path.parent / image
                if not image.is_file():
                    raise FileNotFoundError(
                        f'{path}: listed image not found: {image}')
                images.append(image)
    else:
        images = [path]
    if not images:
        raise ValueError(f'no images ({", ".join(IMAGE_EXTENSIONS)}) '
                         f'in {path}')
    return images


def read_label(path: Union[str, Path],
               reduce_zero_label: bool = False) -> np.ndarray:
    """Read a label PNG as class indices, like MMSeg's LoadAnnotations.

    Args:
        path (str | Path): Palette, grey-level or VOC-colour label PNG
            (see :func:`~fcn_tools.voc_palette.read_label_indices`).
        reduce_zero_label (bool): Map 0 to 255 and shift the other labels
            down by one (ADE20K style). Defaults to False.

    Returns:
        np.ndarray: (H, W) uint8 labels.
    """
    label = read_label_indices(path)
    if reduce_zero_label:
        label = label.astype(np.int16) - 1
        label[label < 0] = 255
        label[label == 254] = 255
        label = label.astype(np.uint8)
    return label
