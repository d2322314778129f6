"""Lay out SIFT Flow for the FCN configs: images, both label maps, splits.

The command line of ``tools/prepare_siftflow.py``: the SIFT Flow task of
`FCN <https://arxiv.org/abs/1605.06211>`_ (33 semantic and 3 geometric
classes, one net with two heads), prepared from the official
``SiftFlowDataset.zip`` as the reference's data layer
(fcn.berkeleyvision.org ``siftflow_layers.py``) reads it.

Example::

    python tools/prepare_siftflow.py --siftflow /data/SiftFlowDataset \\
        --splits /data/fcn.berkeleyvision.org/data/sift-flow \\
        --out data/siftflow --nproc 4

reads the unpacked zip (``Images/``, ``SemanticLabels/`` and
``GeoLabels/``, each holding
``spatial_envelope_256x256_static_8outdoorcategories/`` with ``<id>.jpg``
or ``<id>.mat``; a ``SiftFlowDataset/`` folder holding them is accepted as
well) and the reference's splits (``trainval.txt``, 2,486 ids, and
``test.txt``, 200 ids: ``data/sift-flow/`` of the fcn.berkeleyvision.org
repository, not part of the zip) and writes::

    OUT/images/<id>.jpg          (links, per --link)
    OUT/semantic/<id>.png        (uint8: classes 0..32, void 255)
    OUT/geometric/<id>.png       (uint8: classes 0..2, void 255)
    OUT/trainval.txt
    OUT/test.txt

The labels are the reference's ``load_label``: the ``.mat`` field ``S``
(semantic: 0 void, 1..33 the classes of its ``classes.txt``, awning ...
window; geometric: -1 void, 1..3 sky, horizontal, vertical), geometric -1
set to 0, cast to uint8 and lowered by 1, so that void becomes 255 and the
classes count from 0. The splits are the reference's lists, in their
order; the images highway_bost181 and street_urb506 (no annotations) are
in neither. Only the listed ids are prepared. Every file is written
atomically, so a rerun skips finished files; a bad label file stops the
run before anything of it is kept.

Or fetch everything first::

    python tools/prepare_siftflow.py --download /data/siftflow-release

downloads ``SiftFlowDataset.zip`` and the reference's two lists into
``/data/siftflow-release`` (resuming partial files; no checksums are
published, so the zip's content is checked after extraction and the lists
must hold ids only), unpacks the zip to
``/data/siftflow-release/SiftFlowDataset`` and prepares it as above.
"""
import argparse
import os.path as osp
import re
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from fcn_plugin.utils.atomic_io import atomic_path
from .download import extract
from .prepare_common import (DataError, add_common_args, add_job_args,
                             archive_content, clean_partials, compare_counts,
                             deleted_download, download_sources, finish,
                             format_value, id_sample, job_errors, make_dirs,
                             names_in, need_dir, parse_and_fetch,
                             parse_tool_args, place_files, read_mat_map)
from .prepare_common import read_split as read_common_split
from .prepare_common import require, run_jobs, undo, whole_in

#: Sizes of the reference's splits.
OFFICIAL_COUNTS = dict(trainval=2486, test=200)
SPLITS = ('trainval', 'test')
#: The one category folder inside each folder of the release.
SUBDIR = 'spatial_envelope_256x256_static_8outdoorcategories'
#: Input folder and file suffix of each kind of file in the release.
INPUTS = dict(
    image=('Images', '.jpg'),
    semantic=('SemanticLabels', '.mat'),
    geometric=('GeoLabels', '.mat'))
LABELS = ('semantic', 'geometric')
#: The raw values of ``S`` the release uses (void included).
RAW_RANGE = dict(semantic=(0, 33), geometric=(-1, 3))
#: Classes per label map (void is 255 in the PNGs).
NUM_CLASSES = dict(semantic=33, geometric=3)
#: The folder the zip is unpacked to, and what it holds.
ZIP_TOP = 'SiftFlowDataset'
ZIP_CONTENT = tuple(folder for folder, _ in INPUTS.values())
#: What ``--download`` fetches: the release (no checksum published: its
#: content is checked after extraction) and the reference's lists from
#: the fcn.berkeleyvision.org repository (ids only).
SOURCES = dict(
    siftflow=dict(
        url='http://www.cs.unc.edu/~jtighe/Papers/ECCV10/siftflow/'
        'SiftFlowDataset.zip',
        filename='SiftFlowDataset.zip'),
    trainval=dict(
        url='https://raw.githubusercontent.com/shelhamer/'
        'fcn.berkeleyvision.org/master/data/sift-flow/trainval.txt',
        filename='trainval.txt'),
    test=dict(
        url='https://raw.githubusercontent.com/shelhamer/'
        'fcn.berkeleyvision.org/master/data/sift-flow/test.txt',
        filename='test.txt'))
#: An id of the release: ``<category>_<source><number>``, e.g.
#: ``coast_arnat59`` (every id of the reference's lists has this form).
_ID = re.compile(r'[a-z]+_[a-z]+\d+')
_ZIP_HINT = ('; pass the folder where SiftFlowDataset.zip was unpacked '
             '(Images/, SemanticLabels/, GeoLabels/), or --download DIR')
_LIST_HINT = ('--splits must hold the reference\'s trainval.txt and test.txt '
              '(data/sift-flow/ of fcn.berkeleyvision.org), or use '
              '--download DIR')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The options of ``tools/prepare_siftflow.py``."""
    parser = argparse.ArgumentParser(
        description='Prepare SIFT Flow (semantic and geometric labels, the '
        'FCN reference\'s splits) for the FCN configs.')
    parser.add_argument(
        '--siftflow',
        metavar='DIR',
        help='the unpacked SiftFlowDataset.zip (holding Images/, '
        'SemanticLabels/ and GeoLabels/, or a SiftFlowDataset/ folder '
        'with them)')
    parser.add_argument(
        '--splits',
        metavar='DIR',
        help='folder holding the reference\'s trainval.txt and test.txt '
        '(data/sift-flow/ of fcn.berkeleyvision.org; not in the zip)')
    add_common_args(
        parser,
        SOURCES,
        download_help='download SiftFlowDataset.zip and the reference\'s '
        'trainval.txt and test.txt into DIR (resumable; no checksums are '
        'published: the zip\'s content is checked after extraction, the '
        'lists must hold ids only), unpack the zip there and use them as '
        '--siftflow and --splits',
        out='data/siftflow',
        out_help='output folder (images/, semantic/, geometric/, '
        'trainval.txt, test.txt)')
    add_job_args(parser, 'how images/ reuses the release\'s JPEGs')
    return parse_tool_args(parser, argv, ('siftflow', 'splits'),
                           '--siftflow and --splits',
                           ' (the unpacked zip and the reference\'s lists)')


# ---------------------------------------------------------------- labels


def read_map(src: str, kind: str) -> Tuple[Optional[np.ndarray], str]:
    """Read and check the ``S`` field of one ``.mat`` label file.

    Args:
        src (str): The ``.mat`` file.
        kind (str): ``semantic`` or ``geometric`` (see :data:`RAW_RANGE`).

    Returns:
        tuple[np.ndarray | None, str]: The raw map, or None and why
        ``src`` is not a valid label file.
    """
    use = f'use {INPUTS[kind][0]}/ of SiftFlowDataset.zip'
    raw, why = read_mat_map(src, 'S', 'SIFT Flow', 'SiftFlowDataset.zip', use)
    if raw is None:
        return None, why
    low, high = RAW_RANGE[kind]
    values = np.unique(raw)
    bad = values[~whole_in(values, low, high)]
    if bad.size:
        return None, (f'{src} holds values outside {low}..{high} (the '
                      f'{kind} labels of SIFT Flow): '
                      f'{id_sample([format_value(v) for v in bad])}; {use}')
    return raw, ''


def reference_label(raw: np.ndarray, kind: str) -> np.ndarray:
    """The reference's ``load_label`` of a checked raw map.

    Args:
        raw (np.ndarray): ``S`` as :func:`read_map` returns it.
        kind (str): ``semantic`` or ``geometric``.

    Returns:
        np.ndarray: uint8 map, classes from 0, void 255.
    """
    label = np.array(raw, copy=True)
    if kind == 'geometric':
        label[label == -1] = 0
    label = label.astype(np.uint8)
    label -= 1  # classes from 0, void (0) wraps to 255
    return label


def convert_labels(job: tuple) -> Optional[str]:
    """Convert the two ``.mat`` labels of one image to PNGs.

    Both maps are read and checked (values, and their size against the
    image's) before either PNG is written; PNGs that exist are kept.

    Args:
        job (tuple): ``(kind, image, semantic .mat, geometric .mat,
            semantic PNG, geometric PNG)``.

    Returns:
        str | None: Why the inputs are not valid (nothing is written then),
        or None once both PNGs exist.
    """
    _, image, *sources = job[:4]
    targets = dict(zip(LABELS, job[4:6]))
    try:
        with Image.open(image) as img:
            width, height = img.size
    except Exception as err:  # PIL raises several types
        return (f'cannot read the image {image} ({err}): a damaged file; '
                'replace it from SiftFlowDataset.zip')
    labels = {}
    for kind, src in zip(LABELS, sources):
        raw, why = read_map(src, kind)
        if raw is None:
            return why
        labels[kind] = (src, raw)
    for kind, (src, raw) in labels.items():
        if raw.shape != (height, width):
            sizes = ', '.join(f'{k} {s} {r.shape[0]}x{r.shape[1]}'
                              for k, (s, r) in labels.items())
            return (f'{src}: the {kind} map is {raw.shape[0]}x{raw.shape[1]}'
                    f' (height x width), its image {image} {height}x{width}'
                    f' ({sizes}): the files do not belong together; replace '
                    'them from SiftFlowDataset.zip')
    for kind, (src, raw) in labels.items():
        dst = targets[kind]
        if osp.exists(dst):
            continue
        try:
            with atomic_path(dst, durable=False) as tmp:
                Image.fromarray(reference_label(raw, kind)).save(
                    tmp, format='PNG')
        except Exception as err:
            raise RuntimeError(f'cannot write {dst} from {src}: '
                               f'{err}') from err
    return None


# ---------------------------------------------------------------- inputs


def find_siftflow_root(siftflow: Path, hint: str = _ZIP_HINT) -> Path:
    """The folder holding ``Images/`` etc., given the unpacked zip (a
    missing one is named, with ``hint``)."""
    for root in (siftflow, siftflow / ZIP_TOP):
        if (root / 'Images').is_dir():
            return root
    raise DataError(f'--siftflow {siftflow} holds neither Images/ nor '
                    f'{ZIP_TOP}/Images/{hint}')


def input_folders(root: Path, hint: str = _ZIP_HINT) -> Dict[str, Path]:
    """Kind -> the release's folder of that kind of file (a missing one
    is named, with ``hint``)."""
    folders = {}
    for kind, (folder, _) in INPUTS.items():
        try:
            folders[kind] = need_dir(root / folder / SUBDIR,
                                     f'SIFT Flow {kind}')
        except DataError as err:
            raise DataError(f'{err}{hint}') from None
    return folders


def read_split(path: Path, split: str) -> List[str]:
    """Read one of the reference's lists, refusing anything but ids.

    Raises:
        DataError: The list is missing, empty or holds something else.
    """
    return read_common_split(path, f'SIFT Flow {split}', _ID, 'coast_arnat59',
                             _LIST_HINT)


def check_counts(counts: Dict[str, int]) -> List[str]:
    """Compare split sizes with the reference's when they look official.

    Args:
        counts (dict): Split -> size found.

    Returns:
        list[str]: One ``name: expected E, got G`` entry per mismatch
        (empty for small lists that are clearly not the reference's).
    """
    return compare_counts(
        counts, OFFICIAL_COUNTS,
        'the lists look like the SIFT Flow splits of the FCN reference')


# -------------------------------------------------------------- download


def _check_list(path: Path, url: str, name: str) -> None:
    """A downloaded list (no checksum) holds ids only; else it is
    deleted."""
    try:
        read_split(path, name)
    except DataError:
        head = path.read_bytes()[:40]
        raise deleted_download(
            path, url, f'a list of SIFT Flow ids (it starts {head!r})',
            name) from None


def _zip_has_top(archive: Path) -> bool:
    """Whether every entry of ``archive`` lies under ``SiftFlowDataset/``
    (a damaged zip says no: :func:`extract` names the damage)."""
    try:
        with zipfile.ZipFile(archive) as opened:
            names = opened.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return bool(names) and all(
        n.startswith(f'{ZIP_TOP}/') or n == ZIP_TOP for n in names)


def _check_release(folder: Path, archive: Path, url: str) -> None:
    """The unpacked zip (no checksum) holds what it should."""
    with archive_content(folder, archive, url, 'siftflow'):
        root = find_siftflow_root(folder, hint='')
        for kind, path in input_folders(root, hint='').items():
            suffix = INPUTS[kind][1]
            if not names_in(path, suffix):
                raise DataError(f'{path} holds no {suffix} files')


def fetch_sources(args: argparse.Namespace) -> None:
    """Download the lists and the release into ``args.download``, unpack
    it there; point ``args.siftflow`` and ``args.splits`` at them.

    Raises:
        DownloadError: A download or the extraction failed.
        DataError: A file (none has a checksum) has the wrong content.
    """
    root = Path(args.download)
    # the small files first
    for name, path, url in download_sources(args, SOURCES,
                                            ('trainval', 'test', 'siftflow')):
        if name == 'siftflow':
            if _zip_has_top(path):
                folder = extract(path, root, ZIP_TOP)
            else:  # the folders at the zip's root
                folder = extract(path, root, ZIP_TOP, ZIP_CONTENT)
            _check_release(folder, path, url)
        else:
            _check_list(path, url, name)
    args.siftflow, args.splits = str(root / ZIP_TOP), str(root)


# ------------------------------------------------------------------ main


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, int]:
    """The command line of ``tools/prepare_siftflow.py``.

    Args:
        argv (Sequence[str], optional): The arguments; None: ``sys.argv``.

    Returns:
        dict[str, int]: How many files of each kind (``semantic``,
        ``geometric``, ``images``, ``splits``) were written.

    Raises:
        DataError: An input is missing or malformed; nothing of this run
            is kept.
        DownloadError: ``--download`` failed.
    """
    args = parse_and_fetch(argv, parse_args, fetch_sources)
    folders = input_folders(find_siftflow_root(Path(args.siftflow)))
    files = {
        kind: names_in(folders[kind], INPUTS[kind][1])
        for kind in INPUTS
    }
    lists = {s: Path(args.splits) / f'{s}.txt' for s in SPLITS}
    splits = {s: read_split(lists[s], s) for s in SPLITS}
    test = set(splits['test'])
    both = [i for i in splits['trainval'] if i in test]
    if both:
        raise DataError(f'{len(both)} ids are in both {lists["trainval"]} '
                        f'and {lists["test"]}: {id_sample(both)}; '
                        f'{_LIST_HINT}')
    for split, ids in splits.items():
        for kind in INPUTS:
            what = 'image' if kind == 'image' else f'{kind} label'
            try:
                require(ids, files[kind], what, folders[kind], lists[split])
            except DataError as err:
                raise DataError(f'{err}; unpack SiftFlowDataset.zip '
                                'completely, or use the reference\'s '
                                'lists') from None
    check_counts({k: len(v) for k, v in splits.items()})
    ids = sorted(set(splits['trainval'] + splits['test']))

    out = Path(args.out)
    dirs = dict(
        images=out / 'images',
        semantic=out / 'semantic',
        geometric=out / 'geometric')
    created = make_dirs(list(dirs.values()))
    for folder in (out, *dirs.values()):
        clean_partials(folder)
    jobs = [('labels', str(files['image'][i]), str(files['semantic'][i]),
             str(files['geometric'][i]), str(dirs['semantic'] / f'{i}.png'),
             str(dirs['geometric'] / f'{i}.png')) for i in ids]
    jobs = [job for job in jobs if not all(map(osp.exists, job[4:]))]
    fresh = {
        kind: [job[4 + n] for job in jobs if not osp.lexists(job[4 + n])]
        for n, kind in enumerate(LABELS)
    }
    error = job_errors(
        run_jobs(jobs, args.nproc, 'labels', convert_labels), 'bad inputs')
    if error:
        undo(fresh['semantic'] + fresh['geometric'], created,
             list(dirs.values()))
        raise DataError(f'{error}; nothing of this run was kept')
    written = {kind: len(paths) for kind, paths in fresh.items()}
    written['images'] = place_files(files['image'], ids, dirs['images'],
                                    '.jpg', args.link, args.nproc, 'images')
    return finish(splits, out, out, written)
