"""Lay out PASCAL VOC2012 + SBD for the FCN configs (MMSeg's VOC layout).

The command line of ``tools/prepare_voc.py``.

Example::

    python tools/prepare_voc.py --voc /data/VOCdevkit \\
        --sbd /data/benchmark_RELEASE --out data/VOCdevkit \\
        --voc2011-val /data/seg11valid.txt --nproc 4

writes ``OUT/VOC2012/{JPEGImages, SegmentationClass, SegmentationClassAug,
ImageSets/Segmentation/*.txt}``. SBD ``.mat`` labels are converted by
MMSeg's own converter (``mmseg/.mim/tools/dataset_converters/voc_aug.py``);
its split logic also gives ``trainaug`` and ``aug``. Every file is written
atomically, so a rerun (e.g. after an interruption) skips finished files.

Or fetch everything first, from the official locations::

    python tools/prepare_voc.py --download /data/voc --out data/VOCdevkit

downloads ``VOCtrainval_11-May-2012.tar``, SBD ``benchmark.tgz`` and FCN's
``seg11valid.txt`` into ``/data/voc`` (resuming partial
files, checking the archives' MD5 sums as torchvision records them),
unpacks them to ``/data/voc/VOCdevkit`` and ``/data/voc/benchmark_RELEASE``
and then prepares the splits as above.
"""
import argparse
import importlib.util
import os
import os.path as osp
import re
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from PIL import Image

from fcn_plugin.utils.atomic_io import atomic_path
from fcn_tools.voc_palette import read_label_indices, save_palette_png
from .download import extract
from .prepare_common import (DataError, add_common_args, add_job_args,
                             clean_partials, compare_counts, deleted_download,
                             download_sources, find_voc_folder, finish,
                             names_in, need_dir, parse_and_fetch,
                             parse_tool_args, pending, place, place_job,
                             read_ids, require, run_jobs)

#: Split sizes of the full official data.
OFFICIAL_COUNTS = dict(
    train=1464,
    val=1449,
    trainaug=10582,
    aug=9118,
    sbd_train=8498,
    seg11valid=736)
#: Sizes of the inputs' own lists in the official releases.
OFFICIAL_INPUTS = dict(
    voc_train=1464, voc_val=1449, sbd_train=8498, sbd_val=2857)
#: What ``--download`` fetches: URL and MD5 as torchvision's
#: ``VOCSegmentation`` / ``SBDataset`` record them (the VOC archive from the
#: Oxford VOC server's mirror of host.robots.ox.ac.uk), FCN's list from the
#: fcn.berkeleyvision.org repository (no checksum recorded; its content is
#: checked), and the folder each archive unpacks to.
SOURCES = dict(
    voc=dict(
        url='https://thor.robots.ox.ac.uk/pascal/VOC/voc2012/'
        'VOCtrainval_11-May-2012.tar',
        filename='VOCtrainval_11-May-2012.tar',
        md5='6cd6e144f989b92b3379bac3b3de84fd',
        top='VOCdevkit'),
    sbd=dict(
        url='https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/'
        'grouping/semantic_contours/benchmark.tgz',
        filename='benchmark.tgz',
        md5='82b4d87ceb2ed10f6038a1cba92111cb',
        top='benchmark_RELEASE'),
    seg11valid=dict(
        url='https://raw.githubusercontent.com/shelhamer/'
        'fcn.berkeleyvision.org/master/data/pascal/seg11valid.txt',
        filename='seg11valid.txt',
        md5=None,
        top=None))
_ID = re.compile(r'\d{4}_\d{6}')
_VOC_AUG = None


def mmseg_voc_aug():
    """MMSeg's ``voc_aug.py`` converter, loaded from the installed mmseg."""
    global _VOC_AUG
    if _VOC_AUG is None:
        spec = importlib.util.find_spec('mmseg')
        if spec is None or not spec.submodule_search_locations:
            raise ImportError('mmsegmentation is not installed')
        path = osp.join(spec.submodule_search_locations[0], '.mim', 'tools',
                        'dataset_converters', 'voc_aug.py')
        if not osp.isfile(path):
            raise ImportError(f'MMSeg converter {path} not found; reinstall '
                              'mmsegmentation==1.2.2 from PyPI')
        mod_spec = importlib.util.spec_from_file_location(
            'mmseg_voc_aug', path)
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        _VOC_AUG = module
    return _VOC_AUG


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Prepare PASCAL VOC2012 and SBD for the FCN configs.')
    parser.add_argument(
        '--voc',
        help='VOCdevkit folder (holding VOC2012/) or the VOC2012 folder')
    parser.add_argument(
        '--sbd', help='SBD benchmark_RELEASE folder (holding dataset/)')
    add_common_args(
        parser,
        SOURCES,
        download_help='download VOC2012 trainval, SBD and seg11valid.txt '
        'into DIR (resumable, checksummed), unpack them there and use them as '
        '--voc, --sbd and --voc2011-val',
        out='data/VOCdevkit',
        out_help='output VOCdevkit folder (VOC2012/ is created in it)')
    parser.add_argument(
        '--voc2011-val',
        help='VOC2011 segmentation val list (VOC2011 ImageSets/Segmentation/'
        'val.txt, 1111 ids) or the FCN seg11valid.txt; without it no '
        'seg11valid split is written')
    add_job_args(parser,
                 'how JPEGImages/SegmentationClass reuse the VOC files')
    return parse_tool_args(parser, argv, ('voc', 'sbd'), '--voc and --sbd',
                           ' (the unpacked data)')


# -------------------------------------------------------------- download


def _check_id_list(path: Path, url: str) -> None:
    lines = [line.strip() for line in path.read_text().splitlines()]
    bad = [line for line in lines if line and not _ID.fullmatch(line)]
    if bad or not any(lines):
        sample = (bad or ['an empty file'])[0][:40]
        raise deleted_download(path, url,
                               f'a list of VOC ids (e.g. {sample!r})',
                               'seg11valid')


def fetch_sources(args: argparse.Namespace) -> None:
    """Download and unpack the inputs into ``args.download``; point
    ``args.voc``, ``args.sbd`` and ``args.voc2011_val`` at them."""
    root, paths = Path(args.download), {}
    for name, path, url in download_sources(args, SOURCES):
        top = SOURCES[name]['top']
        if top is None:
            _check_id_list(path, url)
            paths[name] = path
        else:
            paths[name] = extract(path, root, top)
    args.voc, args.sbd = str(paths['voc']), str(paths['sbd'])
    if not args.voc2011_val:
        args.voc2011_val = str(paths['seg11valid'])


# ---------------------------------------------------------------- inputs


def find_voc_root(voc: Path) -> Path:
    """The VOC2012 folder given a VOCdevkit or VOC2012 path."""
    return find_voc_folder(voc, 'VOC2012', '--voc', 'VOCtrainval_11-May-2012')


def find_sbd_root(sbd: Path) -> Path:
    """The SBD ``dataset`` folder given benchmark_RELEASE or dataset."""
    if (sbd / 'dataset' / 'cls').is_dir():
        return sbd / 'dataset'
    if (sbd / 'cls').is_dir():
        return sbd
    raise DataError(f'--sbd {sbd} holds neither dataset/cls/ nor cls/; '
                    'pass the benchmark_RELEASE folder of SBD')


# ------------------------------------------------------------------ jobs


def _index_png(src: str, dst: str, palette: bool) -> None:
    label = read_label_indices(src)
    with atomic_path(dst, durable=False) as tmp:
        if palette:
            save_palette_png(label, tmp)
        else:
            Image.fromarray(label).save(tmp, format='PNG')


def _voc_label(src: str, dst: str, mode: str) -> None:
    with Image.open(src) as img:
        index_png = img.mode in ('P', 'L')
    if index_png:
        place(src, dst, mode)
    else:  # colour-coded label: store indices, as VOC does
        _index_png(src, dst, palette=True)


def _sbd_label(src: str, dst: str) -> None:
    partial = osp.join(osp.dirname(dst), f'.partial.{os.getpid()}')
    os.makedirs(partial, exist_ok=True)
    mmseg_voc_aug().convert_mat(
        osp.basename(src), in_dir=osp.dirname(src), out_dir=partial)
    os.replace(osp.join(partial, osp.basename(dst)), dst)
    os.rmdir(partial)


def run_job(job: Tuple[str, str, str, str]) -> None:
    """Do one file job: ``(kind, src, dst, link_mode)``."""
    kind, src, dst, mode = job
    if kind == 'place':
        return place_job(job)
    try:
        if kind == 'voc_label':
            _voc_label(src, dst, mode)
        elif kind == 'voc_aug':
            _index_png(src, dst, palette=False)
        else:
            _sbd_label(src, dst)
    except Exception as err:
        raise RuntimeError(f'cannot write {dst} from {src}: {err}') from err


# ---------------------------------------------------------------- splits


def make_splits(voc_train: List[str], voc_val: List[str], sbd_train: List[str],
                sbd_val: List[str],
                voc2011_val: Optional[List[str]]) -> Dict[str, List[str]]:
    """All split lists, with MMSeg's ``trainaug``/``aug`` rules."""
    aug = mmseg_voc_aug()
    splits = dict(
        train=voc_train,
        val=voc_val,
        trainaug=sorted(
            aug.generate_aug_list(voc_train + sbd_train + sbd_val, voc_val)),
        aug=sorted(
            aug.generate_aug_list(sbd_train + sbd_val, voc_train + voc_val)),
        sbd_train=sbd_train)
    if voc2011_val is not None:
        exclude = set(sbd_train)
        splits['seg11valid'] = [i for i in voc2011_val if i not in exclude]
    return splits


def check_counts(inputs: Dict[str, int], splits: Dict[str,
                                                      List[str]]) -> List[str]:
    """Compare with the official sizes when the input looks official.

    Returns:
        list[str]: One ``name: expected E, got G`` entry per mismatch (empty
        for small trees that are clearly not the official data).
    """
    official = any(inputs[k] >= v for k, v in OFFICIAL_INPUTS.items())
    got = dict(inputs)
    got.update({k: len(v) for k, v in splits.items()})
    expected = dict(OFFICIAL_INPUTS)
    expected.update({k: v for k, v in OFFICIAL_COUNTS.items() if k in got})
    return compare_counts(
        got, expected,
        'the input looks like the official VOC2012/SBD release', official)


# ------------------------------------------------------------------ main


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, int]:
    """The command line of ``tools/prepare_voc.py``; how many files of
    each kind were written."""
    args = parse_and_fetch(argv, parse_args, fetch_sources)
    voc = find_voc_root(Path(args.voc))
    sbd = find_sbd_root(Path(args.sbd))
    sets = voc / 'ImageSets' / 'Segmentation'
    voc_img = names_in(need_dir(voc / 'JPEGImages', 'VOC image'), '.jpg')
    voc_lbl = names_in(
        need_dir(voc / 'SegmentationClass', 'VOC label'), '.png')
    sbd_mat = names_in(need_dir(sbd / 'cls', 'SBD label'), '.mat')
    sbd_img = names_in(sbd / 'img', '.jpg') if (sbd / 'img').is_dir() else {}
    lists = dict(
        voc_train=read_ids(sets / 'train.txt', 'VOC train'),
        voc_val=read_ids(sets / 'val.txt', 'VOC val'),
        sbd_train=read_ids(sbd / 'train.txt', 'SBD train'),
        sbd_val=read_ids(sbd / 'val.txt', 'SBD val'))
    voc2011 = None
    if args.voc2011_val:
        voc2011 = read_ids(Path(args.voc2011_val), 'VOC2011 val')
    else:
        warnings.warn(
            'no --voc2011-val given: the seg11valid split of the '
            'FCN paper is not written',
            stacklevel=2)

    voc_ids = lists['voc_train'] + lists['voc_val']
    sbd_ids = list(dict.fromkeys(lists['sbd_train'] + lists['sbd_val']))
    require(voc_ids, voc_img, 'image', voc / 'JPEGImages', sets)
    require(voc_ids, voc_lbl, 'label', voc / 'SegmentationClass', sets)
    require(sbd_ids, sbd_mat, 'label', sbd / 'cls', sbd)
    extra_img = {
        i: sbd_img[i]
        for i in sbd_ids if i not in voc_img and i in sbd_img
    }
    require(sbd_ids, {
        **voc_img,
        **extra_img
    }, 'image', voc / 'JPEGImages', sbd)
    splits = make_splits(lists['voc_train'], lists['voc_val'],
                         lists['sbd_train'], lists['sbd_val'], voc2011)
    if 'seg11valid' in splits:
        if not splits['seg11valid']:
            raise DataError(f'every id of {args.voc2011_val} is in SBD train'
                            '; seg11valid would be empty')
        for table, what, where in ((voc_img, 'image', 'JPEGImages'),
                                   (voc_lbl, 'label', 'SegmentationClass')):
            require(splits['seg11valid'], table, what, voc / where,
                    Path(args.voc2011_val))
    check_counts({k: len(v) for k, v in lists.items()}, splits)

    out = Path(args.out) / 'VOC2012'
    dirs = dict(
        img=out / 'JPEGImages',
        cls=out / 'SegmentationClass',
        aug=out / 'SegmentationClassAug',
        sets=out / 'ImageSets' / 'Segmentation')
    for folder in dirs.values():
        folder.mkdir(parents=True, exist_ok=True)
        clean_partials(folder)
    mode = args.link
    images = [('place', str(p), str(dirs['img'] / f'{i}.jpg'), mode)
              for i, p in sorted({
                  **voc_img,
                  **extra_img
              }.items())]
    labels = [('voc_label', str(p), str(dirs['cls'] / f'{i}.png'), mode)
              for i, p in sorted(voc_lbl.items())]
    aug = [('sbd', str(sbd_mat[i]), str(dirs['aug'] / f'{i}.png'), mode)
           for i in sorted(sbd_ids)]
    sbd_set = set(sbd_ids)
    aug += [('voc_aug', str(voc_lbl[i]), str(dirs['aug'] / f'{i}.png'), mode)
            for i in sorted(set(voc_ids) - sbd_set)]
    written = {}
    for key, jobs, title in (('images', images, 'JPEGImages'),
                             ('labels', labels, 'SegmentationClass'),
                             ('aug_labels', aug, 'SegmentationClassAug')):
        todo = pending(jobs)
        run_jobs(todo, args.nproc, title, run_job)
        written[key] = len(todo)
    return finish(splits, dirs['sets'], out, written)
