"""tools/prepare_nyud.py (fcn_tools.prepare_nyud) on miniatures of both
sources: the reference's layout (``nyud.tar.gz``: ``data/images``,
``data/depth``, ``data/hha``, ``segmentation/*.mat`` and the three lists)
and the official labelled .mat (an HDF5 file written in MATLAB's axis
order, with ``classMapping40.mat`` and ``splits.mat`` beside it).

The expected files are computed here: the labels the way the FCN
reference's data layer (``nyud_layers.py``, ``load_label``) computes them,
the 894 -> 40 mapping pixel by pixel from ``mapClass``, the crop and the
axis order from the MATLAB arrays the miniature .mat was written from
(frames are not square, so a transposition fails), the HHA with
:func:`fcn_plugin.datasets.hha.depth_to_hha` on the expected depth.
"""
import json
import re
import shutil
import warnings

import h5py
import numpy as np
import pytest
import scipy.io
from PIL import Image
from scipy.io import savemat

from fcn_plugin.datasets.hha import (NYUD_CAMERA, NYUD_CROP_CAMERA,
                                     camera_for_crop, depth_to_hha)
from fcn_plugin.datasets.nyud_classes import NYUD40_CLASSES
from fcn_tools import prepare_nyud
from .conftest import (ROOT, broken_copy, check_cli_refused, check_kept,
                       check_refused, check_rerun, check_usage_errors)

SCRIPT = ROOT / 'tools/prepare_nyud.py'
#: The miniature's lists: ids 5001..5006 are frames 1..6; 5005 is in none.
TRAIN = ['5004', '5001']
VAL = ['5003']
TEST = ['5006', '5002']
LISTED = sorted(TRAIN + VAL + TEST)
UNLISTED = '5005'
#: The reference layout's image size per id (height x width), not square.
SIZES = {i: (11 + n, 18 - n) for n, i in enumerate(LISTED + [UNLISTED])}
#: An id whose HHA the release lacks: the tool computes it.
NO_HHA = '5003'
#: The labelled .mat's frames (height x width) and the crop used on them.
FRAME = (13, 17)
CROP = (2, 3, 9, 11)
KINDS = ('images', 'depth', 'hha', 'labels')


def _reference_load_label(nyud_dir, idx):
    """``NYUDSegDataLayer.load_label`` of the FCN reference (without the
    leading singleton axis)."""
    label = scipy.io.loadmat('{}/segmentation/img_{}.mat'.format(
        nyud_dir, idx))['segmentation'].astype(np.uint8)
    label -= 1  # rotate labels
    return label


def _depth_map(rng, height, width):
    """A smooth depth map in metres (a tilted plane with some noise)."""
    rows, cols = np.mgrid[0:height, 0:width]
    return 1.2 + 0.11 * rows + 0.05 * cols + rng.uniform(0, .02,
                                                         (height, width))


def _save_png(array, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def _write_lists(folder, train=TRAIN, val=VAL, test=TEST):
    folder.mkdir(parents=True, exist_ok=True)
    for name, ids in (('train', train), ('val', val), ('test', test)):
        (folder / f'{name}.txt').write_text('\n'.join(ids))  # no final \n


def _write_labeled_mat(path, frames):
    """Write ``frames`` (MATLAB arrays: images H x W x 3 x N, depths,
    rawDepths and labels H x W x N) as MATLAB v7.3 does: an HDF5 file
    with a 512-byte header block and every axis order reversed."""
    with h5py.File(path, 'w', userblock_size=512) as f:
        for name, array in frames.items():
            f[name] = np.ascontiguousarray(array.T)
    header = b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: ' \
             b'Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .'
    with open(path, 'r+b') as f:
        f.write(header.ljust(116) + b'\0' * 8 + b'\x00\x02IM')


def _mapping(rng):
    """A 894 -> 40 ``mapClass`` (one class mapped to 0: void)."""
    mapping = rng.integers(1, 41, 894)
    mapping[:40] = np.arange(1, 41)  # every class occurs
    mapping[77] = 0
    return mapping


@pytest.fixture(scope='module')
def sources(tmp_path_factory):
    """Both miniatures and what the tool must make of them."""
    root = tmp_path_factory.mktemp('nyud_sources')
    rng = np.random.default_rng(11)
    # ---- the reference's layout, unpacked into root/release/nyud
    nyud = root / 'release' / 'nyud'
    expected_ref = {kind: {} for kind in KINDS}
    for num, idx in enumerate(LISTED + [UNLISTED]):
        height, width = SIZES[idx]
        rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        depth_mm = np.round(_depth_map(rng, height, width) * 1000).astype(
            np.uint16)
        seg = rng.integers(0, 41, (height, width)).astype(np.float64)
        seg[:2, :2] = 0
        seg[-1, -1] = 40
        _save_png(rgb, nyud / 'data/images' / f'img_{idx}.png')
        _save_png(depth_mm, nyud / 'data/depth' / f'img_{idx}.png')
        (nyud / 'segmentation').mkdir(exist_ok=True)
        savemat(nyud / 'segmentation' / f'img_{idx}.mat',
                {'segmentation': seg})
        expected_ref['images'][idx] = rgb
        expected_ref['depth'][idx] = depth_mm
        if idx == NO_HHA:
            expected_ref['hha'][idx] = depth_to_hha(
                depth_mm.astype(np.float64) / 1000, NYUD_CROP_CAMERA)
        else:
            hha = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            _save_png(hha, nyud / 'data/hha' / f'img_{idx}.png')
            expected_ref['hha'][idx] = hha
    _write_lists(nyud)
    for idx in LISTED:
        expected_ref['labels'][idx] = _reference_load_label(nyud, idx)
    # ---- the labelled .mat, with the two small files beside it
    labeled = root / 'labeled'
    labeled.mkdir()
    height, width = FRAME
    num = len(LISTED) + 1
    images = rng.integers(0, 256, (height, width, 3, num), dtype=np.uint8)
    depths = np.stack([_depth_map(rng, height, width) for _ in range(num)],
                      axis=-1).astype(np.float32)
    depths[2, 3, 0] = np.float32(1.5) / 1000  # 1.5 mm: rounds up to 2
    raw_depths = depths * (rng.random(depths.shape) > 0.25)
    labels = rng.choice([0, 1, 2, 5, 78, 300, 894], (height, width, num))
    labels[3:5, 4:6, 0] = 78  # the class mapped to 0, inside the crop
    labels = labels.astype(np.uint16)
    mat = labeled / 'nyu_depth_v2_labeled.mat'
    _write_labeled_mat(mat, dict(images=images, depths=depths,
                                 rawDepths=raw_depths, labels=labels))
    mapping = _mapping(rng)
    savemat(labeled / 'classMapping40.mat', {
        'mapClass': mapping[None].astype(np.float64),
        'className': np.array(NYUD40_CLASSES, dtype=object)[None],
        'mapToNYUSuperClass': np.ones((1, 40)),
    })
    frames = {s: [int(i) - 5000 for i in ids]
              for s, ids in (('train', TRAIN + VAL), ('test', TEST))}
    savemat(labeled / 'splits.mat', {
        'trainNdxs': np.array(frames['train'], np.float64)[:, None],
        'testNdxs': np.array(frames['test'], np.float64)[:, None]})
    lists = root / 'lists'
    _write_lists(lists)

    def expected_frames(crop):
        top, left, h, w = crop or (0, 0, height, width)
        box = (slice(top, top + h), slice(left, left + w))
        camera = NYUD_CAMERA if crop is None else camera_for_crop(
            NYUD_CAMERA, top, left)
        want = {kind: {} for kind in KINDS}
        for idx in LISTED:
            k = int(idx) - 5001
            want['images'][idx] = images[box + (slice(None), k)]
            metres = depths[box + (k, )]
            want['depth'][idx] = np.floor(
                metres.astype(np.float64) * 1000 + 0.5).astype(np.uint16)
            want['hha'][idx] = depth_to_hha(
                metres.astype(np.float64), camera,
                missing=raw_depths[box + (k, )] == 0)
            raw = labels[box + (k, )]
            want['labels'][idx] = np.array(
                [[255 if v == 0 or mapping[v - 1] == 0 else mapping[v - 1]
                  - 1 for v in row] for row in raw], np.uint8)
        return want

    return dict(
        root=root, nyud=nyud, labeled=labeled, mat=mat, lists=lists,
        expected_ref=expected_ref, expected_frames=expected_frames,
        depths=depths)


def _read(path):
    with Image.open(path) as img:
        return img.mode, np.asarray(img)


def _check_splits(out):
    for name, ids in (('train', TRAIN), ('val', VAL),
                      ('trainval', TRAIN + VAL), ('test', TEST)):
        assert (out / f'{name}.txt').read_text() == ''.join(
            f'{i}\n' for i in ids)


def _check_output(out, expected):
    assert sorted(p.name for p in out.iterdir()) == [
        'depth', 'hha', 'images', 'labels', 'test.txt', 'train.txt',
        'trainval.txt', 'val.txt']
    _check_splits(out)
    modes = dict(images='RGB', depth='I;16', hha='RGB', labels='L')
    for kind in KINDS:
        assert sorted(p.name for p in (out / kind).iterdir()) == [
            f'img_{i}.png' for i in LISTED], kind
        for idx in LISTED:
            mode, got = _read(out / kind / f'img_{idx}.png')
            assert mode == modes[kind], (kind, idx)
            np.testing.assert_array_equal(got, expected[kind][idx],
                                          err_msg=f'{kind} {idx}')


def _ref_argv(src, out, *extra):
    return ['--nyud', str(src['nyud']), '--out', str(out), *extra]


def _mat_argv(src, out, *extra):
    return ['--nyud', str(src['mat']), '--splits', str(src['lists']),
            '--crop', ','.join(map(str, CROP)), '--out', str(out), *extra]


# ------------------------------------------------- the reference's layout


def test_reference_layout_follows_the_reference(sources, tmp_path, capsys):
    out = tmp_path / 'nyud'
    written = prepare_nyud.main(_ref_argv(sources, out))
    assert written == dict(labels=5, images=5, depth=5, hha=5, splits=4)
    assert 'hha: 1 computed from the depth maps' in capsys.readouterr().out
    _check_output(out, sources['expected_ref'])
    label = sources['expected_ref']['labels'][TEST[0]]
    assert label[0, 0] == 255 and label[-1, -1] == 39
    # the release's files are linked, the computed HHA is a file
    for kind in ('images', 'depth', 'hha'):
        assert (out / kind / f'img_{TRAIN[0]}.png').is_symlink()
    assert not (out / 'hha' / f'img_{NO_HHA}.png').is_symlink()
    # the HHA of the crop's camera, not of the whole frame's
    assert not np.array_equal(
        sources['expected_ref']['hha'][NO_HHA],
        depth_to_hha(sources['expected_ref']['depth'][NO_HHA] / 1000.,
                     NYUD_CAMERA))


def test_reference_found_above_and_with_carried_lists(sources, tmp_path):
    """``--nyud`` may name the folder holding ``nyud/``; without lists
    there the tool takes the reference's own (its ids must then exist)."""
    src = broken_copy(sources, tmp_path, nyud='release/nyud')
    out = tmp_path / 'out'
    prepare_nyud.main(['--nyud', str(src['root'] / 'release'), '--out',
                       str(out), '--nproc', '2', '--link', 'copy'])
    _check_output(out, sources['expected_ref'])
    assert not (out / 'images' / f'img_{TRAIN[0]}.png').is_symlink()
    for name in ('train', 'val', 'test'):
        (src['nyud'] / f'{name}.txt').unlink()
    check_refused(
        prepare_nyud.main, _ref_argv(src, tmp_path / 'carried'),
        tmp_path / 'carried',
        r'377 ids of train of .*nyud_splits.json have no image in '
        r'.*data/images: 5449, 6140, 5902, 5543, 6392 and 372 more; unpack')


def test_rerun_writes_nothing_new_and_resumes(sources, tmp_path):
    out = tmp_path / 'out'
    lost = out / 'hha' / f'img_{NO_HHA}.png'
    again, resumed = check_rerun(prepare_nyud.main, _ref_argv(sources, out),
                                 out, lost)
    assert again == dict(labels=0, images=0, depth=0, hha=0, splits=0)
    assert resumed == dict(labels=0, images=0, depth=0, hha=1, splits=0)
    _check_output(out, sources['expected_ref'])


def _seg(src, idx):
    return src['nyud'] / 'segmentation' / f'img_{idx}.mat'


def _png(src, kind, idx):
    return src['nyud'] / 'data' / kind / f'img_{idx}.png'


@pytest.mark.parametrize('damage, message', [
    (lambda s: savemat(_seg(s, TEST[1]), {'labels': np.ones((3, 3))}),
     r'{seg}/img_5002.mat has no segmentation \(its fields: labels\): not a '
     'NYUDv2 label file; use segmentation/ of nyud.tar.gz'),
    (lambda s: savemat(_seg(s, TRAIN[0]), {'segmentation': np.array(
        [[3, 41], [255, 0]])}),
     r'{seg}/img_5004.mat holds values outside 0..40 \(0 void, 1..40 the '
     r'classes of NYUDv2\): 41, 255; use segmentation/'),
    (lambda s: savemat(_seg(s, VAL[0]), {'segmentation': np.ones((3, 4))}),
     r'{seg}/img_5003.mat: the label map is 3x4 \(height x width\), its '
     r'image .*img_5003.png 13x16'),
    (lambda s: _png(s, 'images', TEST[0]).unlink(),
     r'1 ids of .*nyud/test.txt have no image in .*data/images: 5006; '
     'unpack nyud.tar.gz'),
    (lambda s: _png(s, 'depth', TRAIN[1]).unlink(),
     r'1 ids of .*nyud/train.txt have no depth map in .*data/depth: 5001;'),
    (lambda s: _save_png(np.ones((5, 6), np.uint16),
                         _png(s, 'depth', TRAIN[0])),
     r'{data}/depth/img_5004.png: the depth map is 5x6 \(height x width\), '
     r'its image .*img_5004.png 14x15: the files do not belong together'),
    (lambda s: _save_png(np.ones((14, 15), np.uint8),
                         _png(s, 'depth', TRAIN[0])),
     r'{data}/depth/img_5004.png is a L image, not a 16-bit depth map '
     r'\(millimetres\); use data/depth/ of nyud.tar.gz'),
    (lambda s: _save_png(np.ones((3, 3, 3), np.uint8),
                         _png(s, 'hha', TEST[0])),
     r'{data}/hha/img_5006.png: the HHA image is 3x3 .*, its image'),
    (lambda s: _save_png(np.zeros(SIZES[NO_HHA], np.uint16),
                         _png(s, 'depth', NO_HHA)),
     r'{data}/depth/img_5003.png \(id 5003\): has 208 of 208 pixels without '
     r'a depth \(208 zero, 0 NaN\): HHA needs a depth at every pixel; use '
     r"data/depth/ of nyud.tar.gz \(filled depths\), or put the release's "
     'HHA image in data/hha/; nothing of this run was kept$'),
    (lambda s: _png(s, 'images', VAL[0]).write_bytes(b'\x89PNG broken'),
     r'cannot read the image .*img_5003.png \(.*\): a damaged file'),
    (lambda s: (s['nyud'] / 'val.txt').write_text('5003\nimg_5010.png'),
     r'nyud/val.txt is not a list of NYUDv2 ids: 1 of its 2 entries are '
     r"not ids like 5001 \(e.g. 'img_5010.png'\)"),
    (lambda s: (s['nyud'] / 'test.txt').write_text('5006\n5002\n5001'),
     '1 ids are in both .*nyud/train.txt and .*nyud/test.txt: 5001'),
    (lambda s: (s['nyud'] / 'val.txt').write_text('\n'),
     r'NYUDv2 val list .*nyud/val.txt is empty; --splits must hold'),
    (lambda s: shutil.rmtree(s['nyud'] / 'segmentation'),
     r'NYUDv2 labels folder .*nyud/segmentation does not exist; unpack '
     'nyud.tar.gz'),
])
def test_reference_bad_input_is_named_and_nothing_written(
        sources, tmp_path, damage, message):
    src = broken_copy(sources, tmp_path, nyud='release/nyud')
    damage(src)
    out = tmp_path / 'out'
    check_refused(
        prepare_nyud.main, _ref_argv(src, out), out,
        message.format(seg=re.escape(str(src['nyud'] / 'segmentation')),
                       data=re.escape(str(src['nyud'] / 'data'))))


def test_reference_bad_label_keeps_earlier_output(sources, tmp_path):
    src = broken_copy(sources, tmp_path, nyud='release/nyud')
    out = tmp_path / 'out'
    prepare_nyud.main(_ref_argv(src, out, '--link', 'copy'))
    for idx in TEST:  # labels to redo, one of them from a bad file
        (out / 'labels' / f'img_{idx}.png').unlink()
    (out / 'hha' / f'img_{NO_HHA}.png').unlink()
    savemat(_seg(src, TEST[1]), {'segmentation': np.full((2, 2), 99.)})
    check_kept(prepare_nyud.main, _ref_argv(src, out, '--nproc', '2'), out,
               r'holds values outside 0..40 .*: 99;.*nothing of this run '
               'was kept')


def test_cli_reports_bad_label_in_one_line(sources, tmp_path):
    src = broken_copy(sources, tmp_path, nyud='release/nyud')
    seg = _seg(src, VAL[0])
    savemat(seg, {'segmentation': np.array([[1., 41.]])})
    out = tmp_path / 'out'
    check_cli_refused(
        SCRIPT, _ref_argv(src, out), out,
        f'^error: {re.escape(str(seg))} holds values outside 0..40 '
        r'\(0 void, 1..40 the classes of NYUDv2\): 41; use segmentation/ of '
        'nyud.tar.gz; nothing of this run was kept$')


# ------------------------------------------------------ the labelled .mat


def test_labeled_mat_crop_mapping_and_axes(sources, tmp_path):
    out = tmp_path / 'nyud'
    written = prepare_nyud.main(_mat_argv(sources, out))
    assert written == dict(images=5, depth=5, hha=5, labels=5, splits=4)
    expected = sources['expected_frames'](CROP)
    _check_output(out, expected)
    assert expected['images'][LISTED[0]].shape == (9, 11, 3)
    # MATLAB's rounding of 1.5 mm, the class mapped to 0 is void
    assert expected['depth']['5001'][0, 0] == 2
    assert (expected['labels']['5001'][1:3, 1:3] == 255).all()
    # the crop's camera and the raw depth's holes make a difference
    depth = sources['depths'][2:11, 3:14, 0].astype(np.float64)
    assert not np.array_equal(expected['hha']['5001'],
                              depth_to_hha(depth, NYUD_CAMERA))


def test_labeled_mat_whole_frames_two_processes(sources, tmp_path):
    """``--crop none``; ``--nyud`` names the folder holding the .mat."""
    out = tmp_path / 'nyud'
    prepare_nyud.main(['--nyud', str(sources['labeled']), '--splits',
                       str(sources['lists']), '--crop', 'none', '--out',
                       str(out), '--nproc', '2'])
    expected = sources['expected_frames'](None)
    _check_output(out, expected)
    assert expected['labels'][LISTED[0]].shape == FRAME


def test_labeled_mat_reference_crop_of_kinect_frames(tmp_path):
    """By default a 480x640 frame is cut to rows 45..469 and columns
    40..599 (0-based), as the reference's images."""
    rng = np.random.default_rng(5)
    folder = tmp_path / 'labeled'
    folder.mkdir()
    images = rng.integers(0, 256, (480, 640, 3, 3), dtype=np.uint8)
    depths = np.full((480, 640, 3), 2.0, np.float32)
    depths[45, 40, 1], depths[469, 599, 1] = 3.0, 4.0
    depths[44, 40, 1] = depths[45, 39, 1] = 9.0  # just outside
    raw_depths = _set(depths, (slice(100, 120), slice(50, 90)), 0)
    labels = np.zeros((480, 640, 3), np.uint16)
    labels[44:471, 39:601] = 1  # a ring just outside the crop ...
    labels[45:470, 40:600] = 2  # ... around the crop
    _write_labeled_mat(folder / 'nyu_depth_v2_labeled.mat',
                       dict(images=images, depths=depths,
                            rawDepths=raw_depths, labels=labels))
    mapping = np.full(894, 40)
    mapping[:2] = (7, 9)
    savemat(folder / 'classMapping40.mat', {'mapClass': mapping[None]})
    savemat(folder / 'splits.mat', {'trainNdxs': [[1], [2]],
                                    'testNdxs': [[3]]})
    lists = tmp_path / 'lists'
    _write_lists(lists, ['5001'], ['5002'], ['5003'])
    out = tmp_path / 'out'
    assert prepare_nyud.main(['--nyud', str(folder), '--splits', str(lists),
                              '--out', str(out)])['hha'] == 3
    for k, idx in enumerate(('5001', '5002', '5003')):
        _, image = _read(out / 'images' / f'img_{idx}.png')
        np.testing.assert_array_equal(image, images[45:470, 40:600, :, k])
        _, label = _read(out / 'labels' / f'img_{idx}.png')
        assert label.shape == (425, 560) and (label == 8).all()
        _, depth = _read(out / 'depth' / f'img_{idx}.png')
        np.testing.assert_array_equal(
            depth, np.round(depths[45:470, 40:600, k] * 1000))
        _, hha = _read(out / 'hha' / f'img_{idx}.png')
        np.testing.assert_array_equal(
            hha, depth_to_hha(depths[45:470, 40:600, k].astype(np.float64),
                              NYUD_CROP_CAMERA,
                              missing=raw_depths[45:470, 40:600, k] == 0))
    assert depth[0, 0] == 2000 and depth[-1, -1] == 2000
    _, depth = _read(out / 'depth' / 'img_5002.png')
    assert depth[0, 0] == 3000 and depth[-1, -1] == 4000


def test_labeled_mat_rerun_and_resume(sources, tmp_path):
    out = tmp_path / 'out'
    lost = out / 'labels' / 'img_5006.png'
    again, resumed = check_rerun(prepare_nyud.main, _mat_argv(sources, out),
                                 out, lost)
    assert again == dict(images=0, depth=0, hha=0, labels=0, splits=0)
    assert resumed == dict(images=0, depth=0, hha=0, labels=1, splits=0)
    _check_output(out, sources['expected_frames'](CROP))


def _labeled_copy(sources, tmp_path):
    return broken_copy(sources, tmp_path, labeled='labeled',
                       mat='labeled/nyu_depth_v2_labeled.mat',
                       lists='lists')


def _rewrite_frames(src, **changes):
    """Rewrite the .mat with datasets changed (None: left out), in
    MATLAB's order (H x W x ... x N)."""
    with h5py.File(src['mat'], 'r') as f:
        frames = {k: np.asarray(f[k]).T for k in f.keys()}
    for name, change in changes.items():
        if change is None:
            del frames[name]
        else:
            frames[name] = change(frames[name])
    src['mat'].unlink()
    _write_labeled_mat(src['mat'], frames)


def _set(array, index, value):
    array = array.copy()
    array[index] = value
    return array


def _mapping_file(src, **fields):
    mat = scipy.io.loadmat(src['labeled'] / 'classMapping40.mat')
    mat = {k: v for k, v in mat.items() if not k.startswith('__')}
    mat.update(fields)
    mat = {k: v for k, v in mat.items() if v is not None}
    savemat(src['labeled'] / 'classMapping40.mat', mat)


@pytest.mark.parametrize('damage, message', [
    (lambda s: savemat(s['mat'], {'images': np.ones((2, 2))}),
     r'{mat} is a MATLAB v5 .mat, not the v7.3 \(HDF5\) file: not '
     'nyu_depth_v2_labeled.mat; download it again from http'),
    (lambda s: s['mat'].write_text('<html>moved</html>'),
     r'{mat} is not an HDF5 file \(a MATLAB v7.3 .mat\)'),
    (lambda s: _rewrite_frames(s, labels=None),
     r'{mat} has no labels dataset \(its datasets: depths, images, '
     r'rawDepths\): not nyu_depth_v2_labeled.mat'),
    (lambda s: _rewrite_frames(s, rawDepths=None, depths=None),
     r'{mat} has no depths and no rawDepths dataset'),
    (lambda s: _rewrite_frames(s, labels=lambda a: a[:, :-1]),
     r'{mat}: labels is uint16 6x16x13, images 6x3x17x13 \(frames x 3 x '
     r'width x height\)'),
    (lambda s: _rewrite_frames(s, images=lambda a: a[:, :, 0]),
     r'{mat}: images is uint8 6x17x13, not uint8 frames x 3 x width x '
     'height'),
    (lambda s: _rewrite_frames(s, labels=lambda a: _set(a, (5, 5, 3), 895)),
     r'{mat}: frame 4 \(id 5004\) holds labels outside 0..894 \(0 '
     'unlabelled, 1..894 its classes\\): 895; download'),
    (lambda s: _rewrite_frames(s, depths=lambda a: _set(a, (6, 6, 1),
                                                        np.nan)),
     r'{mat}: frame 2 \(id 5002\): the depth map holds NaN'),
    (lambda s: _rewrite_frames(s, depths=lambda a: _set(a, (6, 6, 2), 0)),
     r'{mat}: frame 3 \(id 5003\): the depth map \(depths\) has 1 of 99 '
     r'pixels without a depth \(1 zero, 0 NaN\): not the filled depths of '
     'nyu_depth_v2_labeled.mat; download it again; nothing of this run'),
    (lambda s: (s['labeled'] / 'classMapping40.mat').unlink(),
     r'.*classMapping40.mat does not exist: the labelled .mat needs '
     r"Gupta's 40-class mapping classMapping40.mat beside it; get it from "
     r'https://github.com/ankurhanda/nyuv2-meta-data, or pass --mapping'),
    (lambda s: _mapping_file(s, mapClass=np.ones((1, 893))),
     r'classMapping40.mat: mapClass has 893 entries, not 894 \(one per '
     r'class of the labelled .mat\): not classMapping40.mat'),
    (lambda s: _mapping_file(s, mapClass=None, classMapping13=np.ones(3)),
     r'classMapping40.mat has no mapClass \(its variables: classMapping13, '
     r'className, mapToNYUSuperClass\)'),
    (lambda s: _mapping_file(s, mapClass=np.full((1, 894), 41.)),
     'mapClass holds values outside 0..40: 41; not the 40-class mapping'),
    (lambda s: _mapping_file(s, className=np.array(
        ['bed', 'objects', 'chair'], dtype=object)[None]),
     r"className lists 3 classes \(bed, objects, chair, ...\), not the "
     "reference's 40"),
    (lambda s: (s['labeled'] / 'splits.mat').unlink(),
     r'splits.mat does not exist: the labelled .mat needs the official '
     r'splits.mat beside it; get it from the NYU Depth V2 site \(http://'
     r'horatio.cs.nyu.edu/mit/silberman/indoor_seg_sup/splits.mat\) or '
     'from https://github.com/ankurhanda/nyuv2-meta-data, or pass '
     '--splits-mat$'),
    (lambda s: savemat(s['labeled'] / 'splits.mat', {
        'trainNdxs': [[1], [3], [4], [5]], 'testNdxs': [[2], [6]]}),
     r'splits.mat disagrees with the lists of .*lists: 1 frames only in '
     r'trainNdxs \(ids 5005\) \(an id is 5000 \+ the frame number\)'),
    (lambda s: savemat(s['labeled'] / 'splits.mat', {'testNdxs': [[2]]}),
     r'splits.mat has no trainNdxs \(its variables: testNdxs\)'),
    (lambda s: (s['lists'] / 'test.txt').write_text('5006\n5002\n5007'),
     r'1 ids of .*lists/test.txt are no frames of {mat} \(6 frames; an id '
     r'is 5000 \+ the frame number\): 5007'),
])
def test_labeled_mat_bad_input_is_named_and_nothing_written(
        sources, tmp_path, damage, message):
    src = _labeled_copy(sources, tmp_path)
    damage(src)
    out = tmp_path / 'out'
    check_refused(prepare_nyud.main, _mat_argv(src, out), out,
                  message.format(mat=re.escape(str(src['mat']))))


def test_labeled_mat_bad_frame_keeps_earlier_output(sources, tmp_path):
    src = _labeled_copy(sources, tmp_path)
    out = tmp_path / 'out'
    prepare_nyud.main(_mat_argv(src, out))
    for idx in ('5002', '5006'):
        (out / 'hha' / f'img_{idx}.png').unlink()
    (out / 'images' / 'img_5001.png').unlink()
    _rewrite_frames(src, labels=lambda a: _set(a, (4, 4, 5), 1000))
    check_kept(prepare_nyud.main, _mat_argv(src, out, '--nproc', '2'), out,
               r'frame 6 \(id 5006\) holds labels outside 0..894 .*: 1000;'
               '.*nothing of this run was kept')


def test_cli_reports_wrong_mapping_in_one_line(sources, tmp_path):
    src = _labeled_copy(sources, tmp_path)
    _mapping_file(src, mapClass=np.ones((1, 40)))
    out = tmp_path / 'out'
    check_cli_refused(
        SCRIPT, _mat_argv(src, out), out,
        f'^error: {re.escape(str(src["labeled"]))}/classMapping40.mat: '
        r'mapClass has 40 entries, not 894 .*or pass --mapping$')


# ------------------------------------------------------- both, and rules


def test_source_detection_and_option_rules(sources, tmp_path):
    out = tmp_path / 'out'
    for argv, message in (
        (['--nyud', str(tmp_path / 'nothing')],
         r'--nyud .*nothing does not exist; pass the unpacked nyud.tar.gz'),
        (['--nyud', str(sources['lists'])],
         r"--nyud .*lists is neither the reference's layout \(data/images/\)"
         ' nor nyu_depth_v2_labeled.mat'),
        (['--nyud', str(sources['lists']), '--source', 'reference'],
         r'--nyud .*lists holds neither data/images/ nor nyud/data/images/'),
        (['--nyud', str(sources['nyud']), '--source', 'labeled-mat'],
         r'.*nyud/nyu_depth_v2_labeled.mat does not exist; pass'),
        (['--nyud', str(sources['mat']), '--source', 'reference'],
         r"--nyud .*labeled.mat is neither the reference's layout"),
        (_ref_argv(sources, out, '--crop', 'none', '--mapping', 'x.mat'),
         r"--mapping and --crop only apply to --source labeled-mat; .*nyud "
         "is the reference's layout"),
        (['--nyud', str(sources['mat']), '--splits', str(sources['lists']),
          '--crop', '5,3,9,11'],
         r'--crop 5,3,9,11 \(top 5, left 3, 9x11\) does not fit the 13x17 '
         'frames of'),
        (['--nyud', str(sources['mat']), '--splits', str(sources['lists'])],
         r'--crop reference \(top 45, left 40, 425x560\) does not fit the '
         '13x17 frames'),
    ):
        check_refused(prepare_nyud.main, [*argv, '--out', str(out)], out,
                      message)


def test_argument_rules(tmp_path, capsys):
    check_usage_errors(prepare_nyud.main, capsys, [
        ([], 'the following arguments are required: --nyud'),
        (['--nyud', str(tmp_path), '--nproc', '0'],
         '--nproc must be at least 1'),
        (['--nyud', str(tmp_path), '--crop', '1,2,3'],
         "'1,2,3' is none of reference, none, TOP,LEFT,HEIGHT,WIDTH"),
        (['--nyud', str(tmp_path), '--crop', '1,2,0,4'],
         'the height and width must be at least 1'),
    ])


def test_carried_lists_are_the_reference_splits():
    """The lists the tool carries: the reference's sizes, disjoint, every
    frame of the labelled .mat once, in the reference's order."""
    carried = json.loads(prepare_nyud.CARRIED_SPLITS.read_text())
    splits, lists, _ = prepare_nyud.load_splits(None)
    assert lists['val'] == f'val of {prepare_nyud.CARRIED_SPLITS}'
    assert splits == {s: carried[s] for s in ('train', 'val', 'test')}
    assert {k: len(v) for k, v in splits.items()} == \
        prepare_nyud.OFFICIAL_COUNTS
    frames = sorted(int(i) - 5000 for ids in splits.values() for i in ids)
    assert frames == list(range(1, 1450))
    assert splits['train'][:3] == ['5449', '6140', '5902']
    assert splits['val'][:3] == ['5010', '5011', '5012']
    assert splits['test'][:3] == ['5133', '6002', '6314']
    # the official test frames start 1, 2, 9, 14 (testNdxs of splits.mat)
    assert sorted(int(i) for i in splits['test'])[:4] == [
        5001, 5002, 5009, 5014]


def test_official_counts_are_checked(tmp_path):
    lists = tmp_path / 'lists'
    _write_lists(lists, [str(5001 + i) for i in range(381)],
                 [str(5400 + i) for i in range(414)],
                 [str(6000 + i) for i in range(653)])
    with pytest.warns(UserWarning, match='test: expected 654, got 653'):
        prepare_nyud.load_splits(lists)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        _write_lists(tmp_path / 'small')
        prepare_nyud.load_splits(tmp_path / 'small')


def test_depth_in_millimetres_rounds_as_matlab():
    """``uint16(depth * 1000)`` in single precision: half away from zero,
    saturated."""
    depth = np.array([0.0005, 0.0015, 0.0025, 1.2344, 70., 0.], np.float32)
    assert prepare_nyud.depth_millimetres(depth).tolist() == [
        1, 2, 3, 1234, 65535, 0]


def test_reference_crop_is_guptas():
    assert prepare_nyud.REFERENCE_CROP == (45, 40, 425, 560)
    frame = np.arange(480 * 640).reshape(480, 640)
    cropped = prepare_nyud.crop_frame(frame, prepare_nyud.REFERENCE_CROP)
    assert cropped.shape == (425, 560)
    assert cropped[0, 0] == frame[45, 40]
    assert cropped[-1, -1] == frame[469, 599]
    assert tuple(NYUD40_CLASSES[:3]) == ('wall', 'floor', 'cabinet')
    assert len(NYUD40_CLASSES) == 40 and NYUD40_CLASSES[23] == \
        'refridgerator'


def test_nyud_dataset_reads_the_output(sources, tmp_path):
    """The dataset of the NYUD configs finds every file of the layout."""
    from fcn_plugin.datasets.nyud_dataset import FCNNYUDDataset
    out = tmp_path / 'nyud'
    prepare_nyud.main(_mat_argv(sources, out))
    for split, ids in (('trainval', TRAIN + VAL), ('test', TEST)):
        dataset = FCNNYUDDataset(
            ann_file=f'{split}.txt', data_root=str(out),
            modalities=('color', 'depth', 'hha'), lazy_init=False)
        assert len(dataset) == len(ids)
        for item, idx in zip(dataset.data_list, ids):
            assert item['img_path'] == str(out / 'images' / f'img_{idx}.png')
            assert item['seg_map_path'] == str(
                out / 'labels' / f'img_{idx}.png')
            assert item['depth_path'] == str(out / 'depth' / f'img_{idx}.png')
            assert item['hha_path'] == str(out / 'hha' / f'img_{idx}.png')
    assert dataset.metainfo['classes'] == NYUD40_CLASSES
