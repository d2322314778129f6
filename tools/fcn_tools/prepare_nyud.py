"""Lay out NYUDv2 for the FCN NYUD configs: colour, depth, HHA, 40-class
labels, the reference's splits.

The command line of ``tools/prepare_nyud.py``: the NYUDv2 task of
`FCN <https://arxiv.org/abs/1605.06211>`_ (the 40 classes of Gupta,
Arbelaez and Malik, CVPR 2013; the ``nyud-fcn32s-{color,hha,color-d,
color-hha}`` nets), prepared as the reference's data layer
(fcn.berkeleyvision.org ``nyud_layers.py``) reads it, from either of two
sources.

**The reference's layout** (``--source reference``): ``nyud.tar.gz`` of
the FCN release (Gupta's data, frames cropped to 425x560)::

    python tools/prepare_nyud.py --nyud /data/nyud --out data/nyud

reads ``data/images/img_<id>.png`` (RGB), ``data/depth/img_<id>.png``
(uint16, millimetres), ``data/hha/img_<id>.png`` (HHA; computed from the
depth where missing) and ``segmentation/img_<id>.mat`` (field
``segmentation``: 0 void, 1..40 the classes), with the lists
``train.txt``, ``val.txt`` and ``test.txt`` beside them (381, 414 and 654
ids; the tool carries the reference's own copy for a tree without them).

**The official labelled .mat** (``--source labeled-mat``)::

    python tools/prepare_nyud.py --nyud /data/nyu_depth_v2_labeled.mat \\
        --out data/nyud --nproc 4

reads the MATLAB v7.3 (HDF5) file of the NYU Depth V2 site one frame at a
time (``images``, the filled ``depths`` in metres, ``rawDepths``, the
894-class ``labels``), maps the labels to the 40 classes with Gupta's
``classMapping40.mat`` (``mapClass``) and checks the reference's lists
against the official ``splits.mat`` (``trainNdxs`` = train + val,
``testNdxs`` = test); both small files lie beside the .mat unless
``--mapping`` / ``--splits-mat`` name them. The frames are cropped to the
reference's 425x560 (rows 45..469, columns 40..599 of the 480x640 frame,
as Gupta's data) unless ``--crop none`` keeps them whole (or ``--crop
TOP,LEFT,HEIGHT,WIDTH`` takes another box). HHA is computed
(:func:`fcn_plugin.datasets.hha.depth_to_hha`) as Gupta made the
reference's: from the filled depth (no holes) with the camera of the
crop, the pixels without a raw depth left out of the normals' plane fits.

An id is the reference's: 5000 + the 1-based frame number of the labelled
.mat (``img_5001`` is frame 1). Both sources write::

    OUT/images/img_<id>.png   RGB, 8-bit
    OUT/depth/img_<id>.png    uint16, millimetres
    OUT/hha/img_<id>.png      HHA, 8-bit (R, G, B: disparity, height, angle)
    OUT/labels/img_<id>.png   uint8: classes 0..39, void 255
    OUT/{train,val,trainval,test}.txt

The labels are the reference's ``load_label``: the 40-class map cast to
uint8 and lowered by 1, so that void (0) becomes 255. Every file is
written atomically, so a rerun skips finished files; a bad input stops
the run before anything of it is kept. ``--download`` is not offered:
``nyud.tar.gz`` has no published checksum and no documented layout, and
the labelled .mat needs the two small files beside it anyway.
"""
import argparse
import json
import os.path as osp
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from PIL import Image
from scipy.io import loadmat

from fcn_plugin.datasets.hha import (NYUD_CAMERA, NYUD_CROP_BOX,
                                     DepthHolesError, camera_for_crop,
                                     depth_to_hha)
from fcn_plugin.datasets.nyud_classes import NYUD40_CLASSES
from fcn_plugin.errors import DataFileError
from fcn_plugin.utils.atomic_io import atomic_path
from .prepare_common import (DataError, add_job_args, clean_partials,
                             compare_counts, finish, format_value, id_sample,
                             job_errors, make_dirs, need_dir, place_files,
                             read_mat_map)
from .prepare_common import read_split as read_common_split
from .prepare_common import require, run_jobs, undo, whole_in

#: The inputs: the reference's layout or the labelled .mat.
SOURCES = ('reference', 'labeled-mat')
#: An id is this plus the 1-based frame number of the labelled .mat.
ID_OFFSET = 5000
#: The reference's lists, and their sizes.
SPLITS = ('train', 'val', 'test')
OFFICIAL_COUNTS = dict(train=381, val=414, test=654)
#: The output folders, one file ``img_<id>.png`` per id in each.
KINDS = ('images', 'depth', 'hha', 'labels')
#: Input folder and file suffix of each kind in the reference's layout.
REFERENCE_INPUTS = dict(
    images=('data/images', '.png'),
    depth=('data/depth', '.png'),
    hha=('data/hha', '.png'),
    labels=('segmentation', '.mat'))
#: The labelled .mat and the two small files beside it.
LABELED_MAT = 'nyu_depth_v2_labeled.mat'
MAPPING_MAT = 'classMapping40.mat'
SPLITS_MAT = 'splits.mat'
#: The datasets read from the labelled .mat: colour, the filled depth (in
#: metres), the raw depth (0 where the Kinect had none) and the labels.
H5_DATASETS = ('images', 'depths', 'rawDepths', 'labels')
#: The classes of the labelled .mat's ``labels`` (0 is unlabelled).
NUM_RAW_CLASSES = 894
NUM_CLASSES = len(NYUD40_CLASSES)
#: A Kinect frame (height, width).
FRAME_SHAPE = (480, 640)
#: Gupta's crop, which the reference's files have: top, left, height,
#: width (rows 45..469, columns 40..599, counted from 0).
REFERENCE_CROP = NYUD_CROP_BOX
#: The reference's lists, carried with the tool.
CARRIED_SPLITS = Path(__file__).with_name('nyud_splits.json')

_RELEASE = ('nyud.tar.gz (http://dl.caffe.berkeleyvision.org/nyud.tar.gz, '
            'the FCN release of Gupta\'s data)')
_LABELED_URL = ('http://horatio.cs.nyu.edu/mit/silberman/nyu_depth_v2/'
                'nyu_depth_v2_labeled.mat')
_META = 'https://github.com/ankurhanda/nyuv2-meta-data'
#: What each small file beside the labelled .mat is, and where it is.
_WHAT = dict(
    mapping=f'Gupta\'s 40-class mapping {MAPPING_MAT}',
    splits_mat=f'the official {SPLITS_MAT}')
_WHERE = dict(
    mapping=f'get it from {_META}',
    splits_mat='get it from the NYU Depth V2 site (http://horatio.cs.nyu.edu'
    f'/mit/silberman/indoor_seg_sup/splits.mat) or from {_META}')
_NYUD_HINT = (f'pass the unpacked {_RELEASE} (data/images/, data/depth/, '
              f'segmentation/) or {LABELED_MAT} ({_LABELED_URL}) or a folder '
              'holding it')
_LIST_HINT = ('--splits must hold the reference\'s train.txt, val.txt and '
              'test.txt (data/nyud/ of fcn.berkeleyvision.org), or leave it '
              'out to use the copy the tool carries')
_ID = re.compile(r'[1-9]\d*')
_DEPTH_MODES = ('I;16', 'I;16L', 'I;16B', 'I')

Crop = Optional[Tuple[int, int, int, int]]


# ------------------------------------------------------------- arguments


def crop_arg(text: str) -> Union[str, Tuple[int, int, int, int]]:
    """``--crop``: ``reference``, ``none`` or ``TOP,LEFT,HEIGHT,WIDTH``."""
    if text in ('reference', 'none'):
        return text
    parts = [p.strip() for p in text.split(',')]
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(
            f'{text!r} is none of reference, none, TOP,LEFT,HEIGHT,WIDTH')
    top, left, height, width = map(int, parts)
    if height < 1 or width < 1:
        raise argparse.ArgumentTypeError(
            f'{text!r}: the height and width must be at least 1')
    return top, left, height, width


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The options of ``tools/prepare_nyud.py``."""
    parser = argparse.ArgumentParser(
        description='Prepare NYUDv2 (colour, depth, HHA, the 40 classes of '
        'Gupta et al., the FCN reference\'s splits) for the FCN NYUD '
        'configs.')
    parser.add_argument(
        '--nyud',
        metavar='PATH',
        required=True,
        help=f'the unpacked {_RELEASE}, or {LABELED_MAT} (or a folder '
        'holding it) with classMapping40.mat and splits.mat beside it')
    parser.add_argument(
        '--source',
        choices=SOURCES,
        help='which of the two --nyud is (default: found from the path)')
    parser.add_argument(
        '--mapping',
        metavar='FILE',
        help=f'labeled-mat: {_WHAT["mapping"]}; {_WHERE["mapping"]} '
        '(default: the one beside the .mat)')
    parser.add_argument(
        '--splits-mat',
        metavar='FILE',
        help=f'labeled-mat: {_WHAT["splits_mat"]}; {_WHERE["splits_mat"]} '
        '(default: the one beside the .mat)')
    parser.add_argument(
        '--splits',
        metavar='DIR',
        help='folder holding the reference\'s train.txt, val.txt and '
        'test.txt (default: those beside data/ of the reference\'s layout, '
        'else the copy the tool carries)')
    parser.add_argument(
        '--crop',
        type=crop_arg,
        help='labeled-mat: reference (default: rows 45..469, columns '
        '40..599 of the 480x640 frame, as the reference\'s files), none '
        '(whole frames) or TOP,LEFT,HEIGHT,WIDTH')
    parser.add_argument(
        '--out',
        default='data/nyud',
        help='output folder (images/, depth/, hha/, labels/, train.txt, '
        'val.txt, trainval.txt, test.txt)')
    add_job_args(
        parser, 'reference: how images/, depth/ and hha/ reuse the PNGs of '
        'nyud.tar.gz')
    args = parser.parse_args(argv)
    if args.nproc < 1:
        parser.error(f'--nproc must be at least 1, got {args.nproc}')
    return args


# ---------------------------------------------------------------- inputs


def find_input(path: Path, source: Optional[str]) -> Tuple[str, Path]:
    """Which source ``--nyud`` is, and its root.

    Args:
        path (Path): ``--nyud``.
        source (str, optional): ``--source``; None: found from ``path``.

    Returns:
        tuple[str, Path]: One of :data:`SOURCES`, and the folder holding
        ``data/`` (reference) or the labelled .mat file.

    Raises:
        DataError: ``path`` is neither (or not the one ``source`` names).
    """
    if not path.exists():
        raise DataError(f'--nyud {path} does not exist; {_NYUD_HINT}')
    if source != 'labeled-mat' and path.is_dir():
        for root in (path, path / 'nyud'):
            if (root / REFERENCE_INPUTS['images'][0]).is_dir():
                return 'reference', root
        if source == 'reference':
            raise DataError(f'--nyud {path} holds neither data/images/ nor '
                            f'nyud/data/images/: not the unpacked '
                            f'{_RELEASE}; pass the folder it was unpacked '
                            'to')
    if source != 'reference':
        mat = path / LABELED_MAT if path.is_dir() else path
        if mat.is_file():
            return 'labeled-mat', mat
        if source == 'labeled-mat':
            raise DataError(f'{mat} does not exist; pass {LABELED_MAT} '
                            f'({_LABELED_URL}) or the folder holding it')
    raise DataError(f'--nyud {path} is neither the reference\'s layout '
                    f'(data/images/) nor {LABELED_MAT}; {_NYUD_HINT}')


def id_files(folder: Path, suffix: str) -> Dict[str, Path]:
    """Id -> path of the files ``img_<id><suffix>`` in ``folder``."""
    return {
        path.name[4:-len(suffix)]: path
        for path in folder.glob(f'img_*{suffix}')
        if not path.name.startswith('.')
    }


def read_split(path: Path, split: str) -> List[str]:
    """Read one of the reference's lists, refusing anything but ids.

    Raises:
        DataError: The list is missing, empty or holds something else.
    """
    return read_common_split(path, f'NYUDv2 {split}', _ID, '5001',
                             _LIST_HINT)


def load_splits(
    folder: Optional[Path],
    root: Optional[Path] = None
) -> Tuple[Dict[str, List[str]], Dict[str, str], str]:
    """The reference's lists: from ``folder`` (``--splits``), else from
    ``root`` (the reference's layout) if it holds all three, else the
    copy the tool carries (:data:`CARRIED_SPLITS`).

    Returns:
        tuple[dict, dict, str]: Split -> ids (in the list's order); split
        -> the list it was read from, and where all three were, for
        messages.

    Raises:
        DataError: A list is missing or malformed, or an id is in two.
    """
    if folder is None and root is not None and all(
            (root / f'{s}.txt').is_file() for s in SPLITS):
        folder = root
    if folder is not None:
        splits = {s: read_split(folder / f'{s}.txt', s) for s in SPLITS}
        lists = {s: str(folder / f'{s}.txt') for s in SPLITS}
        where = str(folder)
    else:
        carried = json.loads(CARRIED_SPLITS.read_text())
        splits = {s: [str(i) for i in carried[s]] for s in SPLITS}
        lists = {s: f'{s} of {CARRIED_SPLITS}' for s in SPLITS}
        where = str(CARRIED_SPLITS)
    for num, first in enumerate(SPLITS):
        for second in SPLITS[num + 1:]:
            seen = set(splits[second])
            both = [i for i in splits[first] if i in seen]
            if both:
                raise DataError(f'{len(both)} ids are in both {lists[first]} '
                                f'and {lists[second]}: {id_sample(both)}; '
                                f'{_LIST_HINT}')
    compare_counts({k: len(v) for k, v in splits.items()}, OFFICIAL_COUNTS,
                   'the lists look like the NYUDv2 splits of the FCN '
                   'reference')
    return splits, lists, where


def split_lists(splits: Dict[str, List[str]]) -> Dict[str, List[str]]:
    """The output lists: train, val, trainval (train, then val), test."""
    return dict(
        train=splits['train'],
        val=splits['val'],
        trainval=splits['train'] + splits['val'],
        test=splits['test'])


def all_ids(splits: Dict[str, List[str]]) -> List[str]:
    """Every listed id, in frame order."""
    return sorted({i for ids in splits.values() for i in ids}, key=int)


# --------------------------------------------------------- arrays, files


def reference_label(raw: np.ndarray) -> np.ndarray:
    """The reference's ``load_label`` of a checked 40-class map.

    Args:
        raw (np.ndarray): 0 void, 1..40 the classes.

    Returns:
        np.ndarray: uint8 map, classes 0..39, void 255.
    """
    label = np.asarray(raw).astype(np.uint8)
    label -= 1  # classes from 0, void (0) wraps to 255
    return label


def depth_millimetres(depth: np.ndarray) -> np.ndarray:
    """Depth in metres as the reference's uint16 millimetres.

    MATLAB's ``uint16(depth * 1000)`` of the single-precision frame:
    rounded half away from zero, saturated at 0 and 65535.

    Args:
        depth (np.ndarray): Depth in metres (finite, not negative).

    Returns:
        np.ndarray: uint16 millimetres.
    """
    scaled = np.asarray(depth, np.float32) * np.float32(1000)
    low = np.floor(scaled)
    rounded = low + (scaled - low >= 0.5)
    return np.clip(rounded, 0, 65535).astype(np.uint16)


def crop_frame(array: np.ndarray, crop: Crop) -> np.ndarray:
    """``array`` (height x width x ...) inside the box ``crop`` (top,
    left, height, width; None: all of it)."""
    if crop is None:
        return array
    top, left, height, width = crop
    return array[top:top + height, left:left + width]


def compute_hha(depth: np.ndarray,
                offset: Optional[Tuple[int, int]],
                missing: Optional[np.ndarray] = None) -> np.ndarray:
    """HHA of a filled depth map in metres
    (:func:`fcn_plugin.datasets.hha.depth_to_hha`).

    Args:
        depth (np.ndarray): Height x width, metres, no holes.
        offset (tuple[int, int], optional): Top and left of the crop the
            map was cut from (the camera's principal point moves by it);
            None: a whole Kinect frame.
        missing (np.ndarray, optional): Height x width bool, the pixels
            whose depth was filled in (the raw depth is 0), left out of
            the normals' plane fits as Gupta does.

    Returns:
        np.ndarray: Height x width x 3, uint8 (disparity, height, angle).

    Raises:
        DataFileError: The map has holes or is otherwise unusable.
    """
    camera = NYUD_CAMERA if offset is None else camera_for_crop(
        NYUD_CAMERA, *offset)
    return depth_to_hha(
        np.asarray(depth, np.float64), camera, missing=missing)


def holes(err: DepthHolesError) -> str:
    """How many pixels without a depth :func:`compute_hha` found."""
    return (f'has {err.zeros + err.nans} of {err.total} pixels without a '
            f'depth ({err.zeros} zero, {err.nans} NaN)')


def write_png(array: np.ndarray, dst: str) -> None:
    """Write ``array`` to ``dst`` as a PNG, atomically."""
    with atomic_path(dst, durable=False) as tmp:
        Image.fromarray(array).save(tmp, format='PNG')


def write_missing(arrays: Dict[str, np.ndarray],
                  targets: Dict[str, str]) -> Optional[str]:
    """Write each of ``arrays`` to its ``targets`` path unless it exists;
    why a write failed, or None."""
    for kind, array in arrays.items():
        dst = targets[kind]
        if osp.exists(dst):
            continue
        try:
            write_png(array, dst)
        except Exception as err:
            return f'cannot write {dst}: {err}'
    return None


def png_info(path: str, what: str) -> Tuple[Optional[Tuple[int, int, str]],
                                            str]:
    """(height, width, mode) of the image ``path``, or None and why it
    cannot be read (``what`` names it)."""
    try:
        with Image.open(path) as img:
            return (img.height, img.width, img.mode), ''
    except Exception as err:  # PIL raises several types
        return None, (f'cannot read the {what} {path} ({err}): a damaged '
                      'file; replace it from nyud.tar.gz')


# ------------------------------------------------- the reference's layout


def reference_folders(root: Path) -> Dict[str, Optional[Path]]:
    """Kind -> folder of the reference's layout (``hha`` None if absent).

    Raises:
        DataError: A folder other than ``hha`` is missing.
    """
    folders: Dict[str, Optional[Path]] = {}
    for kind, (folder, _) in REFERENCE_INPUTS.items():
        path = root / folder
        if kind == 'hha' and not path.is_dir():
            folders[kind] = None
            continue
        try:
            folders[kind] = need_dir(path, f'NYUDv2 {kind}')
        except DataError as err:
            raise DataError(f'{err}; unpack {_RELEASE} completely') from None
    return folders


def convert_reference(job: tuple) -> Optional[str]:
    """Check one id of the reference's layout and write its label (and its
    HHA where the release has none).

    Every input of the id is read and checked (modes, sizes, label values)
    before anything is written; files that exist are kept.

    Args:
        job (tuple): ``(kind, id, image, depth, hha or '', label .mat,
            label PNG, HHA PNG or '' (none to compute))``.

    Returns:
        str | None: Why the inputs are not valid (nothing is written then),
        or None once the PNGs exist.
    """
    _, idx, image, depth, hha, seg, label_dst, hha_dst = job
    use = 'use segmentation/ of nyud.tar.gz'
    info, why = png_info(image, 'image')
    if info is None:
        return why
    height, width, mode = info
    if mode != 'RGB':
        return (f'{image} is a {mode} image, not RGB colour; use '
                'data/images/ of nyud.tar.gz')
    inputs = [(depth, 'depth map', _DEPTH_MODES, 'a 16-bit depth map '
               '(millimetres); use data/depth/')]
    if hha:
        inputs.append((hha, 'HHA image', ('RGB', ), 'an RGB HHA image; use '
                       'data/hha/'))
    for path, what, modes, want in inputs:
        info, why = png_info(path, what)
        if info is None:
            return why
        if info[2] not in modes:
            return f'{path} is a {info[2]} image, not {want} of nyud.tar.gz'
        if info[:2] != (height, width):
            return (f'{path}: the {what} is {info[0]}x{info[1]} (height x '
                    f'width), its image {image} {height}x{width}: the files '
                    'do not belong together; replace them from nyud.tar.gz')
    raw, why = read_mat_map(seg, 'segmentation', 'NYUDv2', 'nyud.tar.gz', use)
    if raw is None:
        return why
    values = np.unique(raw)
    bad = values[~whole_in(values, 0, NUM_CLASSES)]
    if bad.size:
        return (f'{seg} holds values outside 0..{NUM_CLASSES} (0 void, '
                f'1..{NUM_CLASSES} the classes of NYUDv2): '
                f'{id_sample([format_value(v) for v in bad])}; {use}')
    if raw.shape != (height, width):
        return (f'{seg}: the label map is {raw.shape[0]}x{raw.shape[1]} '
                f'(height x width), its image {image} {height}x{width}: the '
                'files do not belong together; replace them from '
                'nyud.tar.gz')
    arrays = {'labels': reference_label(raw)}
    targets = {'labels': label_dst, 'hha': hha_dst}
    if hha_dst and not osp.exists(hha_dst):
        try:
            with Image.open(depth) as img:
                metres = np.asarray(img, np.float64) / 1000.
        except Exception as err:  # PIL raises several types
            return (f'cannot read the depth map {depth} ({err}): a damaged '
                    'file; replace it from nyud.tar.gz')
        offset = None if (height, width) == FRAME_SHAPE else \
            REFERENCE_CROP[:2]
        try:
            arrays['hha'] = compute_hha(metres, offset)
        except DepthHolesError as err:
            return (f'{depth} (id {idx}): {holes(err)}: HHA needs a depth '
                    'at every pixel; use data/depth/ of nyud.tar.gz (filled '
                    'depths), or put the release\'s HHA image in data/hha/')
        except DataFileError as err:
            return f'{depth} (id {idx}): {err}'
    return write_missing(arrays, targets)


def prepare_reference(args: argparse.Namespace,
                      root: Path) -> Dict[str, int]:
    """Prepare the reference's layout at ``root`` (see :func:`main`)."""
    given = [
        f'--{name.replace("_", "-")}'
        for name in ('mapping', 'splits_mat', 'crop') if getattr(args, name)
    ]
    if given:
        raise DataError(f'{" and ".join(given)} only apply to --source '
                        f'labeled-mat; {root} is the reference\'s layout, '
                        'whose frames are cropped already')
    folders = reference_folders(root)
    files = {
        kind: id_files(folder, REFERENCE_INPUTS[kind][1]) if folder else {}
        for kind, folder in folders.items()
    }
    splits, lists, _ = load_splits(
        Path(args.splits) if args.splits else None, root)
    for split, ids in splits.items():
        for kind in ('images', 'depth', 'labels'):
            what = dict(images='image', depth='depth map',
                        labels='label (.mat)')[kind]
            try:
                require(ids, files[kind], what, folders[kind],
                        lists[split])
            except DataError as err:
                raise DataError(f'{err}; unpack {_RELEASE} completely, or '
                                'use the reference\'s lists') from None
    ids = all_ids(splits)

    out = Path(args.out)
    dirs = {kind: out / kind for kind in KINDS}
    created = make_dirs(list(dirs.values()))
    for folder in (out, *dirs.values()):
        clean_partials(folder)
    jobs = []
    for i in ids:
        name = f'img_{i}.png'
        hha = files['hha'].get(i)
        job = ('reference', i, str(files['images'][i]),
               str(files['depth'][i]), str(hha or ''),
               str(files['labels'][i]), str(dirs['labels'] / name),
               '' if hha else str(dirs['hha'] / name))
        if not osp.exists(job[6]) or (job[7] and not osp.exists(job[7])):
            jobs.append(job)
    fresh = dict(
        labels=[job[6] for job in jobs if not osp.lexists(job[6])],
        hha=[job[7] for job in jobs if job[7] and not osp.lexists(job[7])])
    error = job_errors(
        run_jobs(jobs, args.nproc, 'labels', convert_reference),
        'bad inputs')
    if error:
        undo(fresh['labels'] + fresh['hha'], created, list(dirs.values()))
        raise DataError(f'{error}; nothing of this run was kept')
    written = dict(labels=len(fresh['labels']))
    given_hha = [i for i in ids if i in files['hha']]
    for kind, listed in (('images', ids), ('depth', ids),
                         ('hha', given_hha)):
        written[kind] = place_ids(files[kind], listed, dirs[kind], args.link,
                                  args.nproc, kind)
    if fresh['hha']:
        print(f'hha: {len(fresh["hha"])} computed from the depth maps '
              '(the release has none for them)')
    written['hha'] += len(fresh['hha'])
    return finish(split_lists(splits), out, out, written)


def place_ids(files: Dict[str, Path], ids: List[str], folder: Path,
              mode: str, nproc: int, title: str) -> int:
    """Place ``files[i]`` at ``folder/img_<i>.png`` for each of ``ids``
    not there yet (``mode`` of ``--link``); how many were."""
    named = {f'img_{i}': files[i] for i in ids}
    return place_files(named, list(named), folder, '.png', mode, nproc,
                       title)


# ------------------------------------------------------ the labelled .mat

#: The labelled .mat opened in this process, by path (one per worker).
_OPEN: Dict[str, Any] = {}


def import_h5py() -> Any:
    """The ``h5py`` module, which reads the labelled .mat."""
    try:
        import h5py
    except ImportError:
        raise DataError(f'reading {LABELED_MAT} (MATLAB v7.3, an HDF5 file) '
                        'needs h5py: pip install h5py') from None
    return h5py


def opened(path: str) -> Any:
    """The labelled .mat at ``path``, opened once per process."""
    if path not in _OPEN:
        _OPEN[path] = import_h5py().File(path, 'r')
    return _OPEN[path]


def close_opened() -> None:
    """Close the files :func:`opened` opened in this process."""
    while _OPEN:
        _OPEN.popitem()[1].close()


def check_labeled_mat(mat: Path) -> Tuple[int, Tuple[int, int]]:
    """Check the labelled .mat without reading its frames.

    MATLAB writes a v7.3 file as HDF5 with the axes reversed: its
    ``images`` (height x width x 3 x frames in MATLAB) is frames x 3 x
    width x height here, ``depths`` and ``labels`` frames x width x
    height.

    Args:
        mat (Path): ``nyu_depth_v2_labeled.mat``.

    Returns:
        tuple[int, tuple[int, int]]: The number of frames and their
        (height, width).

    Raises:
        DataError: ``mat`` is not an HDF5 file, lacks a dataset or has
            datasets of other shapes.
    """
    h5py = import_h5py()
    hint = f'not {LABELED_MAT}; download it again from {_LABELED_URL}'
    if not h5py.is_hdf5(str(mat)):
        with open(mat, 'rb') as f:
            head = f.read(20)
        what = ('a MATLAB v5 .mat, not the v7.3 (HDF5) file'
                if head.startswith(b'MATLAB 5.0') else
                'not an HDF5 file (a MATLAB v7.3 .mat)')
        raise DataError(f'{mat} is {what}: {hint}')
    with h5py.File(str(mat), 'r') as f:
        found = {
            name: f.get(name) for name in H5_DATASETS
            if isinstance(f.get(name), h5py.Dataset)
        }
        missing = [name for name in H5_DATASETS if name not in found]
        if missing:
            names = ', '.join(
                sorted(k for k in f.keys() if not k.startswith('#')))
            raise DataError(f'{mat} has no {" and no ".join(missing)} '
                            f'dataset (its datasets: {names or "none"}): '
                            f'{hint}')
        images = found['images']
        if images.ndim != 4 or images.shape[1] != 3 or \
                images.dtype != np.uint8:
            raise DataError(f'{mat}: images is {images.dtype} '
                            f'{"x".join(map(str, images.shape))}, not uint8 '
                            'frames x 3 x width x height (MATLAB\'s height x '
                            f'width x 3 x frames): {hint}')
        num, _, width, height = images.shape
        for name in ('depths', 'rawDepths', 'labels'):
            data = found[name]
            kinds = 'f' if name == 'depths' else 'uif'
            if data.shape != (num, width, height) or \
                    data.dtype.kind not in kinds:
                raise DataError(f'{mat}: {name} is {data.dtype} '
                                f'{"x".join(map(str, data.shape))}, images '
                                f'{"x".join(map(str, images.shape))} (frames '
                                f'x 3 x width x height): {hint}')
    return num, (height, width)


def _mat_names(values: np.ndarray) -> List[str]:
    """The strings of a cell array of strings as ``loadmat`` reads it."""
    names = []
    for value in np.asarray(values).ravel():
        value = np.asarray(value).ravel()
        names.append(str(value[0]) if value.size else '')
    return names


def _small_mat(path: Path, kind: str, option: str) -> Tuple[dict, str]:
    """Read one of the small .mat files the labelled .mat needs.

    Args:
        path (Path): The file.
        kind (str): ``'mapping'`` or ``'splits_mat'`` (what and where from).
        option (str): The option that names it elsewhere.

    Returns:
        tuple: The variables, and the hint for the caller's messages.

    Raises:
        DataError: The file is missing or is not a .mat file.
    """
    what, where = _WHAT[kind], _WHERE[kind]
    hint = f'use {what} ({where}), or pass {option}'
    if not path.is_file():
        raise DataError(f'{path} does not exist: the labelled .mat needs '
                        f'{what} beside it; {where}, or pass {option}')
    try:
        return loadmat(str(path)), hint
    except Exception as err:  # scipy raises several types
        raise DataError(f'cannot read {path} ({err}): not a .mat file; '
                        f'{hint}') from None


def read_mapping(path: Path) -> np.ndarray:
    """Gupta's 894 -> 40 mapping as a lookup table to the output labels.

    Args:
        path (Path): ``classMapping40.mat`` (``mapClass``: the class 1..40
            of each of the 894 classes; ``className``, if there: the 40
            names, which must be the reference's).

    Returns:
        np.ndarray: uint8 table indexed by raw label 0..894: 255 for 0
        (unlabelled) and for a class mapped to 0, else the class 0..39.

    Raises:
        DataError: The file is missing or is not the 40-class mapping.
    """
    mat, hint = _small_mat(path, 'mapping', '--mapping')
    if 'mapClass' not in mat:
        names = sorted(k for k in mat if not k.startswith('__'))
        raise DataError(f'{path} has no mapClass (its variables: '
                        f'{", ".join(names) or "none"}): not '
                        f'{MAPPING_MAT}; {hint}')
    mapping = np.asarray(mat['mapClass']).ravel()
    if mapping.size != NUM_RAW_CLASSES:
        raise DataError(f'{path}: mapClass has {mapping.size} entries, not '
                        f'{NUM_RAW_CLASSES} (one per class of the labelled '
                        f'.mat): not {MAPPING_MAT}; {hint}')
    bad = np.unique(mapping[~whole_in(mapping, 0, NUM_CLASSES)])
    if bad.size:
        raise DataError(f'{path}: mapClass holds values outside '
                        f'0..{NUM_CLASSES}: '
                        f'{id_sample([format_value(v) for v in bad])}; not '
                        f'the 40-class mapping; {hint}')
    if 'className' in mat:
        names = _mat_names(mat['className'])
        if names != list(NYUD40_CLASSES):
            raise DataError(f'{path}: className lists {len(names)} classes '
                            f'({", ".join(names[:3])}, ...), not the '
                            f'reference\'s {NUM_CLASSES} in its order '
                            f'(wall, floor, cabinet, ...); {hint}')
    lut = np.full(NUM_RAW_CLASSES + 1, 255, np.uint8)
    lut[1:] = mapping.astype(np.uint8) - 1  # 0 (none) wraps to 255
    return lut


def check_splits_mat(path: Path, splits: Dict[str, List[str]],
                     where: str) -> None:
    """The official ``splits.mat`` agrees with the reference's lists:
    ``trainNdxs`` holds the frames of train and val, ``testNdxs`` those of
    test (an id is :data:`ID_OFFSET` + the frame number).

    Raises:
        DataError: The file is missing or malformed, or disagrees.
    """
    mat, hint = _small_mat(path, 'splits_mat', '--splits-mat')
    frames = {}
    for name in ('trainNdxs', 'testNdxs'):
        if name not in mat:
            names = sorted(k for k in mat if not k.startswith('__'))
            raise DataError(f'{path} has no {name} (its variables: '
                            f'{", ".join(names) or "none"}): not '
                            f'{SPLITS_MAT}; {hint}')
        values = np.asarray(mat[name]).ravel()
        if not whole_in(values, 1, np.inf).all():
            raise DataError(f'{path}: {name} holds other values than frame '
                            f'numbers (1, 2, ...): not {SPLITS_MAT}; {hint}')
        frames[name] = set(values.astype(np.int64).tolist())
    for name, lists in (('trainNdxs', ('train', 'val')),
                        ('testNdxs', ('test', ))):
        ids = [i for s in lists for i in splits[s]]
        listed = {int(i) - ID_OFFSET for i in ids}
        if listed != frames[name]:
            only = sorted(frames[name] - listed)
            lacking = sorted(listed - frames[name])
            parts = []
            if only:
                sample = id_sample([str(f + ID_OFFSET) for f in only])
                parts.append(f'{len(only)} frames only in {name} (ids '
                             f'{sample})')
            if lacking:
                sample = id_sample([str(f + ID_OFFSET) for f in lacking])
                parts.append(f'{len(lacking)} {" and ".join(lists)} ids not '
                             f'in it ({sample})')
            raise DataError(f'{path} disagrees with the lists of {where}: '
                            f'{"; ".join(parts)} (an id is {ID_OFFSET} + the '
                            f'frame number); {hint}')


def convert_frame(job: tuple) -> Optional[str]:
    """Write the four PNGs of one frame of the labelled .mat.

    The frame is read (one frame of each dataset, never the whole file),
    turned to height x width, cropped and checked before anything is
    written; PNGs that exist are kept, and the HHA is computed only if its
    PNG is missing.

    Args:
        job (tuple): ``(kind, .mat, frame (1-based), id, crop, lookup table
            bytes, (image, depth, hha, label PNG))``.

    Returns:
        str | None: Why the frame is not valid (nothing is written then),
        or None once the PNGs exist.
    """
    _, mat, frame, idx, crop, lut_bytes, paths = job
    targets = dict(zip(KINDS, paths))
    if all(osp.exists(p) for p in paths):
        return None
    where = f'{mat}: frame {frame} (id {idx})'
    try:
        data = opened(mat)
        num = frame - 1
        # HDF5 order is MATLAB's reversed: back to height x width (x 3)
        rgb = np.asarray(data['images'][num]).transpose(2, 1, 0)
        depth = np.asarray(data['depths'][num]).T
        raw = np.asarray(data['labels'][num]).T
    except Exception as err:  # h5py raises several types
        return (f'cannot read {where} ({err}): a damaged file; download '
                f'{LABELED_MAT} again')
    rgb, depth, raw = (crop_frame(a, crop) for a in (rgb, depth, raw))
    values = np.unique(raw)
    bad = values[~whole_in(values, 0, NUM_RAW_CLASSES)]
    if bad.size:
        return (f'{where} holds labels outside 0..{NUM_RAW_CLASSES} (0 '
                f'unlabelled, 1..{NUM_RAW_CLASSES} its classes): '
                f'{id_sample([format_value(v) for v in bad])}; download '
                f'{LABELED_MAT} again')
    if not np.isfinite(depth).all() or (depth < 0).any():
        return (f'{where}: the depth map holds NaN, infinite or negative '
                f'values: not the filled depths of {LABELED_MAT}; download '
                'it again')
    lut = np.frombuffer(lut_bytes, np.uint8)
    arrays = dict(
        images=np.ascontiguousarray(rgb, np.uint8),
        depth=depth_millimetres(depth),
        labels=lut[raw.astype(np.int64)])
    if not osp.exists(targets['hha']):
        try:
            raw_depth = crop_frame(
                np.asarray(data['rawDepths'][num]).T, crop)
        except Exception as err:  # h5py raises several types
            return (f'cannot read {where} ({err}): a damaged file; download '
                    f'{LABELED_MAT} again')
        try:
            arrays['hha'] = compute_hha(depth, crop[:2] if crop else None,
                                        missing=raw_depth == 0)
        except DepthHolesError as err:
            return (f'{where}: the depth map (depths) {holes(err)}: not the '
                    f'filled depths of {LABELED_MAT}; download it again')
        except DataFileError as err:
            return f'{where}: {err}'
    return write_missing(arrays, targets)


def prepare_labeled(args: argparse.Namespace, mat: Path) -> Dict[str, int]:
    """Prepare the labelled .mat ``mat`` (see :func:`main`)."""
    num, shape = check_labeled_mat(mat)
    crop: Crop = {'reference': REFERENCE_CROP, 'none': None,
                  None: REFERENCE_CROP}.get(args.crop, args.crop)
    if crop is not None and (crop[0] + crop[2] > shape[0]
                             or crop[1] + crop[3] > shape[1]):
        name = 'reference' if crop == REFERENCE_CROP else ','.join(
            map(str, crop))
        raise DataError(f'--crop {name} (top {crop[0]}, left {crop[1]}, '
                        f'{crop[2]}x{crop[3]}) does not fit the '
                        f'{shape[0]}x{shape[1]} frames of {mat}; use --crop '
                        'none, or a box inside the frame')
    lut = read_mapping(Path(args.mapping or mat.parent / MAPPING_MAT))
    splits, lists, where = load_splits(
        Path(args.splits) if args.splits else None)
    for split, listed in splits.items():
        outside = [i for i in listed if not 1 <= int(i) - ID_OFFSET <= num]
        if outside:
            raise DataError(f'{len(outside)} ids of {lists[split]} are no '
                            f'frames of {mat} ({num} frames; an id is '
                            f'{ID_OFFSET} + the frame number): '
                            f'{id_sample(outside)}; use the reference\'s '
                            'lists')
    ids = all_ids(splits)
    check_splits_mat(Path(args.splits_mat or mat.parent / SPLITS_MAT),
                     splits, where)

    out = Path(args.out)
    dirs = {kind: out / kind for kind in KINDS}
    created = make_dirs(list(dirs.values()))
    for folder in (out, *dirs.values()):
        clean_partials(folder)
    jobs = [('frame', str(mat), int(i) - ID_OFFSET, i, crop, lut.tobytes(),
             tuple(str(dirs[kind] / f'img_{i}.png') for kind in KINDS))
            for i in ids]
    jobs = [job for job in jobs if not all(map(osp.exists, job[6]))]
    fresh = {
        kind: [job[6][n] for job in jobs if not osp.lexists(job[6][n])]
        for n, kind in enumerate(KINDS)
    }
    try:
        results = run_jobs(jobs, args.nproc, 'frames', convert_frame)
    finally:
        close_opened()
    error = job_errors(results, 'bad frames')
    if error:
        undo([p for paths in fresh.values() for p in paths], created,
             list(dirs.values()))
        raise DataError(f'{error}; nothing of this run was kept')
    written = {kind: len(paths) for kind, paths in fresh.items()}
    return finish(split_lists(splits), out, out, written)


# ------------------------------------------------------------------ main


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, int]:
    """The command line of ``tools/prepare_nyud.py``.

    Args:
        argv (Sequence[str], optional): The arguments; None: ``sys.argv``.

    Returns:
        dict[str, int]: How many files of each kind (``images``,
        ``depth``, ``hha``, ``labels``, ``splits``) were written.

    Raises:
        DataError: An input is missing or malformed; nothing of this run
            is kept.
    """
    args = parse_args(argv)
    source, path = find_input(Path(args.nyud), args.source)
    if source == 'reference':
        return prepare_reference(args, path)
    return prepare_labeled(args, path)
