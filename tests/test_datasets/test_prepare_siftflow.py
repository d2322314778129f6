"""tools/prepare_siftflow.py (fcn_tools.prepare_siftflow) on a miniature
SIFT Flow release in the layout of ``SiftFlowDataset.zip``.

The expected label maps are computed here the way the FCN reference's data
layer (``siftflow_layers.py``, ``load_label``) computes them.
``--download`` is tested against a local HTTP server on 127.0.0.1 serving
the miniature as a zip file.
"""
import io
import re
import shutil
import warnings
import zipfile

import numpy as np
import pytest
import scipy.io
from PIL import Image
from scipy.io import savemat

from fcn_tools import download, prepare_siftflow
from fcn_tools.prepare_common import DataError
from .conftest import (ROOT, broken_copy, check_cli_refused, check_kept,
                       check_refused, check_rerun, check_usage_errors,
                       download_argv, input_argv, leftovers, serve_moved,
                       tar_bytes)

SCRIPT = ROOT / 'tools/prepare_siftflow.py'
#: The input options and the keys of ``sources`` they take.
INPUTS = {'siftflow': 'release', 'splits': 'lists'}
SUB = 'spatial_envelope_256x256_static_8outdoorcategories'
TRAINVAL = ['forest_for121', 'tallbuilding_a812069', 'street_bost64',
            'coast_arnat59']
TEST = ['highway_gre141', 'mountain_n44']
#: An image of the release without annotations, in neither list.
UNLISTED = 'highway_bost181'
FOLDERS = dict(image='Images', semantic='SemanticLabels',
               geometric='GeoLabels')


def _reference_load_label(siftflow_dir, idx, label_type):
    """``SIFTFlowSegDataLayer.load_label`` of the FCN reference (without
    the leading singleton axis)."""
    if label_type == 'semantic':
        label = scipy.io.loadmat(
            '{}/SemanticLabels/spatial_envelope_256x256_static_'
            '8outdoorcategories/{}.mat'.format(siftflow_dir, idx))['S']
    elif label_type == 'geometric':
        label = scipy.io.loadmat(
            '{}/GeoLabels/spatial_envelope_256x256_static_'
            '8outdoorcategories/{}.mat'.format(siftflow_dir, idx))['S']
        label[label == -1] = 0
    label = label.astype(np.uint8)
    label -= 1  # rotate labels so classes start at 0, void is 255
    return label.copy()


def _path(release, kind, name):
    suffix = '.jpg' if kind == 'image' else '.mat'
    return release / FOLDERS[kind] / SUB / f'{name}{suffix}'


@pytest.fixture(scope='module')
def sources(tmp_path_factory):
    """The release (6 listed ids at odd sizes, one unlisted image) and the
    reference's two lists."""
    root = tmp_path_factory.mktemp('siftflow_sources')
    release, lists = root / 'release', root / 'lists'
    for folder in FOLDERS.values():
        (release / folder / SUB).mkdir(parents=True)
    lists.mkdir()
    rng = np.random.default_rng(7)
    for num, name in enumerate(TRAINVAL + TEST + [UNLISTED]):
        height, width = 23 + 2 * num, 31 - num
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(_path(release, 'image', name))
        if name == UNLISTED:
            continue
        # the release's maps are doubles: semantic 0 (void) .. 33,
        # geometric -1 (void), 1..3 (and 0 in one map)
        sem = rng.integers(0, 34, (height, width)).astype(np.float64)
        sem[:2, :2] = 0
        geo = rng.choice([-1, 1, 2, 3] + [0] * (num == 3),
                         (height, width)).astype(np.float64)
        geo[-2:, -2:] = -1
        savemat(_path(release, 'semantic', name), {'S': sem})
        savemat(_path(release, 'geometric', name), {'S': geo})
    (lists / 'trainval.txt').write_text('\n'.join(TRAINVAL))  # as the
    (lists / 'test.txt').write_text('\n'.join(TEST))  # reference: no \n
    expected = {
        kind: {
            name: _reference_load_label(release, name, kind)
            for name in TRAINVAL + TEST
        }
        for kind in ('semantic', 'geometric')
    }
    return dict(root=root, release=release, lists=lists, expected=expected)


def _argv(src, out, *extra):
    return input_argv(src, out, INPUTS, *extra)


def _check_output(src, out):
    assert sorted(p.name for p in out.iterdir()) == [
        'geometric', 'images', 'semantic', 'test.txt', 'trainval.txt']
    assert (out / 'trainval.txt').read_text() == ''.join(
        f'{i}\n' for i in TRAINVAL)
    assert (out / 'test.txt').read_text() == ''.join(f'{i}\n' for i in TEST)
    ids = sorted(TRAINVAL + TEST)
    for name in ids:
        assert (out / 'images' / f'{name}.jpg').read_bytes() == _path(
            src['release'], 'image', name).read_bytes()
    assert sorted(p.stem for p in (out / 'images').iterdir()) == ids
    for kind, top in (('semantic', 32), ('geometric', 2)):
        assert sorted(p.stem for p in (out / kind).iterdir()) == ids
        for name in ids:
            with Image.open(out / kind / f'{name}.png') as png:
                assert png.mode == 'L'
                got = np.asarray(png)
            want = src['expected'][kind][name]
            np.testing.assert_array_equal(got, want, err_msg=name)
            assert got.shape == (23 + 2 * (TRAINVAL + TEST).index(name),
                                 31 - (TRAINVAL + TEST).index(name))
            values = set(np.unique(got).tolist())
            assert 255 in values and values <= set(range(top + 1)) | {255}


@pytest.fixture(scope='module')
def prepared(sources, tmp_path_factory):
    """The miniature prepared once with the defaults (symlinks)."""
    out = tmp_path_factory.mktemp('siftflow_out') / 'siftflow'
    written = prepare_siftflow.main(_argv(sources, out))
    assert written == dict(semantic=6, geometric=6, images=6, splits=2)
    return out


def test_labels_and_splits_follow_the_reference(sources, prepared):
    _check_output(sources, prepared)
    assert (prepared / 'images' / f'{TEST[0]}.jpg').is_symlink()
    # every semantic class and the three geometric ones occur
    for kind, count in (('semantic', 33), ('geometric', 3)):
        values = np.unique(np.concatenate(
            [v.ravel() for v in sources['expected'][kind].values()]))
        assert values.tolist() == list(range(count)) + [255]


def test_rerun_writes_nothing_new_and_resumes(sources, tmp_path):
    out = tmp_path / 'out'
    lost = out / 'geometric' / f'{TRAINVAL[2]}.png'
    again, resumed = check_rerun(prepare_siftflow.main, _argv(sources, out),
                                 out, lost)
    assert again == dict(semantic=0, geometric=0, images=0, splits=0)
    assert resumed == dict(semantic=0, geometric=1, images=0, splits=0)
    _check_output(sources, out)


def test_two_processes_copy(sources, tmp_path, capsys):
    out = tmp_path / 'out'
    prepare_siftflow.main(
        _argv(sources, out, '--nproc', '2', '--link', 'copy'))
    stdout = capsys.readouterr().out
    assert 'trainval: 4 ids' in stdout and 'test: 2 ids' in stdout
    _check_output(sources, out)
    assert not (out / 'images' / f'{TEST[0]}.jpg').is_symlink()


def test_release_in_a_top_folder(sources, tmp_path):
    """A ``SiftFlowDataset/`` folder holding the release is found."""
    (tmp_path / 'unpacked').mkdir()
    (tmp_path / 'unpacked/SiftFlowDataset').symlink_to(sources['release'])
    out = tmp_path / 'out'
    prepare_siftflow.main(['--siftflow', str(tmp_path / 'unpacked'),
                           '--splits', str(sources['lists']),
                           '--out', str(out)])
    _check_output(sources, out)


def test_official_counts_are_checked():
    with pytest.warns(UserWarning, match='test: expected 200, got 199'):
        bad = prepare_siftflow.check_counts(dict(trainval=2486, test=199))
    assert bad == ['test: expected 200, got 199']
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert prepare_siftflow.check_counts(dict(trainval=4, test=2)) == []
        assert prepare_siftflow.check_counts(
            prepare_siftflow.OFFICIAL_COUNTS) == []


def test_reference_lists_are_ids():
    """The id check passes the reference's own ids (and those here)."""
    for name in TRAINVAL + TEST + [UNLISTED, 'insidecity_urb1',
                                   'opencountry_fie26']:
        assert prepare_siftflow._ID.fullmatch(name), name


# ------------------------------------------------------------ bad input


def _broken_copy(sources, tmp_path):
    return broken_copy(sources, tmp_path, release='release', lists='lists')


def _mat(src, kind, name):
    return _path(src['release'], kind, name)


def _resize_image(src, name, size):
    Image.new('RGB', size).save(_path(src['release'], 'image', name))


@pytest.mark.parametrize('damage, message', [
    (lambda s: savemat(_mat(s, 'semantic', TEST[1]),
                       {'labels': np.ones((3, 3)), 'names': np.ones(2)}),
     r'{semantic}/mountain_n44.mat has no S \(its fields: labels, names\): '
     'not a SIFT Flow label file; use SemanticLabels/'),
    (lambda s: savemat(_mat(s, 'semantic', TRAINVAL[1]),
                       {'S': np.array([[3, 34], [1.5, 0]])}),
     r'{semantic}/tallbuilding_a812069.mat holds values outside 0..33 '
     r'\(the semantic labels of SIFT Flow\): 1.5, 34; use SemanticLabels/'),
    (lambda s: savemat(_mat(s, 'geometric', TRAINVAL[0]),
                       {'S': np.array([[-2, 1], [4, 7], [-1, 0]])}),
     r'{geometric}/forest_for121.mat holds values outside -1..3 \(the '
     'geometric labels of SIFT Flow\\): -2, 4, 7; use GeoLabels/'),
    (lambda s: savemat(_mat(s, 'geometric', TEST[0]),
                       {'S': np.ones((31 - 4, 23 + 8))}),
     r'{geometric}/highway_gre141.mat: the geometric map is 27x31 \(height '
     r'x width\), its image .*/highway_gre141.jpg 31x27 \(semantic .* '
     r'31x27, geometric .* 27x31\): the files do not belong together'),
    (lambda s: _resize_image(s, TRAINVAL[3], (40, 29)),
     r'{semantic}/coast_arnat59.mat: the semantic map is 29x28 .*, its '
     r'image .*coast_arnat59.jpg 29x40'),
    (lambda s: _mat(s, 'geometric', TEST[1]).unlink(),
     r'1 ids of .*lists/test.txt have no geometric label in {geometric}: '
     'mountain_n44; unpack SiftFlowDataset.zip completely'),
    (lambda s: _mat(s, 'semantic', TRAINVAL[2]).unlink(),
     r'1 ids of .*trainval.txt have no semantic label in {semantic}: '
     'street_bost64;'),
    (lambda s: _path(s['release'], 'image', TRAINVAL[0]).unlink(),
     '1 ids of .*trainval.txt have no image in .*Images/' + SUB +
     ': forest_for121;'),
    (lambda s: (s['lists'] / 'test.txt').write_text('\n'.join(
        TEST + [f'coast_new{i}' for i in range(7)])),
     '7 ids of .*test.txt have no image in .*: coast_new0, coast_new1, '
     'coast_new2, coast_new3, coast_new4 and 2 more;'),
    (lambda s: (s['lists'] / 'trainval.txt').write_text(
        '<html>\n<body>moved</body>\n</html>\n'),
     r'.*lists/trainval.txt is not a list of SIFT Flow ids: 3 of its 3 '
     "entries are not ids like coast_arnat59 \\(e.g. '<html>'\\); --splits "
     "must hold the reference's trainval.txt"),
    (lambda s: (s['lists'] / 'test.txt').write_text(
        '\n'.join(TEST + ['Images/highway_gre141.jpg'])),
     'test.txt is not a list of SIFT Flow ids: 1 of its 3 entries'),
    (lambda s: (s['lists'] / 'test.txt').write_bytes(b'PK\x03\x04\xff\xfe'),
     r'test.txt is not a list of SIFT Flow ids \(binary data\)'),
    (lambda s: (s['lists'] / 'test.txt').write_text(
        '\n'.join(TEST + TRAINVAL[1:3])),
     '2 ids are in both .*trainval.txt and .*test.txt: tallbuilding_a812069,'
     ' street_bost64'),
    (lambda s: (s['lists'] / 'test.txt').unlink(),
     'SIFT Flow test list .*test.txt does not exist; --splits must hold'),
    (lambda s: shutil.rmtree(s['release'] / 'GeoLabels'),
     f'SIFT Flow geometric folder .*GeoLabels/{SUB} does not exist; pass '
     'the folder where SiftFlowDataset.zip was unpacked'),
    (lambda s: shutil.rmtree(s['release'] / 'Images'),
     r'--siftflow .*release holds neither Images/ nor SiftFlowDataset/'
     'Images/; pass the folder'),
])
def test_bad_input_is_named_and_nothing_written(sources, tmp_path, damage,
                                                message):
    src = _broken_copy(sources, tmp_path)
    damage(src)
    out = tmp_path / 'out'
    folders = {kind: re.escape(str(src['release'] / folder / SUB))
               for kind, folder in FOLDERS.items()}
    check_refused(prepare_siftflow.main, _argv(src, out), out,
                  message.format(**folders))


def test_bad_label_keeps_earlier_output(sources, tmp_path):
    src = _broken_copy(sources, tmp_path)
    out = tmp_path / 'out'
    prepare_siftflow.main(_argv(src, out, '--link', 'copy'))
    for name in TEST:  # labels to redo, one of them from a bad file
        (out / 'semantic' / f'{name}.png').unlink()
    (out / 'geometric' / f'{TRAINVAL[0]}.png').unlink()
    savemat(_mat(src, 'geometric', TEST[1]), {'S': np.full((2, 2), 9.)})
    check_kept(prepare_siftflow.main, _argv(src, out, '--nproc', '2'), out,
               r'holds values outside -1..3 .*: 9;.*nothing of this run was '
               'kept')


def test_cli_reports_bad_label_in_one_line(sources, tmp_path):
    src = _broken_copy(sources, tmp_path)
    mat = _mat(src, 'geometric', TEST[0])
    savemat(mat, {'S': np.array([[1., -3.]])})
    out = tmp_path / 'out'
    check_cli_refused(
        SCRIPT, _argv(src, out), out,
        f'^error: {re.escape(str(mat))} holds values outside -1..3 '
        r'\(the geometric labels of SIFT Flow\): -3; use GeoLabels/ of '
        'SiftFlowDataset.zip; nothing of this run was kept$')


def test_argument_rules(tmp_path, capsys):
    check_usage_errors(prepare_siftflow.main, capsys, [
        (['--download', str(tmp_path), '--siftflow', str(tmp_path)],
         'give either --download or --siftflow and --splits'),
        (['--siftflow', str(tmp_path)], '--download DIR to fetch them'),
        (['--download', str(tmp_path), '--nproc', '0'],
         '--nproc must be at least 1'),
    ])


# ------------------------------------------------------- zip extraction


def _zip_bytes(folder, top=None, skip=(), extra=()):
    """``folder`` packed as a zip: its entries at the root (``top`` None,
    as the release) or under ``top/``; ``skip`` leaves out root entries,
    ``extra`` adds (name, data) entries."""
    buffer = io.BytesIO()
    prefix = f'{top}/' if top else ''
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as pack:
        for path in sorted(folder.rglob('*')):
            rel = path.relative_to(folder)
            if rel.parts[0] in skip:
                continue
            pack.write(path, prefix + rel.as_posix())
        for name, data in extra:
            pack.writestr(name, data)
    return buffer.getvalue()


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob('*')) if p.is_file()}


def test_extract_zip_and_tar_alike(sources, tmp_path):
    """A zip is unpacked by the tar rules: with a top folder or
    (``inner``) without one, all or nothing; tar archives as before."""
    release = sources['release']
    want = _tree(release)
    for name, data, inner in (
        ('top.tar.gz', tar_bytes(release, 'data', 'w:gz'), None),
        ('top.zip', _zip_bytes(release, 'data'), None),
        ('flat.zip', _zip_bytes(release), ('Images', 'GeoLabels')),
    ):
        root = tmp_path / name
        root.mkdir()
        (root / name).write_bytes(data)
        got = _tree(download.extract(root / name, root, 'data', inner))
        assert got.pop('.extracted') == f'{name}\n'.encode()
        assert got == want
        assert leftovers(root) == []
    bad = tmp_path / 'bad'
    bad.mkdir()
    for name, data, inner, message in (
        ('outside.zip', _zip_bytes(release, 'data', extra=[('x.txt', b'')]),
         None, "holds 'x.txt' outside data/"),
        ('escape.zip', _zip_bytes(release, extra=[('../x.txt', b'')]),
         ('Images', ), "holds '../x.txt', outside its folder"),
        ('damaged.zip', _zip_bytes(release)[:-100], ('Images', ),
         'cannot extract .*damaged.zip: .*a damaged archive'),
        ('lacking.zip', _zip_bytes(release, skip=('GeoLabels', )),
         ('Images', 'GeoLabels'), 'has no GeoLabels at its root'),
    ):
        (bad / name).write_bytes(data)
        with pytest.raises(download.DownloadError, match=message):
            download.extract(bad / name, bad, 'data', inner)
        assert sorted(p.name for p in bad.iterdir()) == sorted(
            p.name for p in bad.glob('*.zip'))


# ---------------------------------------------------------- --download


PATHS = dict(siftflow='/siftflow/SiftFlowDataset.zip',
             trainval='/fcn/trainval.txt', test='/fcn/test.txt')


@pytest.fixture(scope='module')
def archives(sources):
    """The release as its zip (no top folder) and the lists."""
    return {
        PATHS['siftflow']: _zip_bytes(sources['release']),
        PATHS['trainval']: (sources['lists'] / 'trainval.txt').read_bytes(),
        PATHS['test']: (sources['lists'] / 'test.txt').read_bytes(),
    }


def _download_argv(server, root, out):
    return download_argv(server, PATHS, root, out)


def test_download_fetches_checks_unpacks_and_prepares(
        sources, archives, server, tmp_path, capsys):
    server.files.update(archives)
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    assert prepare_siftflow.main(_download_argv(server, root, out)) == dict(
        semantic=6, geometric=6, images=6, splits=2)
    captured = capsys.readouterr()
    assert 'extracting SiftFlowDataset.zip' in captured.err
    assert 'trainval: 4 ids' in captured.out
    assert (root / 'SiftFlowDataset/.extracted').is_file()
    assert (root / 'SiftFlowDataset/GeoLabels' / SUB).is_dir()
    assert sorted(p.name for p in root.iterdir()) == [
        'SiftFlowDataset', 'SiftFlowDataset.zip', 'test.txt', 'trainval.txt']
    _check_output(sources, out)
    # a rerun downloads and unpacks nothing again
    served = len(server.requests)
    assert prepare_siftflow.main(_download_argv(server, root, out)) == dict(
        semantic=0, geometric=0, images=0, splits=0)
    assert len(server.requests) == served


def test_download_zip_with_a_top_folder(sources, archives, server,
                                        tmp_path):
    server.files.update(archives)
    server.files[PATHS['siftflow']] = _zip_bytes(sources['release'],
                                                 'SiftFlowDataset')
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    prepare_siftflow.main(_download_argv(server, root, out))
    assert (root / 'SiftFlowDataset/.extracted').is_file()
    assert (root / 'SiftFlowDataset/Images' / SUB).is_dir()
    _check_output(sources, out)


def test_damaged_or_wrong_zip_leaves_no_tree(sources, archives, server,
                                             tmp_path):
    good = archives[PATHS['siftflow']]
    server.files.update(archives)
    server.files[PATHS['siftflow']] = good[:len(good) * 2 // 3]
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    argv = _download_argv(server, root, out)
    with pytest.raises(download.DownloadError, match='cannot extract .*'
                       'SiftFlowDataset.zip.*delete it and run again'):
        prepare_siftflow.main(argv)
    assert not (root / 'SiftFlowDataset').exists()
    assert leftovers(root) == []
    assert not out.exists()
    # no checksum: an archive with other content is found by its content
    for data, error, message in (
        (_zip_bytes(sources['release'], skip=('GeoLabels', )),
         download.DownloadError, 'SiftFlowDataset.zip has no GeoLabels at '
         'its root'),
        (_zip_bytes(sources['release'], 'SiftFlowDataset',
                    skip=('SemanticLabels', )),
         DataError, 'SIFT Flow semantic folder .*/SiftFlowDataset/'
         r'SemanticLabels/\S+ does not exist \(SiftFlowDataset.zip from '
         '.* has no published checksum: delete'),
    ):
        (root / 'SiftFlowDataset.zip').unlink()
        shutil.rmtree(root / 'SiftFlowDataset', ignore_errors=True)
        server.files[PATHS['siftflow']] = data
        with pytest.raises(error, match=message):
            prepare_siftflow.main(argv)
        assert leftovers(root) == []
        assert not out.exists()


def test_a_list_that_is_not_ids_is_deleted(archives, server, tmp_path):
    serve_moved(server, archives, PATHS['test'])
    root = tmp_path / 'downloads'
    with pytest.raises(DataError, match=r'/fcn/test.txt is not a list of '
                       r"SIFT Flow ids \(it starts b'<html>moved.*deleted, "
                       'check --test-url and run again'):
        prepare_siftflow.main(_download_argv(server, root, tmp_path / 'out'))
    assert sorted(p.name for p in root.iterdir()) == ['trainval.txt']


def test_missing_zip_on_the_server(archives, server, tmp_path):
    server.files.update(archives)
    del server.files[PATHS['siftflow']]
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    with pytest.raises(download.DownloadError, match='cannot download .*'
                       'SiftFlowDataset.zip: HTTP 404'):
        prepare_siftflow.main(_download_argv(server, root, out))
    assert not out.exists()
