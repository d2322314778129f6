"""tools/prepare_voc.py on a miniature VOC2012 tree and SBD release."""
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image
from scipy.io import loadmat

from fcn_plugin.datasets import (make_synthetic_sbd, make_synthetic_voc,
                                 read_label_indices, voc_palette)
from .conftest import ROOT, load_tool

SIZE = (21, 27)


@pytest.fixture(scope='module')
def sources(tmp_path_factory):
    """VOC2012 (8 ids, one colour-coded label) and SBD (with 2 new ids)."""
    root = tmp_path_factory.mktemp('sources')
    voc = make_synthetic_voc(
        root / 'VOCdevkit', 8, size=SIZE, seed=1, official_only=True)
    sets = voc / 'ImageSets/Segmentation'
    voc_train = (sets / 'train.txt').read_text().split()
    voc_val = (sets / 'val.txt').read_text().split()
    # one label saved as colours, as some re-encoded copies of VOC are
    rgb = voc / 'SegmentationClass' / f'{voc_train[1]}.png'
    Image.open(rgb).convert('RGB').save(rgb)
    sbd_train = voc_train[2:] + ['2009_000001']
    sbd_val = [voc_train[0], voc_val[0], '2009_000002']
    make_synthetic_sbd(
        root,
        sbd_train,
        sbd_val,
        size=SIZE,
        seed=1,
        images=['2009_000001', '2009_000002'])
    v11 = root / 'voc2011_val.txt'
    v11.write_text('\n'.join(voc_val + [voc_train[3]]) + '\n')
    return dict(
        root=root,
        voc=root / 'VOCdevkit',
        sbd=root / 'benchmark_RELEASE',
        v11=v11,
        voc_train=voc_train,
        voc_val=voc_val,
        sbd_train=sbd_train,
        sbd_val=sbd_val)


def _argv(src, out, *extra):
    return [
        '--voc',
        str(src['voc']), '--sbd',
        str(src['sbd']), '--out',
        str(out), '--voc2011-val',
        str(src['v11']), *extra
    ]


def _expected_splits(src):
    vt, vv = src['voc_train'], src['voc_val']
    st, sv = src['sbd_train'], src['sbd_val']
    return dict(
        train=vt,
        val=vv,
        trainaug=sorted(set(vt + st + sv) - set(vv)),
        aug=sorted(set(st + sv) - set(vt + vv)),
        sbd_train=st,
        seg11valid=[i for i in vv if i not in st])


def _check_output(src, out):
    voc_src = src['voc'] / 'VOC2012'
    sbd = src['sbd'] / 'dataset'
    out = out / 'VOC2012'
    sets = out / 'ImageSets/Segmentation'
    expected = _expected_splits(src)
    assert sorted(p.stem for p in sets.glob('*.txt')) == sorted(expected)
    for name, ids in expected.items():
        assert (sets / f'{name}.txt').read_text().split() == ids, name
    voc_ids = src['voc_train'] + src['voc_val']
    sbd_ids = src['sbd_train'] + src['sbd_val']
    images = sorted(p.stem for p in (out / 'JPEGImages').glob('*.jpg'))
    assert images == sorted(set(voc_ids + sbd_ids))
    for name in images:
        source = voc_src / 'JPEGImages' / f'{name}.jpg'
        if not source.exists():
            source = sbd / 'img' / f'{name}.jpg'
        got = (out / 'JPEGImages' / f'{name}.jpg').read_bytes()
        assert got == source.read_bytes(), name
    for name in voc_ids:
        with Image.open(out / 'SegmentationClass' / f'{name}.png') as lbl:
            assert lbl.mode in ('P', 'L')
        np.testing.assert_array_equal(
            read_label_indices(out / 'SegmentationClass' / f'{name}.png'),
            read_label_indices(voc_src / 'SegmentationClass' / f'{name}.png'))
    aug = sorted(p.stem for p in (out / 'SegmentationClassAug').iterdir())
    assert aug == sorted(set(voc_ids + sbd_ids))
    for name in aug:
        with Image.open(out / 'SegmentationClassAug' / f'{name}.png') as lbl:
            assert lbl.mode == 'L'
            got = np.array(lbl)
        if name in sbd_ids:
            mat = loadmat(sbd / 'cls' / f'{name}.mat')
            want = mat['GTcls'][0]['Segmentation'][0]
        else:
            want = read_label_indices(voc_src / 'SegmentationClass' /
                                      f'{name}.png')
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_cli_two_processes(sources, tmp_path):
    out = tmp_path / 'out'
    proc = subprocess.run([
        sys.executable,
        str(ROOT / 'tools/prepare_voc.py'),
        *_argv(sources, out, '--nproc', '2')
    ],
                          capture_output=True,
                          text=True,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert 'seg11valid: 2 ids' in proc.stdout
    _check_output(sources, out)
    # the colour-coded source label became a palette PNG
    name = sources['voc_train'][1]
    with Image.open(out / 'VOC2012/SegmentationClass' / f'{name}.png') as im:
        assert im.mode == 'P' and im.getpalette()[:768] == voc_palette()


def test_copy_mode_and_rerun_skips_finished_files(sources, tmp_path):
    tool = load_tool('prepare_voc')
    out = tmp_path / 'out'
    first = tool.main(_argv(sources, out, '--link', 'copy'))
    assert first == dict(images=10, labels=8, aug_labels=10, splits=6)
    img = out / 'VOC2012/JPEGImages' / f"{sources['voc_val'][0]}.jpg"
    assert not img.is_symlink()
    _check_output(sources, out)
    # an interrupted run: one label missing, a stale temp file left over
    lost = out / 'VOC2012/SegmentationClassAug' / '2009_000001.png'
    lost.unlink()
    (lost.parent / f'.{lost.name}.123.tmp').write_bytes(b'\x89PNG')
    (lost.parent / '.partial.123').mkdir()
    stamps = {
        p: p.stat().st_mtime_ns
        for p in out.rglob('*') if p.is_file() and not p.name.startswith('.')
    }
    second = tool.main(_argv(sources, out, '--link', 'copy'))
    assert second == dict(images=0, labels=0, aug_labels=1, splits=0)
    for path, stamp in stamps.items():
        assert path.stat().st_mtime_ns == stamp, path
    _check_output(sources, out)
    leftovers = [p for p in out.rglob('.*')]
    assert leftovers == []


def test_without_voc2011_list_warns_and_skips_seg11valid(sources, tmp_path):
    tool = load_tool('prepare_voc')
    argv = _argv(sources, tmp_path)[:-2]
    with pytest.warns(UserWarning, match='voc2011-val'):
        tool.main(argv)
    sets = tmp_path / 'VOC2012/ImageSets/Segmentation'
    assert not (sets / 'seg11valid.txt').exists()
    assert (sets / 'sbd_train.txt').read_text().split() == \
        sources['sbd_train']


def test_official_counts_are_checked():
    tool = load_tool('prepare_voc')
    splits = dict(
        train=['a'] * 1464,
        val=['b'] * 1449,
        trainaug=['c'] * 10581,
        sbd_train=['d'] * 8498)
    inputs = dict(voc_train=1464, voc_val=1449, sbd_train=8498, sbd_val=2857)
    with pytest.warns(UserWarning) as record:
        bad = tool.check_counts(inputs, splits)
    assert bad == ['trainaug: expected 10582, got 10581']
    assert 'trainaug: expected 10582, got 10581' in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert tool.check_counts(
            dict(voc_train=6, voc_val=2, sbd_train=5, sbd_val=3),
            dict(train=['a'] * 6)) == []


def _broken_copy(sources, tmp_path):
    """A private copy of the sources to damage."""
    root = tmp_path / 'src'
    shutil.copytree(sources['root'], root)
    return dict(
        sources,
        root=root,
        voc=root / 'VOCdevkit',
        sbd=root / 'benchmark_RELEASE',
        v11=root / 'voc2011_val.txt')


@pytest.mark.parametrize('damage, message', [
    (lambda s: shutil.rmtree(s['voc'] / 'VOC2012'), 'holds neither VOC2012'),
    (lambda s: (s['voc'] / 'VOC2012/ImageSets/Segmentation/val.txt').unlink(),
     'VOC val list .*val.txt does not exist'),
    (lambda s: (s['sbd'] / 'dataset/train.txt').write_text('\n'),
     'SBD train list .*train.txt is empty'),
    (lambda s:
     (s['voc'] / 'VOC2012/SegmentationClass/2008_000002.png').unlink(),
     '1 ids .* have no label in .*SegmentationClass: 2008_000002'),
    (lambda s: (s['voc'] / 'VOC2012/JPEGImages/2008_000007.jpg').unlink(),
     'have no image in .*JPEGImages: 2008_000007'),
    (lambda s: (s['sbd'] / 'dataset/cls/2009_000002.mat').unlink(),
     'have no label in .*cls: 2009_000002'),
    (lambda s: (s['sbd'] / 'dataset/img/2009_000001.jpg').unlink(),
     'have no image in .*JPEGImages: 2009_000001'),
    (lambda s: s['v11'].unlink(), 'VOC2011 val list .* does not exist'),
])
def test_bad_input_is_named_and_nothing_written(sources, tmp_path, damage,
                                                message):
    tool = load_tool('prepare_voc')
    src = _broken_copy(sources, tmp_path)
    damage(src)
    out = tmp_path / 'out'
    with pytest.raises(tool.DataError, match=message):
        tool.main(_argv(src, out))
    assert not out.exists()


def test_cli_reports_bad_input_in_one_line(sources, tmp_path):
    proc = subprocess.run([
        sys.executable,
        str(ROOT / 'tools/prepare_voc.py'), '--voc',
        str(tmp_path / 'nowhere'), '--sbd',
        str(sources['sbd']), '--out',
        str(tmp_path / 'out')
    ],
                          capture_output=True,
                          text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: --voc {tmp_path / 'nowhere'} holds neither VOC2012/ nor "
        'JPEGImages/; pass the VOCdevkit folder of VOCtrainval_11-May-2012')
    assert not os.path.exists(tmp_path / 'out')
