"""Loading transforms that reject bad images and labels by file name."""
import os.path as osp
from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadImageFromFile

from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

#: Bytes at the end of a JPEG searched for its end-of-image marker.
_JPEG_TAIL = 4096


def _check_local_file(path: str, what: str) -> bool:
    """Raise if a local file is missing; return whether it is local."""
    if '://' in path:
        return False
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} file {path} does not exist')
    return True


def _check_jpeg_complete(path: str) -> None:
    """Raise if a JPEG file lacks its end-of-image (``FFD9``) marker.

    OpenCV decodes a truncated JPEG without an error (the missing rows come
    out grey), so truncation is detected from the file itself.
    """
    with open(path, 'rb') as f:
        head = f.read(2)
        if head != b'\xff\xd8':
            return  # not a JPEG; the decoder judges it
        size = f.seek(0, 2)
        f.seek(max(size - _JPEG_TAIL, 0))
        tail = f.read()
    if b'\xff\xd9' not in tail:
        raise ValueError(f'image {path} is a truncated or corrupt JPEG (no '
                         'end-of-image marker); re-extract or replace it')


@TRANSFORMS.register_module()
class LoadCheckedImageFromFile(LoadImageFromFile):
    """Load an image as 3-channel BGR, naming the file when that fails.

    Same as :class:`mmcv.transforms.LoadImageFromFile` (used by MMSeg's
    configs), plus, for the data of `Fully Convolutional Networks for
    Semantic Segmentation <https://arxiv.org/abs/1605.06211>`_:

    - a missing file raises ``FileNotFoundError`` naming it;
    - a truncated JPEG (which OpenCV would silently decode with grey rows)
      or an undecodable file raises ``ValueError`` naming it;
    - with ``color_type='color'`` (default) the result is always
      ``(H, W, 3)`` uint8 **BGR**: grayscale images are replicated to three
      channels and the alpha channel of RGBA images is dropped (both
      decoders, ``cv2`` and ``pillow``, do this; it is asserted here).

    Args:
        **kwargs: Passed to :class:`mmcv.transforms.LoadImageFromFile`
            (e.g. ``imdecode_backend='pillow'``, the decoder of the Caffe
            reference, ``backend_args``).
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']`` into ``results['img']``.

        Args:
            results (dict): Needs ``img_path``.

        Returns:
            dict: With ``img``, ``img_shape`` and ``ori_shape``.
        """
        path = results['img_path']
        try:
            if _check_local_file(path, 'image'):
                _check_jpeg_complete(path)
        except (FileNotFoundError, ValueError):
            if self.ignore_empty:
                return None
            raise
        try:
            out = super().transform(results)
        except Exception as err:  # decoder errors vary by backend
            if self.ignore_empty:
                return None
            raise ValueError(f'cannot decode image {path}: {err}') from err
        if out is None:
            return None
        img = out['img']
        if self.color_type == 'color' and (img.ndim != 3 or img.shape[2] != 3):
            raise ValueError(f'image {path} decoded to shape {img.shape}, '
                             'expected (H, W, 3)')
        return out


@TRANSFORMS.register_module()
class LoadCheckedAnnotations(LoadAnnotations):
    """Load a label PNG after checking its channels, size and values.

    Same as MMSeg's :class:`LoadAnnotations`, for the data of `Fully
    Convolutional Networks for Semantic Segmentation
    <https://arxiv.org/abs/1605.06211>`_, but the label must be a
    single-channel (palette or grayscale) PNG of class indices, the same
    size as its image (``ori_shape``, if the image is loaded first), with
    values in ``0 .. num_classes - 1`` or ``ignore_index`` (with
    ``reduce_zero_label``, ``0 .. num_classes``). A missing, undecodable,
    colour-coded, wrongly sized or out-of-range label raises one error
    naming the file (and the bad sizes or values). Unlike the parent, a
    ``1 x W`` or ``1 x 1`` label keeps its 2-D shape.

    Args:
        num_classes (int): Number of classes. Defaults to 21 (VOC).
        ignore_index (int): The void label. Defaults to 255.
        **kwargs: Passed to MMSeg's :class:`LoadAnnotations`.
    """

    def __init__(self,
                 num_classes: int = 21,
                 ignore_index: int = 255,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 < num_classes <= 256:
            raise ValueError(f'num_classes must be in 1..256, got '
                             f'{num_classes}')
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        _check_local_file(path, 'label')
        try:
            raw = mmcv.imfrombytes(
                fileio.get(path, backend_args=self.backend_args),
                flag='unchanged',
                backend=self.imdecode_backend)
        except Exception as err:
            raise ValueError(f'cannot decode label {path}: {err}') from err
        if raw is None:
            raise ValueError(f'cannot decode label {path}')
        raw = np.asarray(raw)
        if raw.ndim == 3 and raw.shape[2] == 1:
            raw = raw[..., 0]
        if raw.ndim != 2:
            raise ValueError(
                f'label {path} has shape {raw.shape}; expected a '
                'single-channel (palette or grayscale) PNG of class indices, '
                'not a colour-coded image')
        self._check_size(path, raw.shape, results)
        self._check_values(path, raw, results)
        super()._load_seg_map(results)
        results['gt_seg_map'] = results['gt_seg_map'].reshape(raw.shape)

    @staticmethod
    def _check_size(path: str, shape: tuple, results: dict) -> None:
        ori = results.get('ori_shape')
        if ori is not None and tuple(ori[:2]) != tuple(shape):
            raise ValueError(
                f'label {path} is {shape[0]}x{shape[1]} (HxW) but its image '
                f"{results.get('img_path')} is {ori[0]}x{ori[1]}")

    def _check_values(self, path: str, raw: np.ndarray, results: dict) -> None:
        top = self.num_classes
        if self.reduce_zero_label or results.get('reduce_zero_label'):
            top += 1
        if raw.dtype == np.uint8:
            present = np.flatnonzero(np.bincount(raw.ravel(), minlength=256))
        else:
            present = np.unique(raw)
        bad = [
            int(v) for v in present
            if not (0 <= v < top or v == self.ignore_index)
        ]
        if bad:
            shown = bad if len(bad) <= 10 else bad[:10] + ['...']
            raise ValueError(
                f'label {path} has values {shown} outside 0..{top - 1} and '
                f'the ignore index {self.ignore_index}')
