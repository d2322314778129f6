"""Bad data: each case raises one error naming the file or setting.

The samples go through the dataset configs' own test pipelines (MMSeg's
``LoadImageFromFile`` and ``LoadAnnotations``, then ``CheckSegData``):
``pascal_voc12_fcn.py`` decodes with Pillow, ``pascal_voc12_aug_fcn.py``
with OpenCV.
"""
import re
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from PIL import Image

from fcn_tools.synthetic import make_synthetic_voc
from fcn_tools.voc_palette import save_palette_png
from ..conftest import CONFIGS, build_model
from .conftest import CAFFE_MEAN

#: The dataset config whose pipelines decode images with each backend.
DECODER_CFGS = {'pillow': 'pascal_voc12_fcn', 'cv2': 'pascal_voc12_aug_fcn'}


@pytest.fixture
def voc(tmp_path):
    """A private synthetic VOC2012 folder to damage."""
    return make_synthetic_voc(tmp_path, 4, size=(15, 19), seed=5)


def _config(backend: str) -> Config:
    init_default_scope('mmseg')
    path = CONFIGS / '_base_/datasets' / f'{DECODER_CFGS[backend]}.py'
    cfg = Config.fromfile(str(path))
    assert cfg.test_pipeline[0].get('imdecode_backend', 'cv2') == backend
    return cfg


def _dataset(root, split='train', backend='cv2', **kwargs):
    """The config's test set, pointed at ``root``'s ``split``."""
    from mmseg.registry import DATASETS
    dataset = _config(backend).test_dataloader.dataset
    dataset.update(
        data_root=str(root),
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file=f'ImageSets/Segmentation/{split}.txt',
        **kwargs)
    return DATASETS.build(dataset)


def _first(voc, split='train'):
    return (voc / 'ImageSets/Segmentation' /
            f'{split}.txt').read_text().split()[0]


@pytest.mark.parametrize('damage, error, pattern', [
    (lambda v: shutil.rmtree(v), FileNotFoundError,
     'data_root {root} does not exist'),
    (lambda v: shutil.rmtree(v / 'SegmentationClass'), FileNotFoundError,
     'label folder {root}/SegmentationClass does not exist'),
    (lambda v: (v / 'ImageSets/Segmentation/train.txt').unlink(),
     FileNotFoundError, 'split file {root}/ImageSets/Segmentation/train.txt '
     'does not exist'),
    (lambda v: (v / 'ImageSets/Segmentation/train.txt').write_text('\n\n'),
     ValueError, 'split file {root}/ImageSets/Segmentation/train.txt is '
     'empty'),
    (lambda v: (v / 'JPEGImages/2008_000001.jpg').unlink(), FileNotFoundError,
     '1 of 3 ids in split file .*train.txt have no '
     'image: {root}/JPEGImages/2008_000001.jpg'),
    (lambda v: [(v / f'SegmentationClass/2008_00000{i}.png').unlink()
                for i in range(3)], FileNotFoundError,
     '3 of 3 ids in split file .*train.txt have no label: '
     '{root}/SegmentationClass/2008_000000.png'),
])
def test_dataset_checks_its_files(voc, damage, error, pattern):
    damage(voc)
    with pytest.raises(error, match=pattern.format(root=re.escape(str(voc)))):
        _dataset(voc)


def test_dataset_check_can_be_turned_off(voc):
    from mmseg.registry import DATASETS
    (voc / 'JPEGImages/2008_000001.jpg').unlink()
    init_default_scope('mmseg')
    dataset = DATASETS.build(
        dict(
            type='FCNVOCDataset',
            data_root=str(voc),
            check_files=False,
            ann_file='ImageSets/Segmentation/train.txt',
            pipeline=[],
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass')))
    assert len(dataset) == 3


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_truncated_jpeg_is_named(voc, backend):
    dataset = _dataset(voc, backend=backend)
    path = voc / 'JPEGImages' / f'{_first(voc)}.jpg'
    data = path.read_bytes()
    path.write_bytes(data[:len(data) * 2 // 3])
    with pytest.raises(
            ValueError,
            match=f'image {re.escape(str(path))} is '
            'a truncated or corrupt JPEG'):
        dataset[0]


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_undecodable_image_is_named(voc, backend):
    dataset = _dataset(voc, backend=backend)
    path = voc / 'JPEGImages' / f'{_first(voc)}.jpg'
    path.write_bytes(b'\xff\xd8' + b'\x13' * 300 + b'\xff\xd9')
    with pytest.raises(
            ValueError, match=f'cannot decode image {re.escape(str(path))}'):
        dataset[0]


def test_image_deleted_after_start_is_named(voc):
    dataset = _dataset(voc)
    path = voc / 'JPEGImages' / f'{_first(voc)}.jpg'
    path.unlink()
    with pytest.raises(
            FileNotFoundError,
            match=f'image file {re.escape(str(path))} does not'):
        dataset[0]


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
@pytest.mark.parametrize('mode', ['L', 'RGBA'])
def test_gray_and_rgba_images_become_bgr(voc, backend, mode):
    name = _first(voc)
    path = voc / 'JPEGImages' / f'{name}.jpg'
    rgb = np.array(Image.open(path))
    if mode == 'L':
        gray = np.array(Image.fromarray(rgb).convert('L'))
        Image.fromarray(gray).save(path, format='PNG')  # lossless
        want = np.repeat(gray[..., None], 3, axis=2)
    else:
        alpha = np.full(rgb.shape[:2] + (1, ), 7, np.uint8)
        Image.fromarray(np.concatenate([rgb, alpha], 2)).save(
            path, format='PNG')
        want = rgb[..., ::-1]
    sample = _dataset(voc, backend=backend)[0]
    got = sample['inputs'].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize('bad', [[21], [21, 254, 100]])
def test_out_of_range_label_values_are_named(voc, bad):
    name = _first(voc)
    path = voc / 'SegmentationClass' / f'{name}.png'
    label = np.array(Image.open(path))
    label.flat[:len(bad)] = bad
    save_palette_png(label, path)
    shown = str(sorted(bad))
    with pytest.raises(
            ValueError,
            match=re.escape(
                f'label {path} has values {shown} outside 0..20 and the '
                'ignore index 255')):
        _dataset(voc)[0]


def test_label_size_mismatch_names_both_sizes(voc):
    name = _first(voc)
    path = voc / 'SegmentationClass' / f'{name}.png'
    save_palette_png(np.zeros((15, 18), np.uint8), path)
    with pytest.raises(
            ValueError,
            match=re.escape(f'label {path} is 15x18 (HxW) but its image '
                            f"{voc / 'JPEGImages' / name}.jpg is 15x19")):
        _dataset(voc)[0]


def test_colour_label_is_refused(voc):
    name = _first(voc)
    path = voc / 'SegmentationClass' / f'{name}.png'
    Image.open(path).convert('RGB').save(path)
    message = f'label {path} has shape (15, 19, 3); expected a single'
    with pytest.raises(ValueError, match=re.escape(message)):
        _dataset(voc)[0]


def test_corrupt_label_is_named(voc):
    path = voc / 'SegmentationClass' / f'{_first(voc)}.png'
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(
            ValueError, match=f'cannot decode label {re.escape(str(path))}'):
        _dataset(voc)[0]


def test_one_pixel_image_trains(tmp_path):
    voc = make_synthetic_voc(tmp_path, 2, size=(1, 1), seed=0)
    sample = _dataset(voc, backend='pillow')[0]
    assert sample['inputs'].shape == (3, 1, 1)
    assert sample['data_samples'].gt_sem_seg.data.shape == (1, 1, 1)
    model = build_model('fcn8s')
    data = model.data_preprocessor(
        dict(inputs=[sample['inputs']], data_samples=[sample['data_samples']]),
        training=True)
    torch.testing.assert_close(
        data['inputs'][0],
        sample['inputs'].float() - torch.tensor(CAFFE_MEAN).view(3, 1, 1))
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['decode.loss_ce'])


@pytest.mark.parametrize('size', [(1, 7), (5, 1)])
def test_one_row_and_column_labels_stay_2d(tmp_path, size):
    """MMSeg's LoadAnnotations squeezes them; CheckSegData restores them."""
    voc = make_synthetic_voc(tmp_path, 2, size=size, seed=1)
    name = _first(voc)
    sample = _dataset(voc)[0]
    want = np.array(Image.open(voc / 'SegmentationClass' / f'{name}.png'))
    gt = sample['data_samples'].gt_sem_seg.data
    assert gt.shape == (1, ) + size
    np.testing.assert_array_equal(gt[0].numpy(), want)


def test_squeezed_label_size_mismatch_is_named(tmp_path):
    voc = make_synthetic_voc(tmp_path, 2, size=(1, 7), seed=1)
    name = _first(voc)
    path = voc / 'SegmentationClass' / f'{name}.png'
    save_palette_png(np.zeros((1, 6), np.uint8), path)
    with pytest.raises(
            ValueError,
            match=re.escape(f'label {path} is 1x6 (HxW) but its image '
                            f"{voc / 'JPEGImages' / name}.jpg is 1x7")):
        _dataset(voc)[0]


def test_transposed_label_is_a_size_mismatch(voc):
    name = _first(voc)
    path = voc / 'SegmentationClass' / f'{name}.png'
    save_palette_png(np.zeros((19, 15), np.uint8), path)
    with pytest.raises(ValueError, match=re.escape(f'label {path} is 19x15')):
        _dataset(voc)[0]


def test_reduce_zero_label_values_are_checked_as_stored(voc):
    """With reduce_zero_label the file holds 0 (void) and 1..num_classes."""
    name = _first(voc)
    path = voc / 'SegmentationClass' / f'{name}.png'
    label = np.array(Image.open(path))
    label.flat[:2] = [21, 0]
    save_palette_png(label, path)
    sample = _dataset(voc, reduce_zero_label=True)[0]
    gt = sample['data_samples'].gt_sem_seg.data[0].numpy()
    assert gt.flat[0] == 20 and gt.flat[1] == 255
    with pytest.raises(ValueError, match='outside 0..20 and the ignore'):
        _dataset(voc)[0]  # without the reduction, 21 is out of range
    label.flat[2] = 22
    save_palette_png(label, path)
    with pytest.raises(
            ValueError,
            match=re.escape(f'label {path} has values [22] outside 0..21 '
                            'and the ignore index 255')):
        _dataset(voc, reduce_zero_label=True)[0]


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_check_is_a_no_op_without_a_label(voc, backend):
    """The inference path (no LoadAnnotations) runs on images alone."""
    name = _first(voc)
    label = voc / 'SegmentationClass' / f'{name}.png'
    Image.open(label).convert('RGB').save(label)  # would be refused
    cfg = _config(backend)
    steps = [t for t in cfg.test_pipeline if t.type != 'LoadAnnotations']
    assert [t.type for t in steps][1:] == ['CheckSegData', 'PackSegInputs']
    image = voc / 'JPEGImages' / f'{name}.jpg'
    out = Compose(steps)(dict(img_path=str(image), seg_map_path=str(label)))
    assert out['inputs'].shape == (3, 15, 19)
    assert 'gt_sem_seg' not in out['data_samples']
    with pytest.raises(ValueError, match='not a colour-coded image'):
        _dataset(voc, backend=backend)[0]
