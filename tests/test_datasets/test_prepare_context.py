"""tools/prepare_pascal_context.py (fcn_tools.prepare_context) on a
miniature VOC2010 tree and PASCAL-Context release.

The expected labels are computed here the way the FCN reference's data
layer (``pascalcontext_layers.py``) computes them, then renumbered to
MMSeg's class order by name; MMSeg's own dataset classes read the output.
``--download`` is tested against a local HTTP server on 127.0.0.1.
"""
import hashlib
import io
import re
import shutil
import tarfile
import warnings
from pathlib import Path

import mmseg
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image
from scipy.io import savemat

from fcn_plugin.datasets.class_orders import CONTEXT_59
from fcn_tools import download, prepare_context
from fcn_tools.prepare_common import DataError
from .conftest import (ROOT, broken_copy, check_cli_refused, check_kept,
                       check_refused, check_rerun, check_usage_errors,
                       download_argv, input_argv, leftovers, run_cli,
                       serve_moved, tar_bytes)

SCRIPT = ROOT / 'tools/prepare_pascal_context.py'
#: The input options and the keys of ``sources`` they take.
INPUTS = {'voc2010': 'voc', 'context': 'context'}
#: The raw ids of the 59 task classes in the release's ``labels.txt`` (the
#: ids of MMSeg's converter ``_mapping``, checked below).
TASK_IDS = {
    2: 'aeroplane', 9: 'bag', 18: 'bed', 19: 'bedclothes', 22: 'bench',
    23: 'bicycle', 25: 'bird', 31: 'boat', 33: 'book', 34: 'bottle',
    44: 'building', 45: 'bus', 46: 'cabinet', 59: 'car', 65: 'cat',
    68: 'ceiling', 72: 'chair', 80: 'cloth', 85: 'computer', 98: 'cow',
    104: 'cup', 105: 'curtain', 113: 'dog', 115: 'door', 144: 'fence',
    158: 'floor', 159: 'flower', 162: 'food', 187: 'grass', 189: 'ground',
    207: 'horse', 220: 'keyboard', 232: 'light', 258: 'motorbike',
    259: 'mountain', 260: 'mouse', 284: 'person', 295: 'plate',
    296: 'platform', 308: 'pottedplant', 324: 'road', 326: 'rock',
    347: 'sheep', 349: 'shelves', 354: 'sidewalk', 355: 'sign', 360: 'sky',
    366: 'snow', 368: 'sofa', 397: 'table', 415: 'track', 416: 'train',
    420: 'tree', 424: 'truck', 427: 'tvmonitor', 440: 'wall', 445: 'water',
    454: 'window', 458: 'wood'}
#: A few other names of the release (one with a space); the other lines of
#: the miniature's 459-line labels.txt are placeholders.
OTHER_IDS = {1: 'accordion', 3: 'air conditioner', 4: 'antenna'}
NUM_RAW = 459
TRAIN = ['2008_000002', '2008_000003', '2008_000007', '2008_000009']
VAL = ['2008_000005', '2008_000008', '2008_000010']
#: Raw ids drawn into the miniature's label maps: the task classes, other
#: listed ids (one with a space in its name) and 0.
POOL = sorted(TASK_IDS) + [1, 3, 4, 17, 200, 459]


def _label_names(path):
    """The reference's reading of an ``id: name`` list."""
    return [
        line.split(':', 1)[1].replace(' ', '')
        for line in path.read_text().splitlines() if line.strip()
    ]


def _reference_label(label_400, context):
    """``PASCALContextSegDataLayer.load_label`` of the FCN reference, and
    its class names (row 0 = background)."""
    labels_400 = _label_names(context / 'labels.txt')
    labels_59 = _label_names(context / '59_labels.txt')
    for main_label, task_label in zip(('table', 'bedclothes', 'cloth'),
                                      ('diningtable', 'bedcloth', 'clothes')):
        labels_59[labels_59.index(task_label)] = main_label
    label = np.zeros_like(label_400, dtype=np.uint8)
    for idx, name in enumerate(labels_59):
        idx_400 = labels_400.index(name) + 1
        label[label_400 == idx_400] = idx + 1
    return label, ['background'] + labels_59


def _mmseg_classes(name='PascalContextDataset'):
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    return list(DATASETS.get(name).METAINFO['classes'])


@pytest.fixture(scope='module')
def sources(tmp_path_factory):
    """VOC2010 (7 ids at odd sizes) and the annotations (459 names)."""
    root = tmp_path_factory.mktemp('context_sources')
    voc = root / 'VOCdevkit' / 'VOC2010'
    context = root / 'pascal-context'
    (voc / 'JPEGImages').mkdir(parents=True)
    (voc / 'ImageSets/Main').mkdir(parents=True)
    (context / 'trainval').mkdir(parents=True)
    rng = np.random.default_rng(5)
    raw = {}
    for num, name in enumerate(TRAIN + VAL):
        height, width = 17 + 2 * num, 29 - num
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(voc / 'JPEGImages' / f'{name}.jpg')
        pool = POOL + [0] if num == 2 else POOL
        label = rng.choice(pool, (height, width))
        label[:3, :3] = 308  # pottedplant in every map
        # the release stores uint16 and double maps
        label = label.astype(np.uint16 if num % 2 else np.float64)
        savemat(context / 'trainval' / f'{name}.mat', {'LabelMap': label})
        raw[name] = label
    (voc / 'ImageSets/Main/train.txt').write_text('\n'.join(TRAIN) + '\n')
    (voc / 'ImageSets/Main/val.txt').write_text('\n'.join(VAL) + '\n')
    names = {**TASK_IDS, **OTHER_IDS}
    (context / 'labels.txt').write_text(''.join(
        f'{i}: {names.get(i, f"other{i}")}\n' for i in range(1, NUM_RAW + 1)))
    (context / '59_labels.txt').write_text(''.join(
        f'{i}: {name}\n' for i, name in enumerate(CONTEXT_59, 1)))
    expected = {}
    classes = _mmseg_classes()
    for name, label in raw.items():
        ref, ref_classes = _reference_label(label, context)
        to_mmseg = np.array([classes.index(c) for c in ref_classes], np.uint8)
        expected[name] = to_mmseg[ref]
    return dict(root=root, voc=root / 'VOCdevkit', context=context,
                expected=expected)


def _argv(src, out, *extra):
    return input_argv(src, out, INPUTS, *extra)


def _check_output(src, out, train=TRAIN, val=VAL, expected=None):
    out = out / 'VOC2010'
    expected = expected or src['expected']
    sets = out / 'ImageSets/SegmentationContext'
    assert sorted(p.name for p in sets.iterdir()) == ['train.txt', 'val.txt']
    assert (sets / 'train.txt').read_text().split() == train
    assert (sets / 'val.txt').read_text().split() == val
    ids = sorted(train + val)
    images = out / 'JPEGImages'
    assert sorted(p.stem for p in images.iterdir()) == ids
    for name in ids:
        assert (images / f'{name}.jpg').read_bytes() == (
            src['voc'] / 'VOC2010/JPEGImages' / f'{name}.jpg').read_bytes()
    labels = out / 'SegmentationClassContext'
    assert sorted(p.stem for p in labels.iterdir()) == ids
    for name in ids:
        with Image.open(labels / f'{name}.png') as png:
            assert png.mode == 'L'
            np.testing.assert_array_equal(
                np.asarray(png), expected[name], err_msg=name)


@pytest.fixture(scope='module')
def prepared(sources, tmp_path_factory):
    """The miniature prepared once with the defaults (symlinks)."""
    out = tmp_path_factory.mktemp('context_out')
    written = prepare_context.main(_argv(sources, out))
    assert written == dict(labels=7, images=7, splits=2)
    return out


def test_miniature_uses_the_release_ids_of_mmseg_converter():
    """The raw ids of the 59 classes are those MMSeg's converter maps; in
    raw-id order they are MMSeg's (alphabetical) class order."""
    path = Path(mmseg.__file__).parent / \
        '.mim/tools/dataset_converters/pascal_context.py'
    body = re.search(r'_mapping = np\.sort\(\s*np\.array\(\[(.*?)\]',
                     path.read_text(), re.S)[1]
    mapping = sorted(int(v) for v in re.findall(r'\d+', body))
    assert mapping == [0] + sorted(TASK_IDS)
    assert [TASK_IDS[i] for i in mapping[1:]] == _mmseg_classes()[1:]


def test_labels_and_splits_follow_the_reference(sources, prepared):
    _check_output(sources, prepared)
    image = prepared / 'VOC2010/JPEGImages' / f'{TRAIN[0]}.jpg'
    assert image.is_symlink()
    # every class of the maps kept, the other raw ids background
    values = np.unique(np.concatenate(
        [v.ravel() for v in sources['expected'].values()]))
    assert values[0] == 0 and len(values) == 60


@pytest.mark.parametrize('dataset, offset', [('PascalContextDataset', 0),
                                             ('PascalContextDataset59', -1)])
def test_mmseg_datasets_read_the_output(sources, prepared, dataset, offset):
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    for split, ids in (('train', TRAIN), ('val', VAL)):
        data = DATASETS.build(
            dict(
                type=dataset,
                data_root=str(prepared / 'VOC2010'),
                data_prefix=dict(
                    img_path='JPEGImages',
                    seg_map_path='SegmentationClassContext'),
                ann_file=f'ImageSets/SegmentationContext/{split}.txt',
                pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='LoadAnnotations')
                ]))
        assert len(data) == len(ids)
        for sample in data:
            name = re.search(r'(\d{4}_\d{6})\.jpg$', sample['img_path'])[1]
            want = sources['expected'][name].astype(np.int64)
            if offset:
                want = np.where(want == 0, 255, want + offset)
            assert sample['img'].shape[:2] == want.shape
            np.testing.assert_array_equal(sample['gt_seg_map'], want)


def test_cli_two_processes_copy(sources, tmp_path):
    out = tmp_path / 'out'
    argv = _argv(sources, out, '--nproc', '2', '--link', 'copy')
    proc = run_cli(SCRIPT, argv, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert 'train: 4 ids' in proc.stdout and 'val: 3 ids' in proc.stdout
    _check_output(sources, out)
    assert not (out / 'VOC2010/JPEGImages' / f'{VAL[0]}.jpg').is_symlink()


def test_rerun_writes_nothing_new_and_resumes(sources, tmp_path):
    out = tmp_path / 'out'
    lost = out / 'VOC2010/SegmentationClassContext' / f'{VAL[1]}.png'
    again, resumed = check_rerun(prepare_context.main, _argv(sources, out),
                                 out, lost)
    assert again == dict(labels=0, images=0, splits=0)
    assert resumed == dict(labels=1, images=0, splits=0)
    _check_output(sources, out)


def test_official_counts_are_checked():
    with pytest.warns(UserWarning, match='val: expected 5105, got 5104'):
        bad = prepare_context.check_counts(
            dict(train=4998, val=5104), prepare_context.OFFICIAL_COUNTS, 'x')
    assert bad == ['val: expected 5105, got 5104']
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert prepare_context.check_counts(
            dict(train=4, val=3), prepare_context.OFFICIAL_COUNTS, 'x') == []


# ------------------------------------------------ MMSeg converter layout


@pytest.fixture(scope='module')
def converter_tree(sources, tmp_path_factory):
    """VOC2010 as MMSeg's converter leaves it: PNG labels (0 = background,
    MMSeg's order) for all but one train and one val image, its own
    sorted split lists."""
    root = tmp_path_factory.mktemp('converter')
    voc = root / 'VOCdevkit/VOC2010'
    shutil.copytree(sources['voc'] / 'VOC2010', voc)
    (voc / 'SegmentationClassContext').mkdir()
    unlabelled = [TRAIN[1], VAL[2]]
    for name, label in sources['expected'].items():
        if name not in unlabelled:
            Image.fromarray(label).save(
                voc / 'SegmentationClassContext' / f'{name}.png')
    sets = voc / 'ImageSets/SegmentationContext'
    sets.mkdir()
    mmseg_train = sorted(i for i in TRAIN if i not in unlabelled)
    mmseg_val = sorted(i for i in VAL if i not in unlabelled)[::-1]
    (sets / 'train.txt').write_text('\n'.join(mmseg_train) + '\n')
    (sets / 'val.txt').write_text('\n'.join(mmseg_val) + '\n')
    return dict(voc=root / 'VOCdevkit', unlabelled=unlabelled,
                train=mmseg_train, val=mmseg_val)


def test_converter_layout_gets_the_reference_splits(sources, converter_tree,
                                                    tmp_path):
    out = tmp_path / 'out'
    argv = ['--voc2010', str(converter_tree['voc']), '--out', str(out)]
    with pytest.warns(UserWarning) as record:
        prepare_context.main(argv)
    message = ' '.join(str(w.message) for w in record)
    assert '1 of 4 train and 1 of 3 val ids' in message
    assert ', '.join(converter_tree['unlabelled']) in message
    assert '4996/5104' in message
    _check_output(sources, out,
                  train=[i for i in TRAIN if i != TRAIN[1]],
                  val=[i for i in VAL if i != VAL[2]])
    # in place: nothing to link, MMSeg's split lists become the reference's
    voc = tmp_path / 'VOCdevkit'
    shutil.copytree(converter_tree['voc'], voc)
    with pytest.warns(UserWarning):
        written = prepare_context.main(
            ['--voc2010', str(voc), '--out', str(voc)])
    # (MMSeg's train list equals the reference's here, its val does not)
    assert written == dict(labels=0, images=0, splits=1)
    assert (voc / 'VOC2010/ImageSets/SegmentationContext/val.txt').read_text(
    ).split() == [i for i in VAL if i != VAL[2]]


def test_converter_layout_keeps_mmseg_splits(sources, converter_tree,
                                             tmp_path):
    out = tmp_path / 'out'
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        prepare_context.main(['--voc2010', str(converter_tree['voc']),
                              '--out', str(out), '--splits', 'mmseg'])
    _check_output(sources, out, train=converter_tree['train'],
                  val=converter_tree['val'])


@pytest.mark.parametrize('damage, message', [
    (lambda seg: Image.fromarray(np.full((5, 7), 60, np.uint8)).save(seg),
     'holds value 60, outside 0..59'),
    (lambda seg: Image.fromarray(np.zeros((5, 7, 3), np.uint8)).save(seg),
     'is a RGB image, not a single-channel label'),
])
def test_converter_layout_bad_png(converter_tree, tmp_path, damage, message):
    voc = tmp_path / 'VOCdevkit'
    shutil.copytree(converter_tree['voc'], voc)
    seg = voc / 'VOC2010/SegmentationClassContext' / f'{VAL[0]}.png'
    damage(seg)
    out = tmp_path / 'out'
    with pytest.raises(DataError, match=re.escape(str(seg)) + '.* ' +
                       message):
        with pytest.warns(UserWarning):
            prepare_context.main(['--voc2010', str(voc), '--out', str(out)])
    assert not out.exists()


def test_without_context_or_labels(sources, tmp_path):
    with pytest.raises(DataError, match='no --context given and .*'
                       'SegmentationClassContext holds no PNG labels'):
        prepare_context.main(['--voc2010', str(sources['voc']), '--out',
                              str(tmp_path / 'out')])
    assert not (tmp_path / 'out').exists()


# ------------------------------------------------------------ bad input


def _broken_copy(sources, tmp_path):
    return broken_copy(sources, tmp_path, voc='VOCdevkit',
                       context='pascal-context')


def _mat(src, name):
    return src['context'] / 'trainval' / f'{name}.mat'


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize('damage, message', [
    (lambda s: savemat(_mat(s, VAL[1]), {'GTcls': np.ones((3, 3)),
                                         'S': np.ones(2)}),
     r'{mat} has no LabelMap \(its fields: GTcls, S\)'),
    (lambda s: savemat(_mat(s, TRAIN[2]),
                       {'LabelMap': np.array([[2, 460], [0, 470]],
                                             np.uint16)}),
     r'{mat} holds raw id 460 \(and 1 more\), which .*labels.txt does '
     'not list'),
    (lambda s: (s['context'] / 'labels.txt').unlink(),
     'labels.txt does not exist: --context must hold'),
    (lambda s: _mat(s, TRAIN[3]).unlink(),
     f'1 ids of .*train.txt have no label .* in .*trainval: {TRAIN[3]}$'),
    (lambda s: (s['voc'] / 'VOC2010/ImageSets/Main/val.txt').write_text(
        '\n'.join(VAL + [f'2009_00000{i}' for i in range(7)])),
     '7 ids of .*val.txt have no label .*: 2009_000000, 2009_000001, '
     '2009_000002, 2009_000003, 2009_000004 and 2 more'),
    (lambda s: (s['voc'] / 'VOC2010/JPEGImages' / f'{VAL[0]}.jpg').unlink(),
     f'1 ids of .*val.txt have no image in .*JPEGImages: {VAL[0]}'),
    (lambda s: _edit(s['context'] / 'labels.txt', '397: table', '397: desk'),
     r"labels.txt does not list the task class 'table' \(59_labels.txt: "
     "'diningtable'\\)"),
    (lambda s: _edit(s['context'] / 'labels.txt', '3: air conditioner',
                     '3 air conditioner'),
     "labels.txt line 3: '3 air conditioner' is not \"id: name\""),
    (lambda s: _edit(s['context'] / '59_labels.txt', '2: bicycle', '2: bike'),
     "59_labels.txt does not list the 59 task classes in the reference's "
     r"order \(class 2 is 'bike', not 'bicycle'\)"),
])
def test_bad_input_is_named_and_nothing_written(sources, tmp_path, damage,
                                                message):
    src = _broken_copy(sources, tmp_path)
    damage(src)
    out = tmp_path / 'out'
    mat = re.escape(str(src['context'] / 'trainval'))
    check_refused(prepare_context.main, _argv(src, out), out,
                  message.replace('{mat}', mat + '/.*'))


def test_bad_label_keeps_earlier_output(sources, tmp_path):
    src = _broken_copy(sources, tmp_path)
    out = tmp_path / 'out'
    prepare_context.main(_argv(src, out, '--link', 'copy'))
    labels = out / 'VOC2010/SegmentationClassContext'
    for name in VAL:  # two labels to redo, one of them from a bad file
        (labels / f'{name}.png').unlink()
    savemat(_mat(src, VAL[2]), {'LabelMap': np.full((2, 2), 999.)})
    check_kept(prepare_context.main, _argv(src, out, '--nproc', '2'), out,
               'holds raw id 999, .*nothing of this run was kept')


def test_cli_reports_bad_label_in_one_line(sources, tmp_path):
    src = _broken_copy(sources, tmp_path)
    mat = _mat(src, TRAIN[0])
    savemat(mat, {'Seg': np.ones((2, 2))})
    out = tmp_path / 'out'
    check_cli_refused(
        SCRIPT, _argv(src, out, '--nproc', '2'), out,
        f'^error: {re.escape(str(mat))} has no LabelMap '
        r'\(its fields: Seg\): not a PASCAL-Context label file')


def test_argument_rules(tmp_path, capsys):
    check_usage_errors(prepare_context.main, capsys, [
        (['--download', str(tmp_path), '--voc2010', str(tmp_path)],
         'give either --download or --voc2010'),
        (['--context', str(tmp_path)], '--download DIR to fetch them'),
        (['--voc2010', str(tmp_path), '--context', str(tmp_path),
          '--splits', 'mmseg'], '--splits mmseg keeps'),
    ])


# ---------------------------------------------------------- --download


def test_sources_are_torchvisions_voc2010():
    from torchvision.datasets.voc import DATASET_YEAR_DICT
    record = DATASET_YEAR_DICT['2010']
    source = prepare_context.SOURCES['voc2010']
    assert (source['url'], source['filename'], source['md5']) == (
        record['url'], record['filename'], record['md5'])


def _context_tgz(context, skip=()):
    """The annotations packed as the release's trainval.tar.gz: trainval/
    and labels.txt at the root."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w:gz') as tar:
        for name in prepare_context.CONTEXT_CONTENT:
            if name not in skip:
                tar.add(str(context / name), arcname=name)
    return buffer.getvalue()


PATHS = dict(voc2010='/voc2010/VOCtrainval_03-May-2010.tar',
             context='/context/trainval.tar.gz',
             labels59='/context/59_labels.txt')


@pytest.fixture(scope='module')
def archives(sources):
    return {
        PATHS['voc2010']: tar_bytes(sources['voc'], 'VOCdevkit', 'w'),
        PATHS['context']: _context_tgz(sources['context']),
        PATHS['labels59']: (sources['context'] / '59_labels.txt').read_bytes(),
    }


def _download_argv(server, archives, root, out, md5=None):
    digest = hashlib.md5(archives[PATHS['voc2010']]).hexdigest()
    return download_argv(server, PATHS, root, out) + [
        '--voc2010-md5', md5 or digest]


def test_download_fetches_checks_unpacks_and_prepares(sources, archives,
                                                      server, tmp_path):
    server.files.update(archives)
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    proc = run_cli(SCRIPT, _download_argv(server, archives, root, out))
    assert proc.returncode == 0, proc.stderr
    assert 'VOCtrainval_03-May-2010.tar: ' in proc.stderr
    assert 'val: 3 ids' in proc.stdout
    for top in ('VOCdevkit', 'pascal-context'):
        assert (root / top / '.extracted').is_file()
    assert (root / 'pascal-context/labels.txt').is_file()
    assert leftovers(root) == []
    _check_output(sources, out)
    # a rerun downloads and unpacks nothing again
    served = len(server.requests)
    assert prepare_context.main(_download_argv(
        server, archives, root, out)) == dict(labels=0, images=0, splits=0)
    assert len(server.requests) == served


def test_wrong_checksum_is_deleted_and_nothing_unpacked(
        archives, server, tmp_path):
    server.files.update(archives)
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    with pytest.raises(download.DownloadError,
                       match='VOCtrainval_03-May-2010.tar has MD5 '
                       '[0-9a-f]{32}, expected 0{32}'):
        prepare_context.main(
            _download_argv(server, archives, root, out, md5='0' * 32))
    assert list(root.iterdir()) == []
    assert not out.exists()


def test_damaged_annotations_archive_leaves_no_tree(sources, archives,
                                                    server, tmp_path):
    good = archives[PATHS['context']]
    server.files.update(archives)
    server.files[PATHS['context']] = good[:len(good) * 2 // 3]
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    argv = _download_argv(server, archives, root, out)
    with pytest.raises(download.DownloadError,
                       match='cannot extract .*trainval.tar.gz.*delete it'):
        prepare_context.main(argv)
    assert (root / 'VOCdevkit/.extracted').is_file()
    assert not (root / 'pascal-context').exists()
    assert leftovers(root) == []
    assert not out.exists()
    # an incomplete archive (no labels.txt) is refused as well
    (root / 'trainval.tar.gz').unlink()
    server.files[PATHS['context']] = _context_tgz(sources['context'],
                                                  skip=('labels.txt', ))
    with pytest.raises(download.DownloadError,
                       match='trainval.tar.gz has no labels.txt at its root'):
        prepare_context.main(argv)
    assert not (root / 'pascal-context').exists()
    assert leftovers(root) == []
    assert not out.exists()


def test_wrong_annotations_content_is_named(sources, archives, server,
                                            tmp_path):
    """No checksum: a labels.txt without the task classes is found after
    extraction."""
    src = _broken_copy(sources, tmp_path)
    _edit(src['context'] / 'labels.txt', '2: aeroplane', '2: airplane')
    server.files.update(archives)
    server.files[PATHS['context']] = _context_tgz(src['context'])
    root, out = tmp_path / 'downloads', tmp_path / 'out'
    with pytest.raises(DataError, match="does not list the task class "
                       "'aeroplane'.*no published checksum: delete"):
        prepare_context.main(_download_argv(server, archives, root, out))
    assert not out.exists()


def test_wrong_task_list_is_deleted(archives, server, tmp_path):
    serve_moved(server, archives, PATHS['labels59'])
    root = tmp_path / 'downloads'
    with pytest.raises(DataError, match='is not the list of the 59 task '
                       'classes .*deleted, check --labels59-url'):
        prepare_context.main(
            _download_argv(server, archives, root, tmp_path / 'out'))
    assert not (root / '59_labels.txt').exists()
