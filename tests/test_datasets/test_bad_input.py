"""Bad data: each case raises one error naming the file or setting."""
import re
import shutil

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from PIL import Image

from fcn_plugin.datasets import make_synthetic_voc, save_palette_png
from ..conftest import build_model
from .conftest import CAFFE_MEAN


@pytest.fixture
def voc(tmp_path):
    """A private synthetic VOC2012 folder to damage."""
    return make_synthetic_voc(tmp_path, 4, size=(15, 19), seed=5)


def _dataset(root, split='train', **kwargs):
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    return DATASETS.build(
        dict(
            type='FCNVOCDataset',
            data_root=str(root),
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass'),
            ann_file=f'ImageSets/Segmentation/{split}.txt',
            pipeline=[
                dict(type='LoadCheckedImageFromFile', **kwargs),
                dict(type='LoadCheckedAnnotations'),
                dict(type='PackSegInputs')
            ]))


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
    dataset = _dataset(voc, imdecode_backend=backend)
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
    dataset = _dataset(voc, imdecode_backend=backend)
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
    sample = _dataset(voc, imdecode_backend=backend)[0]
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
    sample = _dataset(voc, imdecode_backend='pillow')[0]
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
