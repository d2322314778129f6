"""Load depth and HHA maps and stack them with the colour image (NYUDv2).

The NYUDv2 nets of `FCN <https://arxiv.org/abs/1605.06211>`_
(``nyud-fcn32s-{color,hha,color-d,color-hha}``, ``nyud_layers.py``) see
the colour image (BGR), the depth as ``log(d)`` with ``d`` in millimetres,
or the HHA encoding of the depth (horizontal disparity, height above
ground, angle with gravity), each minus its own mean. A pipeline loads the
modalities next to the image, then stacks them into ``results['img']``
before any geometric transform::

    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=40),
    dict(type='LoadDepthFromFile'),                 # results['depth']
    dict(type='LoadHHAFromFile'),                   # results['hha']
    dict(type='StackModalities', modalities=('color', 'hha')),
    ...                                             # MMSeg's transforms
    dict(type='PackSegInputs', meta_keys=(..., 'modalities',
                                          'modality_channels'))

MMSeg's ``RandomResize``, ``Resize``, ``RandomCrop`` and ``RandomFlip``
then move every channel of every modality together (bilinear for the
stacked image, nearest for the label), whatever the channel count.
``Pad`` (MMCV's) fails on more than four channels inside OpenCV; use
:class:`PadModalities` in its place. Photometric transforms
(``PhotoMetricDistortion``) assume a 3-channel colour image and do not
apply to a stack. The per-modality means are subtracted by
:class:`~fcn_plugin.models.RGBDDataPreProcessor`.
"""
import os.path as osp
import warnings
from typing import Dict, Optional, Sequence, Tuple, Union

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform, Pad
from mmseg.registry import TRANSFORMS

from ..errors import DataFileError

#: The modalities, the results key each is loaded into, its channels and
#: its file key (set by :class:`~fcn_plugin.datasets.FCNNYUDDataset` from
#: ``data_prefix``).
MODALITY_KEYS: Dict[str, str] = {'color': 'img', 'depth': 'depth',
                                 'hha': 'hha'}
MODALITY_CHANNELS: Dict[str, int] = {'color': 3, 'depth': 1, 'hha': 3}
PATH_KEYS: Dict[str, str] = {'color': 'img_path', 'depth': 'depth_path',
                             'hha': 'hha_path'}
#: What :class:`StackModalities` records; add them to ``PackSegInputs``'s
#: ``meta_keys`` to let the data preprocessor check them.
META_KEYS: Tuple[str, ...] = ('modalities', 'modality_channels')
#: How :class:`LoadDepthFromFile` encodes the millimetres.
DEPTH_ENCODINGS = ('log', 'mm', 'm')
#: How :class:`LoadDepthFromFile` treats zero depth (holes).
DEPTH_HOLES = ('error', 'nearest', 'keep')
#: How ``depth_to_hha`` treats them (:class:`LoadHHAFromFile`).
HHA_HOLES = ('error', 'fill')
#: Where to get the data in the layout the dataset reads.
_PREPARE = 'tools/prepare_nyud.py'


def _one_line(err: Exception) -> str:
    return ' '.join(str(err).split())


#: Where inference finds a sample's other maps: the arguments of
#: ``RGBDInferencer`` and ``tools/infer.py``.
INFERENCE_HINT = ('at inference, give them with RGBDInferencer(...)(inputs, '
                  'depths=..., hhas=...) or tools/infer.py --depth / --hha')


def sibling_file(results: dict, name: str) -> Optional[str]:
    """The ``name`` map of an inference sample in the prepared layout.

    A sample without ``<name>_path`` and without a label (MMSeg's inference
    APIs pass the image path only) whose image is ``<root>/images/<file>``
    has its depth or HHA map at ``<root>/<name>/<file>``, as
    ``tools/prepare_nyud.py`` lays them out.
    """
    img_path = results.get('img_path')
    if not isinstance(img_path, str) or 'seg_map_path' in results:
        return None  # a dataset's samples name their files (data_prefix)
    folder, file = osp.split(img_path)
    if osp.basename(folder) != 'images':
        return None
    path = osp.join(osp.dirname(folder), name, file)
    return path if osp.isfile(path) else None


class _ModalityLoader(BaseTransform):
    """Reads a file of a sample like MMCV's ``LoadImageFromFile``."""

    def __init__(self,
                 imdecode_backend: str = 'cv2',
                 file_client_args: Optional[dict] = None,
                 backend_args: Optional[dict] = None) -> None:
        self.imdecode_backend = imdecode_backend
        self.file_client_args: Optional[dict] = None
        self.backend_args: Optional[dict] = None
        if file_client_args is not None:
            warnings.warn(
                '"file_client_args" will be deprecated in future. '
                'Please use "backend_args" instead', DeprecationWarning)
            if backend_args is not None:
                raise ValueError(
                    '"file_client_args" and "backend_args" cannot be set '
                    'at the same time.')
            self.file_client_args = file_client_args.copy()
        if backend_args is not None:
            self.backend_args = backend_args.copy()

    def _read(self, path: str, what: str, hint: str,
              **decode) -> np.ndarray:
        """Decode ``path``; one :class:`DataFileError` naming it if that
        fails."""
        try:
            if self.file_client_args is not None:
                client = fileio.FileClient.infer_client(
                    self.file_client_args, path)
                data = client.get(path)
            else:
                data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise DataFileError(
                f'{what} file {path} does not exist; {hint}') from None
        try:
            array = mmcv.imfrombytes(
                data, backend=self.imdecode_backend, **decode)
        except Exception as err:
            raise DataFileError(
                f'cannot decode {what} {path}: {_one_line(err)}') from err
        if array is None:
            raise DataFileError(f'cannot decode {what} {path}: not an '
                                'image file')
        return array

    def _args_repr(self) -> str:
        text = f"imdecode_backend='{self.imdecode_backend}', "
        if self.file_client_args is not None:
            return text + f'file_client_args={self.file_client_args})'
        return text + f'backend_args={self.backend_args})'


@TRANSFORMS.register_module()
class LoadDepthFromFile(_ModalityLoader):
    """Load a depth map (16-bit PNG of millimetres) as float32.

    The depth input of the ``nyud-fcn32s-color-d`` net of `FCN
    <https://arxiv.org/abs/1605.06211>`_: ``nyud_layers.py`` reads
    ``depth/img_<id>.png`` (uint16, millimetres) and feeds ``log(d)``
    minus 7.844 (the mean, subtracted here by the data preprocessor). The
    file is decoded unchanged; an 8-bit or multi-channel file is refused.

    Zero depth (a hole, no measurement) has no logarithm. The reference's
    maps are in-painted and have none; by default a map with holes is one
    error naming the file. ``holes='nearest'`` gives each hole the depth
    of the nearest measured pixel; ``holes='keep'`` keeps 0 (with the
    ``'mm'`` and ``'m'`` encodings only).

    Required Keys:

    - depth_path

    Added Keys:

    - depth (float32, HxW, in ``encoding``)
    - depth_encoding

    Args:
        encoding (str): ``'log'`` (``log`` of millimetres, the
            reference's), ``'mm'`` (millimetres) or ``'m'`` (metres).
            Defaults to 'log'.
        holes (str): ``'error'``, ``'nearest'`` or ``'keep'`` (see above).
            Defaults to 'error'.
        imdecode_backend (str): As MMCV's ``LoadImageFromFile``; both
            decode 16-bit PNGs exactly. Defaults to 'cv2'.
        file_client_args (dict, optional): Deprecated; as
            ``LoadImageFromFile``.
        backend_args (dict, optional): As ``LoadImageFromFile``.
    """

    def __init__(self,
                 encoding: str = 'log',
                 holes: str = 'error',
                 imdecode_backend: str = 'cv2',
                 file_client_args: Optional[dict] = None,
                 *,
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(imdecode_backend, file_client_args, backend_args)
        if encoding not in DEPTH_ENCODINGS:
            raise ValueError(f'LoadDepthFromFile: encoding must be one of '
                             f'{", ".join(DEPTH_ENCODINGS)}, got {encoding!r}')
        if holes not in DEPTH_HOLES:
            raise ValueError(f'LoadDepthFromFile: holes must be one of '
                             f'{", ".join(DEPTH_HOLES)}, got {holes!r}')
        if holes == 'keep' and encoding == 'log':
            raise ValueError(
                "LoadDepthFromFile: holes='keep' with encoding='log' would "
                "give -inf at every hole; use holes='nearest' or 'error', or "
                "encoding 'mm' or 'm'")
        self.encoding = encoding
        self.holes = holes

    def read_millimetres(self, path: str) -> np.ndarray:
        """The depth file ``path`` in millimetres (float32, holes as 0).

        Raises:
            DataFileError: If the file is missing, cannot be decoded, or is
                not a single-channel 16-bit map.
        """
        raw = self._read(
            path, 'depth', f'prepare the data with {_PREPARE}, or check '
            'data_prefix.depth_path', flag='unchanged')
        if raw.ndim != 2:
            raise DataFileError(
                f'depth {path} has {raw.shape[-1]} channels; it must be a '
                'single-channel 16-bit PNG of millimetres (as '
                f'{_PREPARE} writes)')
        if raw.dtype == np.uint8 or not np.issubdtype(raw.dtype, np.integer):
            raise DataFileError(
                f'depth {path} is {raw.dtype}; it must be a 16-bit PNG of '
                f'millimetres (as {_PREPARE} writes), not an 8-bit picture '
                'of the depth')
        return raw.astype(np.float32)

    def transform(self, results: dict) -> dict:
        """Load ``results['depth_path']`` into ``results['depth']``.

        Args:
            results (dict): The sample; ``depth_path`` set by the dataset.

        Returns:
            dict: ``results`` with ``depth`` and ``depth_encoding``.

        Raises:
            DataFileError: If the sample has no depth file, or the file is
                missing, bad, or has holes with ``holes='error'``.
        """
        if isinstance(results.get('depth_mm'), np.ndarray):
            # given as an array (RGBDInferencer): millimetres
            depth = np.asarray(results['depth_mm'], np.float32)
            path = results.get(PATH_KEYS['depth'], 'the given depth')
        else:
            path = results.get(PATH_KEYS['depth']) or sibling_file(
                results, 'depth')
            if path is None:
                raise DataFileError(
                    f"sample {results.get('img_path')} has no depth_path; "
                    "set data_prefix.depth_path (e.g. 'depth') in the "
                    f'dataset config; {INFERENCE_HINT}')
            results[PATH_KEYS['depth']] = path
            depth = self.read_millimetres(path)
        holes = depth <= 0
        if holes.any():
            depth = self._treat_holes(depth, holes, path)
        if self.encoding == 'log':
            depth = np.log(depth)
        elif self.encoding == 'm':
            depth = depth / np.float32(1000)
        results['depth'] = depth
        results['depth_encoding'] = self.encoding
        return results

    def _treat_holes(self, depth: np.ndarray, holes: np.ndarray,
                     path: str) -> np.ndarray:
        count = int(holes.sum())
        if self.holes == 'keep':
            return np.where(holes, np.float32(0), depth)
        if self.holes == 'error' or count == depth.size:
            row, col = np.argwhere(holes)[0]
            what = 'is all zero (no depth)' if count == depth.size else (
                f'has {count} pixels of zero depth (holes; the first at row '
                f'{row}, column {col})')
            fix = ('fill the holes (the reference uses in-painted depth) or '
                   "set LoadDepthFromFile(holes='nearest')"
                   if count < depth.size else 'replace the file')
            raise DataFileError(f'depth {path} {what}; {fix}')
        from scipy.ndimage import distance_transform_edt
        index = distance_transform_edt(
            holes, return_distances=False, return_indices=True)
        return depth[tuple(index)]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(encoding='{self.encoding}', "
                f"holes='{self.holes}', " + self._args_repr())


def depth_in_metres(depth: np.ndarray, encoding: str) -> np.ndarray:
    """A depth map of :class:`LoadDepthFromFile` in metres (float64).

    Args:
        depth (np.ndarray): ``results['depth']``.
        encoding (str): ``results['depth_encoding']``.

    Returns:
        np.ndarray: The depth in metres.
    """
    depth = depth.astype(np.float64)
    if encoding == 'log':
        return np.exp(depth) / 1000
    if encoding == 'mm':
        return depth / 1000
    if encoding == 'm':
        return depth
    raise ValueError(f'unknown depth encoding {encoding!r}; expected one of '
                     f'{", ".join(DEPTH_ENCODINGS)}')


@TRANSFORMS.register_module()
class LoadHHAFromFile(_ModalityLoader):
    """Load the HHA map of a sample, or compute it from its depth.

    The HHA input of the ``nyud-fcn32s-hha`` and ``-color-hha`` nets of
    `FCN <https://arxiv.org/abs/1605.06211>`_ (Gupta et al., ECCV 2014:
    horizontal disparity, height above ground, angle with gravity, each
    scaled to 0..255). ``nyud_layers.py`` reads ``hha/img_<id>.png`` with
    Pillow and does **not** reverse the channels (unlike the colour image,
    which it turns to BGR), then subtracts (132.431, 94.076, 118.477) in
    that order. So ``results['hha']`` holds the channels in the order the
    PNG stores them (as Pillow reads them), with either decoding backend;
    the data preprocessor's ``hha`` mean is in that order.

    With ``from_depth=True`` the map is computed instead by
    :func:`fcn_plugin.datasets.hha.depth_to_hha` from the depth: the one a
    :class:`LoadDepthFromFile` before this step loaded (with its holes
    treated), else the sample's ``depth_path`` file, in metres. The camera
    is ``camera`` if given, else that of the map's size: ``NYUD_CROP_CAMERA``
    for the reference's 425x560 crops, ``NYUD_CAMERA`` for full 480x640
    NYUDv2 frames (another size needs ``camera``).

    Required Keys:

    - hha_path (or, with ``from_depth``, depth / depth_path)

    Added Keys:

    - hha (HxWx3, uint8, or float32 with ``to_float32``)

    Args:
        to_float32 (bool): Whether to return float32. Defaults to False.
        from_depth (bool): Compute the map from the depth instead of
            reading ``hha_path``. Defaults to False.
        camera (Sequence[Sequence[float]], optional): 3x3 intrinsics for
            ``from_depth`` (principal point in 1-based pixels, as
            ``depth_to_hha`` takes it); None picks the NYUDv2 camera by
            the map's size (see above). Defaults to None.
        holes (str): ``depth_to_hha``'s treatment of zero depth:
            ``'error'`` or ``'fill'``. Defaults to 'error'.
        imdecode_backend (str): As ``LoadImageFromFile``. Defaults to
            'cv2'.
        file_client_args (dict, optional): Deprecated; as
            ``LoadImageFromFile``.
        backend_args (dict, optional): As ``LoadImageFromFile``.
    """

    def __init__(self,
                 to_float32: bool = False,
                 from_depth: bool = False,
                 camera: Optional[Sequence[Sequence[float]]] = None,
                 holes: str = 'error',
                 imdecode_backend: str = 'cv2',
                 file_client_args: Optional[dict] = None,
                 *,
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(imdecode_backend, file_client_args, backend_args)
        self.to_float32 = to_float32
        self.from_depth = from_depth
        if camera is not None:
            camera = np.asarray(camera, dtype=np.float64)
            if camera.shape != (3, 3):
                raise ValueError(
                    'LoadHHAFromFile: camera must be a 3x3 intrinsics '
                    f'matrix, got shape {camera.shape}')
        if holes not in HHA_HOLES:
            raise ValueError(f'LoadHHAFromFile: holes must be one of '
                             f'{", ".join(HHA_HOLES)}, got {holes!r}')
        self.camera = camera
        self.holes = holes

    def transform(self, results: dict) -> dict:
        """Load (or compute) ``results['hha']``.

        Args:
            results (dict): The sample.

        Returns:
            dict: ``results`` with ``hha``.

        Raises:
            DataFileError: If the HHA file is missing or bad, or, with
                ``from_depth``, there is no depth or no HHA can be computed
                from it.
        """
        path = results.get(PATH_KEYS['hha']) or sibling_file(results, 'hha')
        if isinstance(results.get('hha'), np.ndarray):
            hha = results['hha']  # given as an array (RGBDInferencer)
        elif self.from_depth or (path is None and self._has_depth(results)):
            # At inference a sample may come with its depth only: its HHA is
            # computed from it.
            hha = self._from_depth(results)
        else:
            if path is None:
                raise DataFileError(
                    f"sample {results.get('img_path')} has no HHA map and no "
                    "depth to compute it from; set data_prefix.hha_path "
                    "(e.g. 'hha') in the dataset config, or compute HHA from "
                    'the depth with LoadHHAFromFile(from_depth=True); '
                    + INFERENCE_HINT)
            results[PATH_KEYS['hha']] = path
            hha = self._read(
                path, 'HHA', f'prepare the data with {_PREPARE}, or compute '
                'HHA from the depth with LoadHHAFromFile(from_depth=True)',
                flag='color', channel_order='rgb')
            results.pop('hha_source', None)
        if self.to_float32:
            hha = hha.astype(np.float32)
        results['hha'] = hha
        return results

    @staticmethod
    def _has_depth(results: dict) -> bool:
        return (results.get('depth') is not None
                or isinstance(results.get('depth_mm'), np.ndarray)
                or results.get(PATH_KEYS['depth']) is not None
                or sibling_file(results, 'depth') is not None)

    def _from_depth(self, results: dict) -> np.ndarray:
        from .hha import depth_to_hha
        path = results.get(PATH_KEYS['depth']) or sibling_file(
            results, 'depth')
        if isinstance(results.get('depth_mm'), np.ndarray):
            metres = np.asarray(results['depth_mm'], np.float64) / 1000
        elif results.get('depth') is not None:
            metres = depth_in_metres(results['depth'],
                                     results.get('depth_encoding', 'log'))
        elif path is not None:
            reader = LoadDepthFromFile(
                encoding='m', holes='keep',
                imdecode_backend=self.imdecode_backend,
                file_client_args=self.file_client_args,
                backend_args=self.backend_args)
            metres = reader.read_millimetres(path).astype(np.float64) / 1000
        else:
            raise DataFileError(
                f"sample {results.get('img_path')} has no HHA and no depth to "
                'compute it from: LoadHHAFromFile(from_depth=True) needs a '
                'LoadDepthFromFile before it or data_prefix.depth_path in '
                'the dataset config')
        source = f'depth {path}' if path else 'the loaded depth'
        camera = self._camera(metres.shape, source)
        try:
            hha = depth_to_hha(metres, camera, holes=self.holes)
        except ValueError as err:  # DataFileError included: add the file
            raise DataFileError(f'cannot compute HHA from {source}: '
                                f'{_one_line(err)}') from err
        results['hha_source'] = f'HHA computed from {source}'
        return np.asarray(hha)

    def _camera(self, hw: Tuple[int, ...], source: str) -> np.ndarray:
        """The given camera, or the NYUDv2 one of a map of this size."""
        if self.camera is not None:
            return self.camera
        from .hha import NYUD_CAMERA, NYUD_CROP_CAMERA
        cameras = {(425, 560): NYUD_CROP_CAMERA, (480, 640): NYUD_CAMERA}
        camera = cameras.get(tuple(hw[:2]))
        if camera is None:
            raise DataFileError(
                f'{source} is {hw[0]}x{hw[1]} (HxW), neither the NYUDv2 '
                "frame (480x640) nor the reference's crop (425x560), whose "
                'cameras are known; give its 3x3 intrinsics as '
                'LoadHHAFromFile(camera=...)')
        return camera

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(to_float32={self.to_float32}, '
                f'from_depth={self.from_depth}, holes={self.holes!r}, '
                + self._args_repr())


def _source(results: dict, name: str) -> str:
    """How a message names a modality's file."""
    if name == 'hha' and results.get('hha_source'):
        return results['hha_source']
    what = {'color': 'image', 'depth': 'depth', 'hha': 'HHA'}[name]
    return f'{what} {results.get(PATH_KEYS[name])}'


@TRANSFORMS.register_module()
class StackModalities(BaseTransform):
    """Stack the loaded modalities into ``results['img']`` (float32).

    The inputs of the NYUDv2 nets of `FCN
    <https://arxiv.org/abs/1605.06211>`_ as one HxWxC array, in the
    declared order: ``'color'`` (3 channels, BGR as ``LoadImageFromFile``
    decodes it: the Caffe nets' order), ``'depth'`` (1, as
    :class:`LoadDepthFromFile` encodes it) and ``'hha'`` (3, in the file's
    order, :class:`LoadHHAFromFile`). E.g. ``('color', 'hha')`` gives
    6 channels, ``('color', 'depth')`` 4 (the ``color-d`` net's
    ``Concat(color, depth)``), ``('hha', )`` the HHA map alone. Put it
    after the loaders (and ``CheckSegData``, which checks a colour image)
    and before any geometric transform, so that those move every channel
    together. The separate ``depth`` and ``hha`` arrays are removed.

    Every map must have its image's size; one that does not is one error
    naming both files and sizes.

    Required Keys:

    - img (the colour image; its size is the sample's)
    - depth, hha (those in ``modalities``)

    Modified Keys:

    - img (float32, HxWxC)

    Added Keys:

    - modalities (tuple of names)
    - modality_channels (tuple of channel counts)

    Add ``'modalities'`` and ``'modality_channels'`` to ``PackSegInputs``'s
    ``meta_keys`` so that the data preprocessor checks that it subtracts
    the means of the modalities in this order.

    Args:
        modalities (Sequence[str]): Names among ``'color'``, ``'depth'``
            and ``'hha'``, in channel order. Defaults to
            ('color', 'hha').
    """

    def __init__(self, modalities: Sequence[str] = ('color', 'hha')) -> None:
        if isinstance(modalities, str):
            modalities = (modalities, )
        modalities = tuple(modalities)
        unknown = [m for m in modalities if m not in MODALITY_KEYS]
        if not modalities or unknown or len(set(modalities)) != len(
                modalities):
            raise ValueError(
                'StackModalities: modalities must be distinct names among '
                f'{", ".join(MODALITY_KEYS)}, got {modalities!r}')
        self.modalities = modalities

    def transform(self, results: dict) -> dict:
        """Replace ``results['img']`` by the stacked modalities.

        Args:
            results (dict): The sample, with every modality loaded.

        Returns:
            dict: ``results`` with the stacked ``img``, ``modalities`` and
            ``modality_channels``.

        Raises:
            ValueError: If a modality was not loaded or the sample is
                stacked already (a pipeline mistake).
            DataFileError: If a map's size is not its image's.
        """
        if 'modalities' in results:
            raise ValueError(
                'StackModalities: the sample is stacked already '
                f"({results['modalities']}); use one StackModalities step")
        image = results.get('img')
        if image is None:
            raise ValueError('StackModalities needs the image loaded first '
                             '(LoadImageFromFile before it)')
        hw = image.shape[:2]
        arrays = []
        for name in self.modalities:
            array = results.get(MODALITY_KEYS[name])
            if array is None:
                loader = ('LoadDepthFromFile' if name == 'depth' else
                          'LoadHHAFromFile')
                raise ValueError(
                    f"StackModalities: modality '{name}' was not loaded; put "
                    f'{loader} before StackModalities in the pipeline')
            if array.shape[:2] != hw:
                raise DataFileError(
                    f'{_source(results, name)} is {array.shape[0]}x'
                    f'{array.shape[1]} (HxW) but its image '
                    f"{results.get('img_path')} is {hw[0]}x{hw[1]}; every "
                    'modality of an image must have its size')
            if array.ndim == 2:
                array = array[..., None]
            arrays.append(array.astype(np.float32, copy=False))
        results['img'] = np.concatenate(arrays, axis=2)
        results['img_shape'] = hw
        results['modalities'] = self.modalities
        results['modality_channels'] = tuple(a.shape[2] for a in arrays)
        for key in ('depth', 'hha', 'hha_source'):
            results.pop(key, None)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(modalities={self.modalities})'


@TRANSFORMS.register_module()
class PadModalities(Pad):
    """MMCV's ``Pad`` for an image of any number of channels.

    MMCV pads with OpenCV, whose border value has at most four entries, so
    its ``Pad`` fails on a stack of more channels (``('color', 'hha')``: 6)
    with an OpenCV error (and a float ``pad_val`` fills only the first
    channel). This step pads an HxWxC image with NumPy: the same size,
    sides (bottom and right) and modes, a number filling every channel; a
    2-D image and the label map are padded as ``Pad`` does. For the stacks
    of the NYUDv2 nets of `FCN <https://arxiv.org/abs/1605.06211>`_
    (:class:`StackModalities`).

    Args:
        size (tuple, optional): As ``Pad``: (w, h).
        size_divisor (int, optional): As ``Pad``.
        pad_to_square (bool): As ``Pad``.
        pad_val (Number | dict): As ``Pad``; the image value is a number
            (every channel) or one value per channel. Defaults to
            dict(img=0, seg=255).
        padding_mode (str): As ``Pad``: constant, edge, reflect or
            symmetric (OpenCV's reflect-101 and reflect).
    """

    def __init__(self,
                 size: Optional[Tuple[int, int]] = None,
                 size_divisor: Optional[int] = None,
                 pad_to_square: bool = False,
                 pad_val: Union[int, float, dict] = dict(img=0, seg=255),
                 padding_mode: str = 'constant') -> None:
        if isinstance(pad_val, (int, float)):
            pad_val = dict(img=pad_val, seg=255)
        super().__init__(size, size_divisor, pad_to_square, pad_val,
                         padding_mode)

    def _padded_size(self, hw: Tuple[int, int]) -> Tuple[int, int]:
        size = None
        if self.pad_to_square:
            size = (max(hw), max(hw))
        if self.size_divisor is not None:
            if size is None:
                size = hw
            div = self.size_divisor
            return (int(np.ceil(size[0] / div)) * div,
                    int(np.ceil(size[1] / div)) * div)
        if self.size is not None:
            return tuple(self.size[::-1])
        return size

    def _pad_img(self, results: dict) -> None:
        img = results['img']
        if img.ndim < 3:
            super()._pad_img(results)
            return
        h, w, c = img.shape
        out_h, out_w = self._padded_size((h, w))
        if out_h < h or out_w < w:
            raise ValueError(
                f'PadModalities: pad size {out_h}x{out_w} (HxW) is smaller '
                f'than the image, {h}x{w}')
        if self.padding_mode == 'constant':
            value = np.asarray(self.pad_val.get('img', 0), dtype=img.dtype)
            if value.ndim and value.size != c:
                raise ValueError(
                    f'PadModalities: pad_val img has {value.size} values for '
                    f'an image of {c} channels')
            padded = np.empty((out_h, out_w, c), dtype=img.dtype)
            padded[...] = value
            padded[:h, :w] = img
        else:
            padded = np.pad(img, ((0, out_h - h), (0, out_w - w), (0, 0)),
                            mode=self.padding_mode)
        results['img'] = padded
        results['pad_shape'] = padded.shape
        results['pad_fixed_size'] = self.size
        results['pad_size_divisor'] = self.size_divisor
        results['img_shape'] = padded.shape[:2]
