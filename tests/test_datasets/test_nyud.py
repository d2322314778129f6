"""NYUDv2 RGB-D inputs through MMSeg's pipeline, as the FCN reference feeds
them (fcn.berkeleyvision.org ``nyud_layers.py``).

On a tiny tree in the layout of ``tools/prepare_nyud.py`` (odd sizes; every
modality encodes the pixel's row and column, so any step that moves one
channel and not another shows): the dataset names the files each id lacks;
the stacked inputs minus the per-modality means are the reference data
layer's arrays (BGR colour, ``log(d) - 7.844``, HHA in the file's order);
MMSeg's geometric transforms move every channel of 4-, 6- and 7-channel
stacks together and keep nearest labels; bad maps are one error naming the
files; the metrics run; the base config is the reference recipe and swaps
to the other nets' inputs.
"""
import sys
import types
from pathlib import Path
from typing import Sequence, Tuple

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmseg.structures import SegDataSample
from PIL import Image

from fcn_plugin.datasets.nyud_classes import NYUD40_CLASSES
from fcn_plugin.errors import DataFileError
from .conftest import DATASET_CFGS

#: (H, W) of each id: odd sizes, one differing (batches get padded).
SIZES = {'5001': (37, 45), '5002': (37, 45), '5003': (41, 39),
         '6004': (37, 45), '6005': (37, 45)}
SPLITS = dict(train=['5001', '5003'], val=['5002'],
              trainval=['5001', '5002', '5003'], test=['6004', '6005'])
#: nyud_layers.py's means: BGR colour, HHA in the file's order, log-depth.
MEAN_BGR = (116.190, 97.203, 92.318)
MEAN_HHA = (132.431, 94.076, 118.477)
MEAN_LOGD = (7.844, )
MEANS = dict(color=MEAN_BGR, hha=MEAN_HHA, depth=MEAN_LOGD)
#: A third HHA channel value per id, so that samples differ.
HHA_C2 = {i: 60 + 10 * k for k, i in enumerate(SIZES)}
BASE = next(p for p in DATASET_CFGS if p.stem == 'nyud_fcn')


def _grid(hw: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    return np.mgrid[:hw[0], :hw[1]]


def _label(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Blocks of 4x4 pixels of classes 0..39; row 0 is void."""
    label = (rows // 4 + cols // 4) % 40
    return np.where(rows == 0, 255, label).astype(np.uint8)


def write_nyud(root: Path) -> Path:
    """NYUDv2 as tools/prepare_nyud.py lays it out: ``images/``,
    ``depth/`` (uint16 mm), ``hha/``, ``labels/`` (0..39, 255) as
    ``img_<id>.png`` and split files of bare ids.

    Per pixel at row r, column c: RGB (255 - 5c, 5c, 5r), depth
    1000 + 7r + 11c mm, HHA (5c, 5r, a value per id) in the file's order,
    label (r // 4 + c // 4) % 40 (row 0 void).
    """
    for folder in ('images', 'depth', 'hha', 'labels'):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for i, hw in SIZES.items():
        r, c = _grid(hw)
        rgb = np.stack([255 - 5 * c, 5 * c, 5 * r], -1).astype(np.uint8)
        Image.fromarray(rgb).save(root / 'images' / f'img_{i}.png')
        depth = (1000 + 7 * r + 11 * c).astype(np.uint16)
        Image.fromarray(depth).save(root / 'depth' / f'img_{i}.png')
        hha = np.stack([5 * c, 5 * r, np.full(hw, HHA_C2[i])],
                       -1).astype(np.uint8)
        Image.fromarray(hha).save(root / 'hha' / f'img_{i}.png')
        Image.fromarray(_label(r, c)).save(root / 'labels' / f'img_{i}.png')
    for split, ids in SPLITS.items():
        (root / f'{split}.txt').write_text(''.join(f'{i}\n' for i in ids))
    return root


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> Path:
    return write_nyud(tmp_path_factory.mktemp('nyud') / 'nyud')


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmseg')


def reference_inputs(root: Path, sample_id: str,
                     tops: Sequence[str]) -> np.ndarray:
    """The data layer's arrays for ``tops``, concatenated on channels as
    the nets' ``Concat`` does (``nyud_layers.py`` load_image, load_depth,
    load_hha: Pillow, RGB -> BGR for colour only, minus the means)."""
    out = []
    for top in tops:
        if top == 'color':
            im = Image.open(root / 'images' / f'img_{sample_id}.png')
            in_ = np.array(im, dtype=np.float32)[:, :, ::-1]
            in_ -= np.array(MEAN_BGR, dtype=np.float32)
            out.append(in_.transpose((2, 0, 1)))
        elif top == 'depth':
            im = Image.open(root / 'depth' / f'img_{sample_id}.png')
            d = np.log(np.array(im, dtype=np.float32))
            d -= np.array(MEAN_LOGD, dtype=np.float32)
            out.append(d[np.newaxis])
        else:
            im = Image.open(root / 'hha' / f'img_{sample_id}.png')
            hha = np.array(im, dtype=np.float32)
            hha -= np.array(MEAN_HHA, dtype=np.float32)
            out.append(hha.transpose((2, 0, 1)))
    return np.concatenate(out, 0)


def _loaders(modalities: Sequence[str], backend: str = 'pillow',
             stack: bool = True, **depth) -> list:
    steps = [
        dict(type='LoadImageFromFile', imdecode_backend=backend),
        dict(type='LoadAnnotations'),
        dict(type='CheckSegData', num_classes=40)
    ]
    if 'depth' in modalities:
        steps.append(
            dict(type='LoadDepthFromFile', imdecode_backend=backend,
                 **depth))
    if 'hha' in modalities:
        steps.append(dict(type='LoadHHAFromFile', imdecode_backend=backend))
    if stack:
        steps.append(dict(type='StackModalities', modalities=modalities))
    return steps


def _pack() -> dict:
    return dict(type='PackSegInputs',
                meta_keys=Config.fromfile(str(BASE)).meta_keys)


def build_dataset(root: Path, modalities=('color', ), pipeline=None,
                  split='trainval', **kwargs):
    from mmseg.registry import DATASETS
    if pipeline is None:
        pipeline = _loaders(modalities) + [_pack()]
    cfg = dict(type='FCNNYUDDataset', data_root=str(root),
               ann_file=f'{split}.txt', modalities=modalities,
               pipeline=pipeline, **kwargs)
    return DATASETS.build(cfg)


def build_preprocessor(modalities, **kwargs):
    from mmseg.registry import MODELS
    cfg = dict(type='RGBDDataPreProcessor',
               modalities=[(m, dict(mean=list(MEANS[m]))) for m in modalities],
               pad_val=0, seg_pad_val=255, size_divisor=1)
    cfg.update(kwargs)
    return MODELS.build(cfg)


# ------------------------------------------------------------- the dataset


def test_dataset_items_classes_and_ids(data):
    dataset = build_dataset(data, ('color', 'hha'))
    assert len(dataset) == 3
    info = dataset.get_data_info(2)
    assert info['img_path'] == str(data / 'images/img_5003.png')
    assert info['seg_map_path'] == str(data / 'labels/img_5003.png')
    assert info['depth_path'] == str(data / 'depth/img_5003.png')
    assert info['hha_path'] == str(data / 'hha/img_5003.png')
    assert info['reduce_zero_label'] is False
    meta = dataset.metainfo
    assert tuple(meta['classes']) == NYUD40_CLASSES
    assert len(NYUD40_CLASSES) == 40 and NYUD40_CLASSES[23] == 'refridgerator'
    palette = [tuple(c) for c in meta['palette']]
    assert len(palette) == 40 and len(set(palette)) == 40
    assert (0, 0, 0) not in palette
    # ids written with the prefix, and blank lines, read the same
    split = data / 'mixed.txt'
    split.write_text('img_5001\n\n5002\n')
    try:
        other = build_dataset(data, split='mixed')
        assert [other.get_data_info(k)['img_path'] for k in range(2)] == [
            str(data / 'images/img_5001.png'),
            str(data / 'images/img_5002.png')]
    finally:
        split.unlink()


def test_dataset_names_the_files_an_id_lacks(data, tmp_path):
    root = write_nyud(tmp_path / 'nyud')
    (root / 'hha' / 'img_5002.png').unlink()
    with pytest.raises(FileNotFoundError) as err:
        build_dataset(root, ('color', 'hha'))
    assert str(err.value) == (
        f'1 of 3 ids in split file {root}/trainval.txt have no HHA map: '
        f'{root}/hha/img_5002.png')
    # the colour and color-d nets do not need it
    assert len(build_dataset(root, ('color', 'depth'))) == 3
    (root / 'depth' / 'img_5003.png').unlink()
    with pytest.raises(FileNotFoundError, match='have no depth map: '
                       f'{root}/depth/img_5003.png'):
        build_dataset(root, ('color', 'depth'))
    # the HHA net reads the HHA maps but checks the images too
    (root / 'images' / 'img_5001.png').unlink()
    assert len(build_dataset(root, ('hha', ), split='test')) == 2
    with pytest.raises(FileNotFoundError, match='have no image: '):
        build_dataset(root, ('hha', ), split='train')
    with pytest.raises(ValueError, match=r'data_prefix has no hha_path; set '
                       r'data_prefix\.hha_path'):
        build_dataset(data, ('color', 'hha'),
                      data_prefix=dict(img_path='images',
                                       seg_map_path='labels'))
    with pytest.raises(ValueError, match='modalities must be names among'):
        build_dataset(data, ('color', 'rgb'))


# ----------------------------------------------- the inputs the nets see


@pytest.mark.parametrize('modalities', [('color', ), ('hha', ),
                                        ('color', 'depth'),
                                        ('color', 'hha'),
                                        ('color', 'depth', 'hha')])
@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_stacked_inputs_minus_means_are_the_reference_arrays(
        data, modalities, backend):
    pipeline = _loaders(modalities, backend) + [_pack()]
    dataset = build_dataset(data, modalities, pipeline)
    pre = build_preprocessor(modalities)
    channels = sum(3 if m != 'depth' else 1 for m in modalities)
    for k, sample_id in enumerate(SPLITS['trainval']):
        sample = dataset[k]
        inputs = sample['inputs']
        assert inputs.dtype == torch.float32
        assert tuple(inputs.shape) == (channels, ) + SIZES[sample_id]
        meta = sample['data_samples'].metainfo
        assert meta['modalities'] == modalities
        assert meta['modality_channels'] == tuple(
            3 if m != 'depth' else 1 for m in modalities)
        out = pre(pseudo_collate([sample]), training=False)['inputs'][0]
        want = reference_inputs(data, sample_id, modalities)
        np.testing.assert_allclose(out.numpy(), want, rtol=0, atol=1e-5)
    # what the arrays are before the means: BGR colour (B = 5 r), the HHA
    # file's order (5 c, 5 r, ...), log of millimetres
    r, c = _grid(SIZES['5001'])
    first = dataset[0]['inputs'].numpy()
    expect = dict(color=[5 * r, 5 * c, 255 - 5 * c],
                  depth=[np.log(np.float32(1000) + 7 * r + 11 * c)],
                  hha=[5 * c, 5 * r, np.full(r.shape, HHA_C2['5001'])])
    stacked = [ch for m in modalities for ch in expect[m]]
    np.testing.assert_allclose(first, np.stack(stacked), rtol=1e-6)


def test_preprocessor_pads_a_batch_and_keeps_mmseg(data):
    modalities = ('color', 'depth', 'hha')
    dataset = build_dataset(data, modalities)
    pre = build_preprocessor(modalities)
    assert pre.modalities == modalities
    assert pre.modality_channels == (3, 1, 3)
    torch.testing.assert_close(
        pre.mean.flatten(),
        torch.tensor(MEAN_BGR + MEAN_LOGD + MEAN_HHA, dtype=torch.float32))
    batch = pseudo_collate([dataset[0], dataset[2]])  # 37x45 and 41x39
    out = pre(batch, training=True)
    x = out['inputs']
    assert tuple(x.shape) == (2, 7, 41, 45)
    for k, sample_id in ((0, '5001'), (1, '5003')):
        h, w = SIZES[sample_id]
        want = reference_inputs(data, sample_id, modalities)
        np.testing.assert_allclose(x[k, :, :h, :w].numpy(), want, atol=1e-5)
        assert not x[k, :, h:].any() and not x[k, :, :, w:].any()
        gt = out['data_samples'][k].gt_sem_seg.data
        assert tuple(gt.shape) == (1, 41, 45)
        assert (gt[:, h:] == 255).all() and (gt[:, :, w:] == 255).all()
    # a mapping declares the same (its key order), std divides
    from mmseg.registry import MODELS
    same = MODELS.build(dict(
        type='RGBDDataPreProcessor', size_divisor=1,
        modalities=dict(color=dict(mean=list(MEAN_BGR)),
                        depth=dict(mean=list(MEAN_LOGD), std=[0.5]),
                        hha=dict(mean=list(MEAN_HHA)))))
    y = same(pseudo_collate([dataset[0]]))['inputs'][0]
    ref = torch.from_numpy(reference_inputs(data, '5001', modalities))
    torch.testing.assert_close(y[[0, 1, 2, 4, 5, 6]], ref[[0, 1, 2, 4, 5, 6]])
    torch.testing.assert_close(y[3], ref[3] / 0.5)


def test_preprocessor_refuses_what_does_not_fit(data):
    from mmseg.registry import MODELS
    with pytest.raises(ValueError, match='takes no mean: give the mean'):
        build_preprocessor(('color', ), mean=[1., 2., 3.])
    with pytest.raises(ValueError, match='swap the channels of a 3-channel '
                       'image only; a stack of color, hha keeps the colour'):
        build_preprocessor(('color', 'hha'), bgr_to_rgb=True)
    with pytest.raises(ValueError, match="'depth' has 1 channels; its mean "
                       'has 3 values'):
        MODELS.build(dict(type='RGBDDataPreProcessor', size_divisor=1,
                          modalities=[('depth', dict(mean=[1, 2, 3]))]))
    # one 3-channel modality may swap, as MMSeg's
    swap = build_preprocessor(('color', ), bgr_to_rgb=True)
    dataset = build_dataset(data, ('color', 'hha'))
    sample = dataset[0]
    plain = build_preprocessor(('color', 'hha'))
    # the pipeline stacks 6 channels, the net declares 4
    with pytest.raises(ValueError) as err:
        build_preprocessor(('color', 'depth'))(pseudo_collate([sample]))
    assert str(err.value) == (
        'the pipeline stacks color, hha (StackModalities) but '
        'model.data_preprocessor.modalities declares color (3), depth (1); '
        'declare the modalities in the order the pipeline stacks them')
    # the same channels in the other order
    with pytest.raises(ValueError, match='stacks color, hha'):
        build_preprocessor(('hha', 'color'))(pseudo_collate([sample]))
    # without the meta key only the channel count can be checked
    bare = dict(inputs=[sample['inputs']], data_samples=[SegDataSample()])
    with pytest.raises(ValueError) as err:
        build_preprocessor(('color', 'depth'))(bare)
    assert str(err.value) == (
        "the batch's images have 6 channels but model.data_preprocessor."
        'modalities declares color (3), depth (1): 4 channels; stack the '
        'same modalities in the pipeline (StackModalities(modalities=...)) '
        'as in the data preprocessor')
    assert plain(bare)['inputs'].shape[1] == 6
    colour = build_dataset(data, ('color', ))[0]
    out = swap(pseudo_collate([colour]))['inputs'][0]
    want = colour['inputs'][[2, 1, 0]] - torch.tensor(MEAN_BGR).view(3, 1, 1)
    torch.testing.assert_close(out, want)


# ------------------------------------- MMSeg's transforms on the stacks


def _stacked(root: Path, modalities, sample_id='5003', encoding='mm'):
    """One loaded, stacked sample (before any geometric transform)."""
    from mmseg.registry import TRANSFORMS
    stem = f'img_{sample_id}.png'
    results = dict(img_path=str(root / 'images' / stem),
                   seg_map_path=str(root / 'labels' / stem),
                   depth_path=str(root / 'depth' / stem),
                   hha_path=str(root / 'hha' / stem),
                   reduce_zero_label=False, seg_fields=[])
    for cfg in _loaders(modalities, encoding=encoding):
        results = TRANSFORMS.build(cfg)(results)
    return results


def _check_aligned(results, modalities, exact: bool, sample_id='5003'):
    """Every channel still encodes the same (row, column) per pixel."""
    img = results['img']
    assert img.ndim == 3 and img.dtype == np.float32
    assert img.shape[:2] == results['gt_seg_map'].shape
    tol = dict(rtol=0, atol=0) if exact else dict(rtol=0, atol=2e-3)
    at = 0
    channels = {}
    for m in modalities:
        n = 1 if m == 'depth' else 3
        channels[m] = img[..., at:at + n]
        at += n
    assert at == img.shape[2]
    if 'color' in channels:
        b, g, r = np.moveaxis(channels['color'], -1, 0)
        rows, cols = b / 5, g / 5
        np.testing.assert_allclose(r, 255 - g, **tol)
    else:
        cols, rows = channels['hha'][..., 0] / 5, channels['hha'][..., 1] / 5
    if 'hha' in channels:
        np.testing.assert_allclose(channels['hha'][..., 0], 5 * cols, **tol)
        np.testing.assert_allclose(channels['hha'][..., 1], 5 * rows, **tol)
        np.testing.assert_allclose(channels['hha'][..., 2],
                                   HHA_C2[sample_id], **tol)
    if 'depth' in channels:  # 'mm' encoding: linear in row and column
        np.testing.assert_allclose(channels['depth'][..., 0],
                                   1000 + 7 * rows + 11 * cols,
                                   rtol=0, atol=tol['atol'] * 20)
    if exact:
        np.testing.assert_array_equal(
            results['gt_seg_map'],
            _label(rows.astype(int), cols.astype(int)))
    return rows, cols


STACKS = [('color', 'depth'), ('color', 'hha'), ('color', 'depth', 'hha'),
          ('hha', )]


@pytest.mark.parametrize('modalities', STACKS)
@pytest.mark.parametrize('step', [
    dict(type='RandomFlip', prob=1.0, direction='horizontal'),
    dict(type='RandomFlip', prob=1.0, direction='vertical'),
    dict(type='RandomCrop', crop_size=(20, 25)),
    dict(type='RandomCrop', crop_size=(20, 25), cat_max_ratio=0.75),
])
def test_flips_and_crops_move_every_channel(data, modalities, step):
    from mmseg.registry import TRANSFORMS
    results = _stacked(data, modalities)
    h, w = SIZES['5003']
    np.random.seed(0)
    out = TRANSFORMS.build(step)(results)
    rows, cols = _check_aligned(out, modalities, exact=True)
    if step['type'] == 'RandomFlip':
        assert out['img'].shape[:2] == (h, w)
        if step['direction'] == 'horizontal':
            assert cols[0, 0] == w - 1 and rows[0, 0] == 0
        else:
            assert rows[0, 0] == h - 1 and cols[0, 0] == 0
    else:
        assert out['img'].shape[:2] == (20, 25)
        # a window of the image: consecutive rows and columns
        np.testing.assert_array_equal(np.diff(rows, axis=0), 1)
        np.testing.assert_array_equal(np.diff(cols, axis=1), 1)


@pytest.mark.parametrize('modalities', STACKS)
@pytest.mark.parametrize('step', [
    dict(type='Resize', scale=(60, 50), keep_ratio=False),
    dict(type='Resize', scale=(23, 19), keep_ratio=False),
    dict(type='RandomResize', scale=(78, 82), ratio_range=(0.5, 2.0),
         keep_ratio=True),
])
def test_resizes_are_per_channel_and_keep_nearest_labels(data, modalities,
                                                         step):
    from mmseg.registry import TRANSFORMS
    results = _stacked(data, modalities)
    before = results['img'].copy()
    label = results['gt_seg_map'].copy()
    np.random.seed(1)
    out = TRANSFORMS.build(step)(results)
    h, w = out['img'].shape[:2]
    assert (h, w) != SIZES['5003'] and out['gt_seg_map'].shape == (h, w)
    # each channel resized alone (OpenCV, bilinear) gives the same
    alone = np.stack([
        mmcv.imresize(before[..., k], (w, h), interpolation='bilinear')
        for k in range(before.shape[2])
    ], -1)
    np.testing.assert_allclose(out['img'], alone, rtol=1e-6, atol=1e-4)
    # the label is resized by nearest neighbour: no new values
    np.testing.assert_array_equal(
        out['gt_seg_map'],
        mmcv.imresize(label, (w, h), interpolation='nearest'))
    assert set(np.unique(out['gt_seg_map'])) <= set(np.unique(label))
    _check_aligned(out, modalities, exact=False)


@pytest.mark.parametrize('modalities', STACKS + [('color', )])
def test_pad_modalities_pads_any_channel_count(data, modalities):
    from mmseg.registry import TRANSFORMS
    results = _stacked(data, modalities)
    before = results['img'].copy()
    h, w = before.shape[:2]
    out = TRANSFORMS.build(dict(type='PadModalities', size=(48, 44),
                                pad_val=dict(img=0, seg=255)))(results)
    img = out['img']
    assert img.shape == (44, 48, before.shape[2])
    assert out['img_shape'] == (44, 48) and out['pad_shape'] == img.shape
    np.testing.assert_array_equal(img[:h, :w], before)
    assert not img[h:].any() and not img[:, w:].any()
    seg = out['gt_seg_map']
    assert (seg[h:] == 255).all() and (seg[:, w:] == 255).all()
    # up to four channels MMCV's Pad gives the same
    if before.shape[2] <= 4:
        again = _stacked(data, modalities)
        mmcv_out = TRANSFORMS.build(dict(type='Pad', size=(48, 44)))(again)
        np.testing.assert_array_equal(mmcv_out['img'], img)
        np.testing.assert_array_equal(mmcv_out['gt_seg_map'], seg)
    # a value per channel, and the other modes
    c = before.shape[2]
    out = TRANSFORMS.build(dict(
        type='PadModalities', size_divisor=16,
        pad_val=dict(img=list(range(1, c + 1)), seg=255)))(
            _stacked(data, modalities))
    assert out['img'].shape[:2] == (48, 48)
    np.testing.assert_array_equal(out['img'][-1, -1], np.arange(1, c + 1))
    out = TRANSFORMS.build(dict(type='PadModalities', size=(48, 44),
                                padding_mode='edge'))(
                                    _stacked(data, modalities))
    np.testing.assert_array_equal(out['img'][-1, -1], before[-1, -1])


# ---------------------------------------------------------- bad data


def _load_error(root: Path, modalities, pipeline=None, **kwargs) -> str:
    dataset = build_dataset(root, modalities, pipeline, check_files=False,
                            **kwargs)
    with pytest.raises(DataFileError) as err:
        dataset[0]
    msg = str(err.value)
    assert '\n' not in msg
    return msg


def test_bad_maps_are_one_error_naming_the_files(tmp_path):
    root = write_nyud(tmp_path / 'nyud')
    hha = root / 'hha' / 'img_5001.png'
    hha.unlink()
    assert _load_error(root, ('color', 'hha')) == (
        f'HHA file {hha} does not exist; prepare the data with '
        'tools/prepare_nyud.py, or compute HHA from the depth with '
        'LoadHHAFromFile(from_depth=True)')
    # a depth map of another size than its image
    depth = root / 'depth' / 'img_5001.png'
    Image.fromarray(np.full((36, 45), 1200, np.uint16)).save(depth)
    assert _load_error(root, ('color', 'depth')) == (
        f'depth {depth} is 36x45 (HxW) but its image '
        f'{root}/images/img_5001.png is 37x45; every modality of an image '
        'must have its size')
    # holes (zero depth)
    holed = (1000 + np.arange(37 * 45).reshape(37, 45)).astype(np.uint16)
    holed[5, 7] = holed[5, 8] = holed[30, 2] = 0
    Image.fromarray(holed).save(depth)
    assert _load_error(root, ('color', 'depth')) == (
        f'depth {depth} has 3 pixels of zero depth (holes; the first at row '
        '5, column 7); fill the holes (the reference uses in-painted depth) '
        "or set LoadDepthFromFile(holes='nearest')")
    Image.fromarray(np.zeros((37, 45), np.uint16)).save(depth)
    assert _load_error(root, ('color', 'depth')).endswith(
        'is all zero (no depth); replace the file')
    # an 8-bit picture of the depth
    Image.fromarray(np.full((37, 45), 9, np.uint8)).save(depth)
    assert 'is uint8; it must be a 16-bit PNG of millimetres' in _load_error(
        root, ('color', 'depth'))
    # a colour picture as HHA of another size
    Image.fromarray(np.zeros((30, 20, 3), np.uint8)).save(hha)
    assert _load_error(root, ('color', 'hha')) == (
        f'HHA {hha} is 30x20 (HxW) but its image {root}/images/img_5001.png '
        'is 37x45; every modality of an image must have its size')
    hha.write_bytes(b'not a png')
    assert _load_error(root, ('color', 'hha')).startswith(
        f'cannot decode HHA {hha}: ')


def test_holes_can_be_filled_from_the_nearest_depth(tmp_path):
    from mmseg.registry import TRANSFORMS
    root = write_nyud(tmp_path / 'nyud')
    depth = root / 'depth' / 'img_5001.png'
    mm = (1000 + np.arange(37 * 45).reshape(37, 45)).astype(np.uint16)
    holed = mm.copy()
    holed[5, 7] = 0
    holed[0, :3] = 0
    Image.fromarray(holed).save(depth)
    load = TRANSFORMS.build(dict(type='LoadDepthFromFile', holes='nearest'))
    out = load(dict(depth_path=str(depth)))['depth']
    want = np.log(mm.astype(np.float32))
    mask = holed > 0
    np.testing.assert_array_equal(out[mask], want[mask])
    assert out[5, 7] in (want[4, 7], want[6, 7], want[5, 6], want[5, 8])
    np.testing.assert_array_equal(out[0, :3], want[1, :3])
    kept = TRANSFORMS.build(dict(type='LoadDepthFromFile', encoding='m',
                                 holes='keep'))(dict(depth_path=str(depth)))
    assert kept['depth'][5, 7] == 0 and kept['depth_encoding'] == 'm'
    np.testing.assert_allclose(kept['depth'][mask], mm[mask] / 1000,
                               rtol=1e-6)
    with pytest.raises(ValueError, match="holes='keep' with encoding='log'"):
        TRANSFORMS.build(dict(type='LoadDepthFromFile', holes='keep'))


# --------------------------------------------------- HHA from the depth


@pytest.fixture
def fake_hha(monkeypatch):
    """``fcn_plugin.datasets.hha`` standing in: records its calls and
    returns (metres * 100, 7, 9) per pixel."""
    calls = []
    module = types.ModuleType('fcn_plugin.datasets.hha')
    module.NYUD_CAMERA = np.array([[518.8, 0, 325.6], [0, 519.5, 253.7],
                                   [0, 0, 1]])
    module.NYUD_CROP_CAMERA = module.NYUD_CAMERA - [[0, 0, 40], [0, 0, 45],
                                                    [0, 0, 0]]

    def depth_to_hha(depth, camera=module.NYUD_CAMERA, holes='error'):
        calls.append(dict(depth=depth, camera=camera, holes=holes))
        if (depth <= 0).any() and holes == 'error':
            raise ValueError(f'{int((depth <= 0).sum())} pixels have no '
                             'depth')
        h, w = depth.shape
        return np.stack([np.round(depth * 100), np.full((h, w), 7),
                         np.full((h, w), 9)], -1).astype(np.uint8)

    module.depth_to_hha = depth_to_hha
    monkeypatch.setitem(sys.modules, 'fcn_plugin.datasets.hha', module)
    return module, calls


#: A camera for the tiny maps (the NYUDv2 ones are for 425x560, 480x640).
CAMERA = [[50., 0, 23], [0, 50., 19], [0, 0, 1]]


def test_hha_computed_from_the_depth(data, fake_hha):
    from mmseg.registry import TRANSFORMS
    module, calls = fake_hha
    r, c = _grid(SIZES['5001'])
    metres = (1000 + 7 * r + 11 * c) / 1000
    depth = str(data / 'depth' / 'img_5001.png')
    hha = TRANSFORMS.build(dict(type='LoadHHAFromFile', from_depth=True,
                                camera=CAMERA))
    # from the depth file (no depth loaded before)
    out = hha(dict(depth_path=depth))['hha']
    assert out.dtype == np.uint8 and out.shape == SIZES['5001'] + (3, )
    np.testing.assert_allclose(calls[-1]['depth'], metres, rtol=1e-12)
    np.testing.assert_array_equal(calls[-1]['camera'], CAMERA)
    assert calls[-1]['holes'] == 'error'
    np.testing.assert_array_equal(out[..., 0], np.round(metres * 100))
    # from the log-depth a LoadDepthFromFile loaded
    results = TRANSFORMS.build(dict(type='LoadDepthFromFile'))(
        dict(depth_path=depth))
    results = TRANSFORMS.build(dict(type='LoadHHAFromFile', from_depth=True,
                                    camera=CAMERA, holes='fill',
                                    to_float32=True))(results)
    np.testing.assert_allclose(calls[-1]['depth'], metres, rtol=1e-6)
    assert calls[-1]['holes'] == 'fill'
    assert results['hha'].dtype == np.float32
    # the NYUDv2 cameras by size: the reference's crop, the full frame
    hha = TRANSFORMS.build(dict(type='LoadHHAFromFile', from_depth=True))
    for hw, camera in (((425, 560), module.NYUD_CROP_CAMERA),
                       ((480, 640), module.NYUD_CAMERA)):
        hha(dict(depth=np.full(hw, 2.5, np.float32), depth_encoding='m'))
        assert calls[-1]['camera'] is camera
        np.testing.assert_array_equal(calls[-1]['depth'], 2.5)
    with pytest.raises(DataFileError) as err:
        hha(dict(depth_path=depth))
    assert str(err.value) == (
        f'depth {depth} is 37x45 (HxW), neither the NYUDv2 frame (480x640) '
        "nor the reference's crop (425x560), whose cameras are known; give "
        'its 3x3 intrinsics as LoadHHAFromFile(camera=...)')
    # through a dataset that checks the depth files only
    pipeline = _loaders(('color', ), stack=False) + [
        dict(type='LoadHHAFromFile', from_depth=True, camera=CAMERA),
        dict(type='StackModalities', modalities=('color', 'hha')), _pack()
    ]
    sample = build_dataset(data, ('color', 'depth'), pipeline)[0]
    assert sample['data_samples'].metainfo['modalities'] == ('color', 'hha')
    np.testing.assert_array_equal(sample['inputs'][3].numpy(),
                                  np.round(metres * 100))
    np.testing.assert_array_equal(sample['inputs'][5].numpy(), 9)


def test_hha_without_depth_is_one_error(data, tmp_path, fake_hha):
    pipeline = _loaders(('color', ), stack=False) + [
        dict(type='LoadHHAFromFile', from_depth=True, camera=CAMERA),
        dict(type='StackModalities', modalities=('color', 'hha')), _pack()
    ]
    msg = _load_error(data, ('color', ), pipeline,
                      data_prefix=dict(img_path='images',
                                       seg_map_path='labels'))
    assert msg == (
        f'sample {data}/images/img_5001.png has no HHA and no depth to '
        'compute it from: LoadHHAFromFile(from_depth=True) needs a '
        'LoadDepthFromFile before it or data_prefix.depth_path in the '
        'dataset config')
    # nor an HHA folder to read from
    msg = _load_error(data, ('color', ), _loaders(('color', 'hha')),
                      data_prefix=dict(img_path='images',
                                       seg_map_path='labels'))
    assert msg.startswith(f'sample {data}/images/img_5001.png has no '
                          'HHA map and no depth to compute it from; set '
                          'data_prefix.hha_path')
    assert 'RGBDInferencer' in msg and '--depth' in msg
    # holes in the depth the map is computed from name the file
    root = write_nyud(tmp_path / 'nyud')
    depth = root / 'depth' / 'img_5001.png'
    holed = np.full((37, 45), 1500, np.uint16)
    holed[3, 3] = 0
    Image.fromarray(holed).save(depth)
    msg = _load_error(root, ('color', 'depth'), pipeline)
    assert msg == (f'cannot compute HHA from depth {depth}: 1 pixels have '
                   'no depth')


def test_real_hha_module_if_present():
    hha = pytest.importorskip('fcn_plugin.datasets.hha')
    from mmseg.registry import TRANSFORMS
    r, c = _grid((37, 45))
    mm = (1500 + 3 * r + 2 * c).astype(np.float32)
    out = TRANSFORMS.build(dict(type='LoadHHAFromFile', from_depth=True,
                                camera=CAMERA))(
        dict(depth=mm, depth_encoding='mm'))['hha']
    assert out.shape == (37, 45, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(
        out, hha.depth_to_hha(mm.astype(np.float64) / 1000, np.array(CAMERA)))
    # its hole error names the file
    with pytest.raises(DataFileError, match=r'^cannot compute HHA from depth '
                       r'd\.png: the depth map has 1 of 1665 pixels'):
        TRANSFORMS.build(dict(type='LoadHHAFromFile', from_depth=True,
                              camera=CAMERA))(
            dict(depth=np.where(r + c, mm, 0), depth_encoding='mm',
                 depth_path='d.png'))


# --------------------------------------------------- metrics and config


@pytest.mark.parametrize('metric', ['IoUMetric', 'FCNIoUMetric'])
def test_metrics_score_the_40_classes(data, metric):
    from mmseg.registry import METRICS
    dataset = build_dataset(data, ('color', 'hha'))
    scorer = METRICS.build(dict(type=metric, iou_metrics=['mIoU']))
    scorer.dataset_meta = dataset.metainfo
    right = wrong = 0
    for k in range(2):
        sample = dataset[k]['data_samples']
        gt = sample.gt_sem_seg.data
        pred = gt.clone()
        pred[:, :, :10] = (gt[:, :, :10] + 1) % 40  # wrong left of col 10
        valid = gt != 255
        wrong += int(valid[:, :, :10].sum())
        right += int(valid.sum()) - int(valid[:, :, :10].sum())
        out = sample.to_dict()
        out['pred_sem_seg'] = dict(data=pred)
        scorer.process({}, [out])
    result = scorer.compute_metrics(scorer.results)
    assert result['aAcc'] == round(100 * right / (right + wrong), 2)
    assert 0 < result['mIoU'] < 100
    if metric == 'FCNIoUMetric':
        assert 0 < result['fwIoU'] < 100


def test_base_config_is_the_reference_recipe(data, tmp_path):
    """nyud_layers.py: trainval / test, batch 1 at native size, Pillow
    decoding, colour only; a net config swaps in its inputs."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(str(BASE))
    assert cfg.train_dataloader.batch_size == 1
    assert cfg.val_evaluator.type == 'FCNIoUMetric'
    for key, split in (('train_dataloader', 'trainval'),
                       ('val_dataloader', 'test'),
                       ('test_dataloader', 'test')):
        loader = cfg[key]
        assert loader.dataset.type == 'FCNNYUDDataset'
        assert loader.dataset.data_root == 'data/nyud'
        assert loader.dataset.ann_file == f'{split}.txt'
        assert loader.dataset.modalities == ('color', )
        pipeline = loader.dataset.pipeline
        assert [t.type for t in pipeline] == [
            'LoadImageFromFile', 'LoadAnnotations', 'CheckSegData',
            'StackModalities', 'PackSegInputs']
        assert pipeline[2].num_classes == 40
        assert {'modalities', 'modality_channels'} <= set(
            pipeline[-1].meta_keys)
    # a color-hha net's config, as the base's header shows
    net = tmp_path / 'net.py'
    net.write_text(
        f"_base_ = ['{BASE}']\n"
        "train_dataloader = dict(dataset=dict(\n"
        "    data_root='{root}', modalities=('color', 'hha'),\n"
        "    pipeline={{_base_.color_hha_pipeline}}))\n"
        .replace('{root}', str(data)))
    cfg = Config.fromfile(str(net))
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    dataset = Runner.build_dataloader(cfg.train_dataloader).dataset
    assert len(dataset) == 3
    sample = dataset[0]
    assert sample['inputs'].shape[0] == 6
    pre = build_preprocessor(('color', 'hha'))
    out = pre(pseudo_collate([sample]))['inputs'][0]
    want = reference_inputs(data, '5001', ('color', 'hha'))
    np.testing.assert_allclose(out.numpy(), want, atol=1e-5)
    for name, mods in (('hha_pipeline', ('hha', )),
                       ('color_depth_pipeline', ('color', 'depth'))):
        steps = Config.fromfile(str(BASE))[name]
        assert steps[-2] == dict(type='StackModalities', modalities=mods)


def test_class_order_declares_the_releases():
    from fcn_plugin.datasets.class_orders import (CLASS_ORDERS, class_rows,
                                                  dataset_meta)
    order = CLASS_ORDERS['nyud']
    assert order.caffe_classes == NYUD40_CLASSES
    assert order.targets == {'nyud': 'FCNNYUDDataset'}
    assert order.caffe_mean == MEAN_BGR
    # fcn.berkeleyvision.org nyud-fcn32s-color/caffemodel-url
    assert order.caffe_releases['fcn32s'] == (
        'nyud-fcn32s-color-heavy.caffemodel')
    # the converted rows stay in the reference's order
    assert class_rows('nyud') == (list(range(40)), [])
    assert dataset_meta('nyud')['classes'] == list(NYUD40_CLASSES)
