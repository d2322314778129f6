"""Lay out PASCAL-Context for the FCN configs (MMSeg's layout).

The command line of ``tools/prepare_pascal_context.py``: the 59-class
PASCAL-Context task of `FCN <https://arxiv.org/abs/1605.06211>`_, prepared
from the official files as the reference's data layer
(fcn.berkeleyvision.org ``pascalcontext_layers.py``) reads them.

Example::

    python tools/prepare_pascal_context.py --voc2010 /data/VOCdevkit \\
        --context /data/pascal-context --out data/VOCdevkit --nproc 4

reads VOC2010 ``JPEGImages/<id>.jpg`` and ``ImageSets/Main/{train,val}.txt``
(4,998 and 5,105 ids) and the PASCAL-Context annotations
(``trainval/<id>.mat`` with the raw ids of the full 459-label annotation
in ``LabelMap``, their names in ``labels.txt``) and writes::

    OUT/VOC2010/JPEGImages/<id>.jpg           (links, per --link)
    OUT/VOC2010/SegmentationClassContext/<id>.png
    OUT/VOC2010/ImageSets/SegmentationContext/{train,val}.txt

which MMSeg's ``PascalContextDataset`` (60 classes, 0 = background) and
``PascalContextDataset59`` (``reduce_zero_label``) read. The mapping is
the reference's: the 59 task classes (``59_labels.txt``; its names
``diningtable``, ``bedcloth`` and ``clothes`` are ``table``,
``bedclothes`` and ``cloth`` in ``labels.txt``, names compared without
spaces) keep their pixels, every other raw id (and 0) becomes background.
Each PNG stores the index of its class in MMSeg's (alphabetical) class
list instead of the reference's order; the classes are matched by name.
The splits are the reference's: ``ImageSets/Main/{train,val}.txt``.
``59_labels.txt`` in ``--context`` is optional; if present it must list
the reference's order. Every file is written atomically, so a rerun skips
finished files; a bad label file stops the run before anything of it is
kept.

**MMSeg's converter layout.** Without ``--context`` the VOC2010 tree must
already hold ``SegmentationClassContext/*.png`` as MMSeg's own converter
(``mmseg/.mim/tools/dataset_converters/pascal_context.py``, which needs the
Detail API) writes them. Their values are checked (0..59) and the
reference's splits are written: the ids of the ``ImageSets/Main`` lists
that have a label. That converter labels 4,996 train and 5,104 val images,
not the reference's 4,998 and 5,105, so the ids without a label are left
out with a warning that names them. ``--splits mmseg`` keeps MMSeg's own
``ImageSets/SegmentationContext/{train,val}.txt`` instead.

Or fetch everything first::

    python tools/prepare_pascal_context.py --download /data/context

downloads ``VOCtrainval_03-May-2010.tar`` (MD5-checked, as torchvision
records it), the annotations ``trainval.tar.gz`` and ``59_labels.txt``
(no published checksums: their content is checked) into ``/data/context``
(resuming partial files), unpacks them to ``/data/context/VOCdevkit`` and
``/data/context/pascal-context`` and prepares them as above.
"""
import argparse
import os
import re
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from fcn_plugin.datasets.class_orders import (CONTEXT_59, PASCAL_CONTEXT,
                                              dataset_meta)
from fcn_plugin.utils.atomic_io import atomic_path
from .download import COMPLETE_STAMP, extract
from .prepare_common import (DataError, add_common_args, add_job_args,
                             archive_content, clean_partials, compare_counts,
                             deleted_download, download_sources,
                             find_voc_folder, finish, format_value, id_sample,
                             job_errors, make_dirs, names_in, need_dir,
                             parse_and_fetch, parse_tool_args, pending,
                             place_files, read_ids, read_mat_map, require,
                             run_jobs, undo, whole_in)

#: Sizes of the reference's splits (VOC2010 ``ImageSets/Main``).
OFFICIAL_COUNTS = dict(train=4998, val=5105)
#: Sizes of the splits MMSeg's converter writes (the images it labels).
MMSEG_COUNTS = dict(train=4996, val=5104)
#: How many classes a PNG may hold (MMSeg's 60, 0 = background).
NUM_CLASSES = len(PASCAL_CONTEXT.caffe_classes)
SPLITS = ('train', 'val')
#: Whose split lists ``--splits`` writes: the reference's, or (MMSeg's
#: converter layout only) those of MMSeg's converter.
SPLIT_SOURCES = ('reference', 'mmseg')
#: What ``--download`` fetches: the VOC2010 archive with URL (the Oxford
#: VOC server's mirror) and MD5 as torchvision's ``VOCSegmentation``
#: records them; the PASCAL-Context annotations and task class list from
#: their site (no checksums published: their content is checked); and
#: the folder each archive unpacks to.
SOURCES = dict(
    voc2010=dict(
        url='https://thor.robots.ox.ac.uk/pascal/VOC/voc2010/'
        'VOCtrainval_03-May-2010.tar',
        filename='VOCtrainval_03-May-2010.tar',
        md5='da459979d0c395079b5c75ee67908abb',
        top='VOCdevkit'),
    context=dict(
        url='https://cs.stanford.edu/~roozbeh/pascal-context/'
        'trainval.tar.gz',
        filename='trainval.tar.gz',
        md5=None,
        top='pascal-context'),
    labels59=dict(
        url='https://cs.stanford.edu/~roozbeh/pascal-context/59_labels.txt',
        filename='59_labels.txt',
        md5=None,
        top=None))
#: What the annotations archive holds at its root (it has no top folder).
CONTEXT_CONTENT = ('trainval', 'labels.txt')
_LINE = re.compile(r'\s*(\d+)\s*:\s*(\S.*?)\s*')
#: LUT value of a raw id that ``labels.txt`` does not list.
_UNLISTED = 255
_PNG_MODES = ('L', 'P', 'I', 'I;16')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The options of ``tools/prepare_pascal_context.py``; ``labels59``
    (the task class list of ``--download``) is None until
    :func:`fetch_sources` sets it."""
    parser = argparse.ArgumentParser(
        description='Prepare PASCAL-Context (59 classes, the FCN reference\'s '
        'mapping and splits) in MMSeg\'s layout.')
    parser.add_argument(
        '--voc2010',
        help='VOCdevkit folder (holding VOC2010/) or the VOC2010 folder')
    parser.add_argument(
        '--context',
        help='unpacked PASCAL-Context trainval.tar.gz (holding trainval/ '
        'and labels.txt; 59_labels.txt optional). Without it, the VOC2010 '
        'tree must hold the SegmentationClassContext/ PNGs of MMSeg\'s '
        'converter')
    add_common_args(
        parser,
        SOURCES,
        download_help='download VOC2010 trainval (MD5-checked), the '
        'PASCAL-Context trainval.tar.gz and 59_labels.txt (no checksums '
        'published: their content is checked after download) into DIR '
        '(resumable), unpack them there and use them as --voc2010 and '
        '--context',
        out='data/VOCdevkit',
        out_help='output VOCdevkit folder (VOC2010/ is created in it)')
    parser.add_argument(
        '--splits',
        choices=SPLIT_SOURCES,
        default='reference',
        help='reference: train/val of VOC2010 ImageSets/Main (as the FCN '
        'reference); mmseg: keep the ImageSets/SegmentationContext lists '
        'of MMSeg\'s converter (only without --context)')
    add_job_args(parser,
                 'how JPEGImages (and existing PNG labels) reuse the inputs')
    args = parse_tool_args(parser, argv, ('voc2010', 'context'),
                           '--voc2010 (and --context)',
                           required=('voc2010', ))
    if args.splits == 'mmseg' and (args.context or args.download):
        parser.error('--splits mmseg keeps the split files of MMSeg\'s '
                     'converter layout: give --voc2010 without --context')
    args.labels59 = None
    return args


# ---------------------------------------------------------------- labels


def read_label_list(path: Path) -> List[Tuple[int, str]]:
    """Read an ``id: name`` list (``labels.txt``, ``59_labels.txt``).

    Names lose their spaces, as the reference's
    ``label.replace(' ', '')``.

    Args:
        path (Path): The list.

    Returns:
        list[tuple[int, str]]: ``(id, name)`` per line, in file order.

    Raises:
        DataError: The file is missing, empty or has a malformed line.
    """
    if not path.is_file():
        raise DataError(f'{path} does not exist; it comes with the '
                        'PASCAL-Context annotations (trainval.tar.gz)')
    entries = []
    for num, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise DataError(f'{path} line {num}: {line[:60]!r} is not '
                            '"id: name"; use the file of the PASCAL-Context '
                            'release')
        entries.append((int(match[1]), match[2].replace(' ', '')))
    if not entries:
        raise DataError(f'{path} is empty; use the file of the '
                        'PASCAL-Context release')
    return entries


def check_task_labels(path: Path) -> None:
    """Refuse a ``59_labels.txt`` that is not the reference's order.

    Raises:
        DataError: ``path`` is malformed or does not list
            :data:`CONTEXT_59` in that order.
    """
    names = [name for _, name in read_label_list(path)]
    if names == list(CONTEXT_59):
        return
    if len(names) != len(CONTEXT_59):
        what = f'{len(names)} classes, not {len(CONTEXT_59)}'
    else:
        num = next(i for i, (a, b) in enumerate(zip(names, CONTEXT_59))
                   if a != b)
        what = f'class {num + 1} is {names[num]!r}, not {CONTEXT_59[num]!r}'
    raise DataError(f'{path} does not list the 59 task classes in the '
                    f'reference\'s order ({what}); use the 59_labels.txt '
                    'of the PASCAL-Context release, or remove it')


def label_lut(labels: Path) -> np.ndarray:
    """Raw id -> MMSeg class index, from ``labels.txt``.

    The reference maps the raw id of each of the 59 task classes to its
    class and every other raw id to background (0); here the class is
    numbered as in MMSeg's ``PascalContextDataset`` (matched by name).

    Args:
        labels (Path): ``labels.txt`` of the annotations (``id: name``).

    Returns:
        np.ndarray: uint8 table indexed by raw id; raw ids that
        ``labels.txt`` does not list (other than 0, background) hold 255.

    Raises:
        DataError: ``labels.txt`` is missing or malformed, lists an id
            twice, or lacks one of the 59 task classes.
    """
    entries = read_label_list(labels)
    ids: Dict[int, str] = {}
    by_name: Dict[str, int] = {}
    for raw, name in entries:
        if raw in ids:
            raise DataError(f'{labels} lists id {raw} twice ({ids[raw]!r} '
                            f'and {name!r}); use the labels.txt of the '
                            'PASCAL-Context release')
        ids[raw] = name
        by_name.setdefault(name, raw)  # the first, as list.index
    classes = dataset_meta('pascal-context')['classes']
    lut = np.full(max(ids) + 1, _UNLISTED, np.uint8)
    lut[0] = 0
    lut[list(ids)] = 0
    for task_name in CONTEXT_59:
        name = PASCAL_CONTEXT.mmseg_name(task_name)
        if name not in by_name:
            also = f' (59_labels.txt: {task_name!r})' if name != task_name \
                else ''
            raise DataError(f'{labels} does not list the task class '
                            f'{name!r}{also}; use the labels.txt of the '
                            'PASCAL-Context release')
        lut[by_name[name]] = classes.index(name)
    return lut


def convert_label(job: tuple) -> Optional[str]:
    """Convert one ``.mat`` label to an MMSeg PNG.

    Args:
        job (tuple): ``(kind, src, dst, lut, labels)``: the ``.mat``, the
            PNG to write, :func:`label_lut` as bytes and the path of
            ``labels.txt`` (for messages).

    Returns:
        str | None: Why ``src`` is not a valid label (nothing is written
        then), or None once ``dst`` is written.
    """
    _, src, dst, lut_bytes, labels = job
    lut = np.frombuffer(lut_bytes, np.uint8)
    raw, why = read_mat_map(src, 'LabelMap', 'PASCAL-Context',
                            'trainval.tar.gz',
                            'use trainval/ of the PASCAL-Context release')
    if raw is None:
        return why
    values = np.unique(raw)
    valid = whole_in(values, 0, len(lut) - 1)
    known = values[valid].astype(np.int64)
    bad = list(values[~valid]) + list(known[lut[known] == _UNLISTED])
    if bad:
        more = f' (and {len(bad) - 1} more)' if len(bad) > 1 else ''
        return (f'{src} holds raw id {format_value(bad[0])}{more}, which '
                f'{labels} does not list; use the labels.txt of the same '
                'PASCAL-Context release')
    label = lut[raw.astype(np.int64)]
    try:
        with atomic_path(dst, durable=False) as tmp:
            Image.fromarray(label).save(tmp, format='PNG')
    except Exception as err:
        raise RuntimeError(f'cannot write {dst} from {src}: {err}') from err
    return None


def check_png(job: tuple) -> Optional[str]:
    """Check one PNG label of MMSeg's converter layout.

    Args:
        job (tuple): ``(kind, src)``.

    Returns:
        str | None: Why ``src`` is not a valid label, or None.
    """
    src = job[1]
    try:
        with Image.open(src) as img:
            mode = img.mode
            label = np.asarray(img)
    except Exception as err:  # PIL raises several types
        return f'cannot read {src} ({err}): a damaged file?'
    if mode not in _PNG_MODES:
        return (f'{src} is a {mode} image, not a single-channel label; '
                'write the labels with MMSeg\'s converter (pascal_context.py) '
                'or give --context')
    top = int(label.max()) if label.size else 0
    if top >= NUM_CLASSES:
        return (f'{src} holds value {top}, outside 0..{NUM_CLASSES - 1} '
                '(PASCAL-Context\'s 60 classes, 0 = background): not written '
                'by MMSeg\'s converter; give --context to convert the '
                'official .mat labels')
    return None


# ---------------------------------------------------------------- inputs


def find_voc2010_root(voc: Path) -> Path:
    """The VOC2010 folder given a VOCdevkit or VOC2010 path."""
    return find_voc_folder(voc, 'VOC2010', '--voc2010',
                           'VOCtrainval_03-May-2010')


def find_context(context: Path) -> Tuple[Path, Path]:
    """``trainval/`` and ``labels.txt`` of the unpacked annotations."""
    trainval, labels = context / 'trainval', context / 'labels.txt'
    if not trainval.is_dir():
        raise DataError(f'--context {context} holds no trainval/ folder; '
                        'pass the folder where the PASCAL-Context '
                        'trainval.tar.gz was unpacked (trainval/, '
                        'labels.txt)')
    if not labels.is_file():
        raise DataError(f'{labels} does not exist: --context must hold the '
                        'labels.txt of the PASCAL-Context trainval.tar.gz '
                        '(the names of the raw ids)')
    return trainval, labels


def check_counts(counts: Dict[str, int], expected: Dict[str, int],
                 what: str) -> List[str]:
    """Compare split sizes with the official ones when they look official.

    Args:
        counts (dict): Split -> size found.
        expected (dict): Split -> official size.
        what (str): The lists, for the warning.

    Returns:
        list[str]: One ``name: expected E, got G`` entry per mismatch
        (empty for small trees that are clearly not the official data).
    """
    return compare_counts(counts, expected,
                          f'{what} look like the official PASCAL-Context '
                          'data')


def _converter_splits(voc: Path, labels: Dict[str, Path],
                      mode: str) -> Dict[str, List[str]]:
    """The splits for MMSeg's converter layout."""
    seg = voc / 'SegmentationClassContext'
    if mode == 'mmseg':
        sets = voc / 'ImageSets' / 'SegmentationContext'
        splits = {s: read_ids(sets / f'{s}.txt', f'MMSeg {s}') for s in SPLITS}
        for split, ids in splits.items():
            require(ids, labels, 'label', seg, sets / f'{split}.txt')
        check_counts({k: len(v) for k, v in splits.items()}, MMSEG_COUNTS,
                     f'the lists of {sets}')
        return splits
    sets = voc / 'ImageSets' / 'Main'
    lists = {s: read_ids(sets / f'{s}.txt', f'VOC2010 {s}') for s in SPLITS}
    check_counts({k: len(v) for k, v in lists.items()}, OFFICIAL_COUNTS,
                 f'the lists of {sets}')
    splits = {k: [i for i in v if i in labels] for k, v in lists.items()}
    missing = [i for s in SPLITS for i in lists[s] if i not in labels]
    if missing:
        counts = ' and '.join(
            f'{len(lists[s]) - len(splits[s])} of {len(lists[s])} {s}'
            for s in SPLITS)
        warnings.warn(
            f'{counts} ids of {sets} have no label in {seg} and are left '
            f'out of the splits (MMSeg\'s converter labels '
            f'{MMSEG_COUNTS["train"]}/{MMSEG_COUNTS["val"]} images, the '
            f'reference {OFFICIAL_COUNTS["train"]}/{OFFICIAL_COUNTS["val"]})'
            f': {id_sample(missing)}',
            stacklevel=2)
    for split, ids in splits.items():
        if not ids:
            raise DataError(f'no id of {sets / f"{split}.txt"} has a label '
                            f'in {seg}; give --context to convert the '
                            'official .mat labels')
    return splits


# -------------------------------------------------------------- download


def _check_labels59(path: Path, url: str) -> None:
    try:
        check_task_labels(path)
    except DataError as err:
        raise deleted_download(path, url,
                               f'the list of the 59 task classes ({err})',
                               'labels59') from None


def fetch_sources(args: argparse.Namespace) -> None:
    """Download and unpack the inputs into ``args.download``; point
    ``args.voc2010``, ``args.context`` and ``args.labels59`` at them.

    Raises:
        DownloadError: A download, checksum or extraction failed.
        DataError: A file without a checksum has the wrong content.
    """
    root, paths = Path(args.download), {}
    for name, path, url in download_sources(args, SOURCES):
        top = SOURCES[name]['top']
        if name == 'labels59':
            _check_labels59(path, url)
            paths[name] = path
        elif name == 'context':
            paths[name] = extract(path, root, top, CONTEXT_CONTENT)
            _check_context(paths[name], path, url)
        else:
            paths[name] = voc = extract(path, root, top)
            if not (voc / 'VOC2010').is_dir():  # e.g. VOC2012's VOCdevkit
                stamp = (voc / COMPLETE_STAMP).read_text().strip()
                raise DataError(f'{voc} holds no VOC2010/: it was unpacked '
                                f'from {stamp}; give --download a folder of '
                                'its own')
    args.voc2010, args.context = str(paths['voc2010']), str(paths['context'])
    args.labels59 = str(paths['labels59'])


def _check_context(folder: Path, archive: Path, url: str) -> None:
    """The unpacked annotations (no checksum) hold what they should."""
    with archive_content(folder, archive, url, 'context'):
        trainval, labels = find_context(folder)
        label_lut(labels)
        if not any(name.endswith('.mat') for name in os.listdir(trainval)):
            raise DataError(f'{trainval} holds no .mat labels')


# ------------------------------------------------------------------ main


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, int]:
    """The command line of ``tools/prepare_pascal_context.py``.

    Args:
        argv (Sequence[str], optional): The arguments; None: ``sys.argv``.

    Returns:
        dict[str, int]: How many files of each kind (``images``,
        ``labels``, ``splits``) were written.

    Raises:
        DataError: An input is missing or malformed; nothing of this run
            is kept.
        DownloadError: ``--download`` failed.
    """
    args = parse_and_fetch(argv, parse_args, fetch_sources)
    voc = find_voc2010_root(Path(args.voc2010))
    images = names_in(need_dir(voc / 'JPEGImages', 'VOC2010 image'), '.jpg')
    if args.context:
        trainval, labels_txt = find_context(Path(args.context))
        labels59 = Path(args.labels59 or Path(args.context) / '59_labels.txt')
        if labels59.exists():
            check_task_labels(labels59)
        lut = label_lut(labels_txt)
        labels = names_in(trainval, '.mat')
        sets = voc / 'ImageSets' / 'Main'
        splits = {
            s: read_ids(sets / f'{s}.txt', f'VOC2010 {s}')
            for s in SPLITS
        }
        for split, ids in splits.items():
            require(ids, labels, 'label (.mat)', trainval,
                    sets / f'{split}.txt')
        check_counts({k: len(v) for k, v in splits.items()}, OFFICIAL_COUNTS,
                     f'the lists of {sets}')
    else:
        seg = voc / 'SegmentationClassContext'
        labels = names_in(seg, '.png') if seg.is_dir() else {}
        if not labels:
            raise DataError(f'no --context given and {seg} holds no PNG '
                            'labels: give --context (the unpacked '
                            'PASCAL-Context trainval.tar.gz) or --download '
                            'DIR')
        splits = _converter_splits(voc, labels, args.splits)
    for split, ids in splits.items():
        where = (voc / 'ImageSets' / 'Main' if args.splits == 'reference'
                 else voc / 'ImageSets' / 'SegmentationContext')
        require(ids, images, 'image', voc / 'JPEGImages',
                where / f'{split}.txt')
    ids = sorted(set(i for s in SPLITS for i in splits[s]))
    if not args.context:
        error = job_errors(
            run_jobs([('check', str(labels[i])) for i in ids], args.nproc,
                     'checking labels', check_png), 'bad labels')
        if error:
            raise DataError(error)

    out = Path(args.out) / 'VOC2010'
    dirs = dict(
        img=out / 'JPEGImages',
        lbl=out / 'SegmentationClassContext',
        sets=out / 'ImageSets' / 'SegmentationContext')
    created = make_dirs(list(dirs.values()))
    for folder in dirs.values():
        clean_partials(folder)
    written = {}
    if args.context:
        jobs = pending([('context', str(labels[i]),
                         str(dirs['lbl'] / f'{i}.png'), lut.tobytes(),
                         str(labels_txt)) for i in ids])
        error = job_errors(
            run_jobs(jobs, args.nproc, 'SegmentationClassContext',
                     convert_label), 'bad label files')
        if error:
            undo([job[2] for job in jobs], created, [dirs['lbl']])
            raise DataError(f'{error}; nothing of this run was kept')
        written['labels'] = len(jobs)
    else:
        written['labels'] = place_files(labels, ids, dirs['lbl'], '.png',
                                        args.link, args.nproc,
                                        'SegmentationClassContext')
    written['images'] = place_files(images, ids, dirs['img'], '.jpg',
                                    args.link, args.nproc, 'JPEGImages')
    return finish(splits, dirs['sets'], out, written)
