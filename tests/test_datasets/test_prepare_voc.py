"""tools/prepare_voc.py (fcn_tools.prepare_voc) on a miniature VOC2012 tree
and SBD release.

``--download`` is tested against a local HTTP server on 127.0.0.1 that
serves the miniature tree packed as the official archives.
"""
import hashlib
import os
import re
import resource
import shutil
import signal
import warnings

import numpy as np
import pytest
from PIL import Image
from scipy.io import loadmat

from fcn_tools import download, prepare_voc
from fcn_tools.synthetic import make_synthetic_sbd, make_synthetic_voc
from fcn_tools.voc_palette import read_label_indices, voc_palette
from .conftest import (ROOT, assert_one_error_line, broken_copy,
                       check_cli_refused, check_refused, check_usage_errors,
                       download_argv, input_argv, leftovers, run_cli,
                       serve_moved, tar_bytes)

SCRIPT = ROOT / 'tools/prepare_voc.py'
SIZE = (21, 27)
#: The input options and the keys of ``sources`` they take.
INPUTS = {'voc': 'voc', 'sbd': 'sbd', 'voc2011-val': 'v11'}


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
    return input_argv(src, out, INPUTS, *extra)


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
    proc = _run_cli(_argv(sources, out, '--nproc', '2'), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert 'seg11valid: 2 ids' in proc.stdout
    _check_output(sources, out)
    # the colour-coded source label became a palette PNG
    name = sources['voc_train'][1]
    with Image.open(out / 'VOC2012/SegmentationClass' / f'{name}.png') as im:
        assert im.mode == 'P' and im.getpalette()[:768] == voc_palette()


def test_copy_mode_and_rerun_skips_finished_files(sources, tmp_path):
    out = tmp_path / 'out'
    first = prepare_voc.main(_argv(sources, out, '--link', 'copy'))
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
    second = prepare_voc.main(_argv(sources, out, '--link', 'copy'))
    assert second == dict(images=0, labels=0, aug_labels=1, splits=0)
    for path, stamp in stamps.items():
        assert path.stat().st_mtime_ns == stamp, path
    _check_output(sources, out)
    assert list(out.rglob('.*')) == []


def test_without_voc2011_list_warns_and_skips_seg11valid(sources, tmp_path):
    argv = input_argv(sources, tmp_path, dict(voc='voc', sbd='sbd'))
    with pytest.warns(UserWarning, match='voc2011-val'):
        prepare_voc.main(argv)
    sets = tmp_path / 'VOC2012/ImageSets/Segmentation'
    assert not (sets / 'seg11valid.txt').exists()
    assert (sets / 'sbd_train.txt').read_text().split() == \
        sources['sbd_train']


def test_official_counts_are_checked():
    splits = dict(
        train=['a'] * 1464,
        val=['b'] * 1449,
        trainaug=['c'] * 10581,
        sbd_train=['d'] * 8498)
    inputs = dict(voc_train=1464, voc_val=1449, sbd_train=8498, sbd_val=2857)
    with pytest.warns(UserWarning) as record:
        bad = prepare_voc.check_counts(inputs, splits)
    assert bad == ['trainaug: expected 10582, got 10581']
    assert 'trainaug: expected 10582, got 10581' in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert prepare_voc.check_counts(
            dict(voc_train=6, voc_val=2, sbd_train=5, sbd_val=3),
            dict(train=['a'] * 6)) == []


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
    src = broken_copy(sources, tmp_path, voc='VOCdevkit',
                      sbd='benchmark_RELEASE', v11='voc2011_val.txt')
    damage(src)
    out = tmp_path / 'out'
    check_refused(prepare_voc.main, _argv(src, out), out, message)


def test_cli_reports_bad_input_in_one_line(sources, tmp_path):
    proc = _run_cli(['--voc', str(tmp_path / 'nowhere'), '--sbd',
                     str(sources['sbd']), '--out', str(tmp_path / 'out')])
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: --voc {tmp_path / 'nowhere'} holds neither VOC2012/ nor "
        'JPEGImages/; pass the VOCdevkit folder of VOCtrainval_11-May-2012')
    assert not os.path.exists(tmp_path / 'out')


# ---------------------------------------------------------- --download


@pytest.fixture(scope='module')
def archives(sources):
    """The sources packed as the official archives are laid out."""
    return {
        '/voc2012/VOCtrainval_11-May-2012.tar':
        tar_bytes(sources['voc'], 'VOCdevkit', 'w'),
        '/sbd/benchmark.tgz':
        tar_bytes(sources['sbd'], 'benchmark_RELEASE', 'w:gz'),
        '/fcn/seg11valid.txt':
        sources['v11'].read_bytes(),
    }


def _download_argv(server, archives, root, out, **md5):
    paths = dict(zip(('voc', 'sbd', 'seg11valid'), archives))
    argv = download_argv(server, paths, root, out)
    for name in ('voc', 'sbd'):
        digest = hashlib.md5(archives[paths[name]]).hexdigest()
        argv += [f'--{name}-md5', md5.get(name, digest)]
    return argv


def _run_cli(argv, **kwargs):
    return run_cli(SCRIPT, argv, **kwargs)


def test_download_fetches_checks_unpacks_and_prepares(sources, archives,
                                                      server, tmp_path):
    server.files.update(archives)
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    proc = _run_cli(_download_argv(server, archives, root, out))
    assert proc.returncode == 0, proc.stderr
    assert 'VOCtrainval_11-May-2012.tar: ' in proc.stderr
    assert '(100%)' in proc.stderr
    assert 'seg11valid: 2 ids' in proc.stdout
    for top in ('VOCdevkit', 'benchmark_RELEASE'):
        assert (root / top / '.extracted').is_file()
    assert leftovers(root) == []
    _check_output(sources, out)
    # a rerun downloads and unpacks nothing again
    served = len(server.requests)
    again = _run_cli(_download_argv(server, archives, root, out))
    assert again.returncode == 0, again.stderr
    assert len(server.requests) == served
    assert 'extracting' not in again.stderr


def test_download_resumes_after_a_broken_connection(sources, archives, server,
                                                    tmp_path):
    server.files.update(archives)
    tar = '/voc2012/VOCtrainval_11-May-2012.tar'
    half = len(archives[tar]) // 2
    server.drop_after[tar] = half
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    argv = _download_argv(server, archives, root, out)
    first = _run_cli(argv)
    assert_one_error_line(first, 'broke off', 'run again to resume')
    part = root / 'VOCtrainval_11-May-2012.tar.part'
    assert part.stat().st_size == half
    assert not (root / 'VOCdevkit').exists()
    second = _run_cli(argv)
    assert second.returncode == 0, second.stderr
    assert 'resuming VOCtrainval_11-May-2012.tar' in second.stderr
    assert (tar, f'bytes={half}-') in server.requests
    assert (root / 'VOCtrainval_11-May-2012.tar').read_bytes() == \
        archives[tar]
    _check_output(sources, out)


def test_wrong_checksum_is_deleted_and_nothing_unpacked(
        archives, server, tmp_path):
    server.files.update(archives)
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    proc = _run_cli(
        _download_argv(server, archives, root, out, sbd='0' * 32))
    assert_one_error_line(proc, 'benchmark.tgz has MD5 [0-9a-f]{32}, '
                          'expected 0{32}', 'run again')
    assert not (root / 'benchmark.tgz').exists()
    assert not (root / 'benchmark_RELEASE').exists()
    assert leftovers(root) == []
    assert not out.exists()


@pytest.mark.parametrize('path, message', [
    ('/voc2012/VOCtrainval_11-May-2012.tar', 'HTTP 404'),
    ('/fcn/seg11valid.txt', 'HTTP 404'),
])
def test_missing_file_on_the_server(archives, server, tmp_path, path,
                                    message):
    server.files.update(archives)
    del server.files[path]
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    check_cli_refused(SCRIPT, _download_argv(server, archives, root, out),
                      out, f'cannot download .*{re.escape(path)}', message)


def test_not_an_id_list(archives, server, tmp_path):
    serve_moved(server, archives, '/fcn/seg11valid.txt')
    root = tmp_path / 'downloads'
    proc = _run_cli(
        _download_argv(server, archives, root, tmp_path / 'out'))
    assert_one_error_line(proc, 'is not a list of VOC ids')
    assert not (root / 'seg11valid.txt').exists()


def test_damaged_archive_leaves_no_tree(archives, server, tmp_path):
    tgz = '/sbd/benchmark.tgz'
    damaged = archives[tgz][:len(archives[tgz]) * 2 // 3]
    server.files.update(archives)
    server.files[tgz] = damaged
    root = tmp_path / 'downloads'
    argv = _download_argv(server, archives, root, tmp_path / 'out')
    argv[argv.index('--sbd-md5') + 1] = hashlib.md5(damaged).hexdigest()
    proc = _run_cli(argv)
    assert_one_error_line(proc, 'cannot extract .*benchmark.tgz',
                          'delete it')
    assert (root / 'VOCdevkit/.extracted').is_file()
    assert not (root / 'benchmark_RELEASE').exists()
    assert leftovers(root) == []
    # a folder not made by a complete extraction is never taken as one
    (root / 'benchmark_RELEASE/dataset').mkdir(parents=True)
    server.files[tgz] = archives[tgz]
    (root / 'benchmark.tgz').unlink()
    proc = _run_cli(_download_argv(server, archives, root, tmp_path / 'out'))
    assert_one_error_line(
        proc, 'benchmark_RELEASE exists but is not a complete extraction',
        'move it away')


def test_full_disk_while_downloading(archives, server, tmp_path):
    server.files.update(archives)
    tar = archives['/voc2012/VOCtrainval_11-May-2012.tar']
    limit = len(tar) // 2

    def small_files():  # the file system refuses files past `limit`
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    root = tmp_path / 'downloads'
    proc = _run_cli(
        _download_argv(server, archives, root, tmp_path / 'out'),
        preexec_fn=small_files)
    assert_one_error_line(proc, f'no space left in {re.escape(str(root))}',
                          'free some space')
    assert not (root / 'VOCdevkit').exists()
    assert not (root / 'VOCtrainval_11-May-2012.tar').exists()


def test_too_little_free_space_is_found_before_writing(
        archives, server, tmp_path, monkeypatch):
    server.files.update(archives)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(download.shutil, 'disk_usage',
                        lambda path: usage._replace(free=100))
    root = tmp_path / 'downloads'
    with pytest.raises(download.DownloadError,
                       match='not enough free space .* needs'):
        prepare_voc.main(
            _download_argv(server, archives, root, tmp_path / 'out'))
    assert list(root.iterdir()) == []


def test_download_excludes_voc_and_sbd(tmp_path, capsys):
    check_usage_errors(prepare_voc.main, capsys, [
        (['--download', str(tmp_path), '--voc', str(tmp_path)],
         'give either --download or --voc and --sbd'),
        (['--voc', str(tmp_path)], '--download DIR'),
    ])
