"""A pipeline step that checks a loaded image and its label by file name."""
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS
from PIL import Image

#: Bytes at the end of a JPEG searched for its end-of-image marker.
_JPEG_TAIL = 4096
#: How many bad label values an error message lists.
_SHOWN = 10
#: MMSeg's void label (LoadAnnotations, losses, IoUMetric).
_IGNORE = 255


def _is_local(path: Optional[str]) -> bool:
    return bool(path) and '://' not in path and osp.isfile(path)


def check_jpeg_complete(path: str) -> None:
    """Raise if a local JPEG file lacks its end-of-image (``FFD9``) marker.

    OpenCV decodes a truncated JPEG without an error (the missing rows come
    out grey), so truncation is detected from the file itself. Files that
    are not JPEGs, and files that are not local, are left to the decoder.

    Args:
        path (str): The image file.

    Raises:
        ValueError: If ``path`` starts like a JPEG but has no end marker.
    """
    if not _is_local(path):
        return
    with open(path, 'rb') as f:
        if f.read(2) != b'\xff\xd8':
            return  # not a JPEG; the decoder judges it
        size = f.seek(0, 2)
        f.seek(max(size - _JPEG_TAIL, 0))
        tail = f.read()
    if b'\xff\xd9' not in tail:
        raise ValueError(f'image {path} is a truncated or corrupt JPEG (no '
                         'end-of-image marker); re-extract or replace it')


def _stored_label_shape(path: Optional[str], label: np.ndarray,
                        image_hw: Tuple[int, int]) -> tuple:
    """The (H, W) or (H, W, C) shape of a label as stored in its file.

    MMSeg's ``LoadAnnotations`` squeezes the decoded label, so a ``1 x W``
    label arrives as ``(W,)``; the PNG header tells the real shape. For a
    file that cannot be opened here (e.g. remote), a squeezed label of the
    image's pixel count is taken as the image's shape.
    """
    if _is_local(path):
        try:
            with Image.open(path) as img:
                w, h = img.size
                bands = len(img.getbands())
            return (h, w) if bands == 1 else (h, w, bands)
        except OSError:
            pass
    if label.ndim < 2 and label.size == image_hw[0] * image_hw[1]:
        return tuple(image_hw)
    return label.shape


@TRANSFORMS.register_module()
class CheckSegData(BaseTransform):
    """Check the image and label a pipeline has just loaded.

    For the data of `Fully Convolutional Networks for Semantic Segmentation
    <https://arxiv.org/abs/1605.06211>`_, on any MMSeg dataset: placed right
    after MMSeg's stock ``LoadImageFromFile`` and ``LoadAnnotations``, it
    stops on bad data with one error naming the file, instead of training
    on it silently:

    - a truncated JPEG (which OpenCV decodes with grey rows) by the file's
      missing end-of-image marker;
    - an image that did not decode to ``(H, W, 3)``;
    - a colour-coded (RGB-painted) label instead of a single-channel
      (palette or grayscale) PNG of class indices;
    - a label whose size differs from its image's;
    - with ``num_classes`` given, label values outside
      ``0 .. num_classes - 1`` and ``ignore_index`` (with the dataset's
      ``reduce_zero_label``, read from the sample, the file's values
      ``0 .. num_classes``; values are reported as stored in the file).

    The class count is not part of a loaded sample (MMSeg keeps it in the
    dataset's ``metainfo``), so it is an argument: give the same number as
    ``model.decode_head.num_classes``, e.g. from one ``num_classes``
    variable in the config. Without it, label values are not checked and
    every other check still runs. The ignore index defaults to 255, the
    void label of MMSeg's ``LoadAnnotations`` (which maps 0 to it under
    ``reduce_zero_label``), losses and ``IoUMetric``.

    It also restores the 2-D shape of a ``1 x W`` or ``1 x 1`` label, which
    ``LoadAnnotations`` squeezes to ``(W,)`` or ``()``. Without a loaded
    label (``gt_seg_map``), as in MMSeg's ``inference_model`` and
    ``MMSegInferencer``, which drop ``LoadAnnotations``, it does nothing.

    Required Keys:

    - img
    - ori_shape
    - gt_seg_map (optional)
    - img_path (optional)
    - seg_map_path (optional)
    - reduce_zero_label (optional)

    Modified Keys:

    - gt_seg_map (``(H, W)`` again if it was squeezed)

    Args:
        num_classes (int, optional): Number of classes of the dataset and
            the model. Defaults to None: label values are not checked.
        ignore_index (int, optional): The void label. Defaults to None,
            which is 255.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 ignore_index: Optional[int] = None) -> None:
        if num_classes is not None and not 0 < num_classes <= 256:
            raise ValueError('CheckSegData: num_classes must be in 1..256 '
                             f'(or None), got {num_classes}')
        self.num_classes = num_classes
        self.ignore_index = _IGNORE if ignore_index is None else ignore_index

    def transform(self, results: dict) -> dict:
        """Check ``results``; fix the shape of a squeezed label.

        Args:
            results (dict): The loaded sample.

        Returns:
            dict: ``results``, with a 2-D ``gt_seg_map``.

        Raises:
            ValueError: If the image or label is bad (see the class).
        """
        if results.get('gt_seg_map') is None:
            return results
        img_path = results.get('img_path')
        check_jpeg_complete(img_path)
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'image {img_path} decoded to shape '
                             f'{img.shape}, expected (H, W, 3)')
        self._check_shape(results)
        self._check_values(results)
        return results

    @staticmethod
    def _check_shape(results: dict) -> None:
        label = results['gt_seg_map']
        path = results.get('seg_map_path')
        h, w = results.get('ori_shape', results['img'].shape)[:2]
        if label.shape == (h, w):
            return
        stored = _stored_label_shape(path, label, (h, w))
        if len(stored) == 3 and stored[2] > 1:
            raise ValueError(
                f'label {path} has shape {stored}; expected a '
                'single-channel (palette or grayscale) PNG of class indices, '
                'not a colour-coded image')
        if tuple(stored) != (h, w) or label.size != h * w:
            size = 'x'.join(str(n) for n in stored)
            raise ValueError(
                f'label {path} is {size} (HxW) but its image '
                f"{results.get('img_path')} is {h}x{w}")
        results['gt_seg_map'] = label.reshape(h, w)

    def _check_values(self, results: dict) -> None:
        if self.num_classes is None:
            return
        label = results['gt_seg_map']
        if label.dtype == np.uint8:
            present = np.flatnonzero(np.bincount(label.ravel(), minlength=1))
        else:
            present = np.unique(label)
        bad = [
            int(v) for v in present
            if not (0 <= v < self.num_classes or v == self.ignore_index)
        ]
        if not bad:
            return
        top = self.num_classes - 1
        reduced = bool(results.get('reduce_zero_label'))
        if reduced:
            # LoadAnnotations stored value - 1; report the file's values.
            bad = [v + 1 for v in bad]
            top += 1
        shown: Sequence = bad if len(bad) <= _SHOWN else bad[:_SHOWN] + [
            '...'
        ]
        raise ValueError(
            f"label {results.get('seg_map_path')} has values {shown} "
            f'outside 0..{top} and the ignore index {self.ignore_index}; '
            'fix the label, or set num_classes (CheckSegData and '
            f'model.decode_head, now {self.num_classes}), ignore_index or '
            f"the dataset's reduce_zero_label (now {reduced}) to match the "
            'data')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index})')
