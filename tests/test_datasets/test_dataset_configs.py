"""Every dataset config builds and feeds Caffe-normalised batches."""
import copy

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from PIL import Image

from fcn_tools.voc_palette import read_label_indices
from ..conftest import MODEL_CFGS
from .conftest import CAFFE_MEAN, DATASET_CFGS

#: The dataset bases there should be; a new one needs its checks here.
EXPECTED = [
    'nyud_fcn', 'pascal_context_59_fcn', 'pascal_context_fcn',
    'pascal_voc12_aug_fcn', 'pascal_voc12_fcn', 'siftflow_fcn',
    'synthetic_voc'
]
#: The VOC bases (the Context ones: test_context_bases_*).
NAMES = [p.stem for p in DATASET_CFGS if 'voc' in p.stem]
#: The stock loaders, then the plugin's check, in every pipeline.
LOADING = ['LoadImageFromFile', 'LoadAnnotations', 'CheckSegData']


def test_every_config_is_covered():
    assert [p.stem for p in DATASET_CFGS] == EXPECTED


def _load(name, synthetic_voc, monkeypatch):
    monkeypatch.setenv('FCN_SYNTHETIC_VOC', str(synthetic_voc))
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(next(p for p in DATASET_CFGS if p.stem == name)))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        assert loader.dataset.type == 'FCNVOCDataset'
        if name != 'synthetic_voc':
            assert loader.dataset.data_root == 'data/VOCdevkit/VOC2012'
            loader.dataset.data_root = str(synthetic_voc)
        else:
            assert loader.dataset.data_root == str(synthetic_voc)
        loader.num_workers = 0
        loader.persistent_workers = False
    return cfg


def _preprocessor():
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(MODEL_CFGS['fcn32s']))
    return MODELS.build(copy.deepcopy(cfg.model.data_preprocessor))


def _mean():
    return torch.tensor(CAFFE_MEAN).view(3, 1, 1)


def _ids(root, split):
    return (root / 'ImageSets/Segmentation' /
            f'{split}.txt').read_text().split()


@pytest.mark.parametrize('name', NAMES)
def test_pipelines_load_with_stock_transforms(name, synthetic_voc,
                                              monkeypatch):
    cfg = _load(name, synthetic_voc, monkeypatch)
    pillow = name == 'pascal_voc12_fcn'  # the paper decodes with Pillow
    pipelines = [
        cfg.train_dataloader.dataset.pipeline, cfg.test_pipeline,
        cfg.val_dataloader.dataset.pipeline,
        cfg.test_dataloader.dataset.pipeline
    ]
    for pipeline in pipelines:
        assert [t.type for t in pipeline[:3]] == LOADING
        assert pipeline[-1].type == 'PackSegInputs'
        assert pipeline[2].num_classes == 21
        backend = pipeline[0].get('imdecode_backend', 'cv2')
        assert backend == ('pillow' if pillow else 'cv2')
    tta = cfg.tta_pipeline
    assert tta[0].type == 'LoadImageFromFile'
    assert tta[0].get('imdecode_backend', 'cv2') == pipelines[1][0].get(
        'imdecode_backend', 'cv2')
    steps = [[t.type for t in group] for group in tta[1].transforms]
    assert ['LoadAnnotations'] in steps and ['CheckSegData'] in steps
    check = steps.index(['CheckSegData'])
    assert check == steps.index(['LoadAnnotations']) + 1
    if name == 'pascal_voc12_fcn':  # the paper's flips at native size
        assert steps[0] == ['RandomFlip', 'RandomFlip']
    else:  # MMSeg's multi-scale flips
        assert set(steps[0]) == {'Resize'} and len(steps[0]) == 6


@pytest.mark.parametrize('name', NAMES)
def test_config_batches_are_caffe_normalised(name, synthetic_voc, monkeypatch):
    cfg = _load(name, synthetic_voc, monkeypatch)
    assert cfg.val_evaluator.type == 'FCNIoUMetric'
    assert cfg.val_evaluator.iou_metrics == ['mIoU']
    assert cfg.val_evaluator.band_widths
    loader = Runner.build_dataloader(cfg.train_dataloader)
    batch = next(iter(loader))
    size = cfg.train_dataloader.batch_size
    assert len(batch['inputs']) == size
    data = _preprocessor()(copy.deepcopy(batch), training=True)
    inputs = data['inputs']
    max_h = max(x.shape[1] for x in batch['inputs'])
    max_w = max(x.shape[2] for x in batch['inputs'])
    assert inputs.shape == (size, 3, max_h, max_w)
    assert inputs.dtype == torch.float32
    for raw, out, sample in zip(batch['inputs'], inputs, data['data_samples']):
        h, w = raw.shape[1:]
        # BGR mean subtracted, no std, no channel swap; pad with 0 = mean
        torch.testing.assert_close(out[:, :h, :w], raw.float() - _mean())
        assert not out[:, h:, :].any() and not out[:, :, w:].any()
        gt = sample.gt_sem_seg.data
        assert gt.shape == (1, max_h, max_w)
        assert (gt[:, h:, :] == 255).all() and (gt[:, :, w:] == 255).all()
        values = set(gt.unique().tolist())
        assert values <= set(range(21)) | {255}
    if name == 'pascal_voc12_aug_fcn':
        assert max_h <= 500 and max_w <= 500
    else:
        assert all(x.shape[1:] == (37, 53) for x in batch['inputs'])


@pytest.mark.parametrize('name', NAMES)
def test_val_set_is_native_size_and_exact(name, synthetic_voc, monkeypatch):
    cfg = _load(name, synthetic_voc, monkeypatch)
    dataset = Runner.build_dataloader(cfg.val_dataloader).dataset
    split = cfg.val_dataloader.dataset.ann_file.split('/')[-1][:-4]
    ids = _ids(synthetic_voc, split)
    assert len(dataset) == len(ids)
    sample = dataset[0]
    name0 = ids[0]
    rgb = np.array(Image.open(synthetic_voc / 'JPEGImages' / f'{name0}.jpg'))
    bgr = torch.from_numpy(rgb[..., ::-1].copy()).permute(2, 0, 1)
    # cv2 and Pillow may round a JPEG differently by a step or two
    diff = (sample['inputs'].int() - bgr.int()).abs()
    assert diff.max() <= 3 and diff.float().mean() < 0.5
    label = read_label_indices(synthetic_voc / 'SegmentationClass' /
                               f'{name0}.png')
    np.testing.assert_array_equal(
        sample['data_samples'].gt_sem_seg.data[0].numpy(), label)
    assert sample['data_samples'].ori_shape == label.shape


def test_paper_config_is_the_fcn_recipe(synthetic_voc, monkeypatch):
    cfg = _load('pascal_voc12_fcn', synthetic_voc, monkeypatch)
    train = cfg.train_dataloader
    assert train.batch_size == 1
    assert train.sampler.type == 'InfiniteSampler'
    assert train.dataset.ann_file.endswith('/sbd_train.txt')
    assert train.dataset.data_prefix.seg_map_path == 'SegmentationClassAug'
    assert cfg.val_dataloader.dataset.ann_file.endswith('/seg11valid.txt')
    assert cfg.val_dataloader.batch_size == 1
    for pipeline in (train.dataset.pipeline,
                     cfg.val_dataloader.dataset.pipeline):
        types = [t.type for t in pipeline]
        assert types == LOADING + ['PackSegInputs']
        assert pipeline[0].imdecode_backend == 'pillow'
    # pixels are exactly what Pillow decodes, like the Caffe data layer
    sample = Runner.build_dataloader(train).dataset[0]
    name0 = _ids(synthetic_voc, 'sbd_train')[0]
    rgb = np.array(Image.open(synthetic_voc / 'JPEGImages' / f'{name0}.jpg'))
    np.testing.assert_array_equal(sample['inputs'].permute(1, 2, 0).numpy(),
                                  rgb[..., ::-1])


@pytest.mark.parametrize('name, dataset_type, num_classes, excluded', [
    ('pascal_context_59_fcn', 'FCNPascalContextDataset59', 59, None),
    ('pascal_context_fcn', 'FCNPascalContextDataset', 60, ['background']),
])
def test_context_bases_are_the_reference_recipe(name, dataset_type,
                                                num_classes, excluded,
                                                tmp_path):
    """pascalcontext_layers.py: VOC2010 Main train/val, batch 1 at native
    size, Pillow decoding, no augmentation; scored on the 59 classes."""
    from .test_any_dataset import SIZE, write_pascal_context
    root = write_pascal_context(tmp_path / 'VOC2010')
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(next(p for p in DATASET_CFGS
                                   if p.stem == name)))
    assert cfg.train_dataloader.batch_size == 1
    assert cfg.val_evaluator.band_widths == [2, 5, 10]
    assert cfg.val_evaluator.get('exclude_classes') == excluded
    for key, split in (('train_dataloader', 'train'),
                       ('val_dataloader', 'val'), ('test_dataloader', 'val')):
        loader = cfg[key]
        assert loader.dataset.type == dataset_type
        assert loader.dataset.data_root == 'data/VOCdevkit/VOC2010'
        assert loader.dataset.ann_file == (
            f'ImageSets/SegmentationContext/{split}.txt')
        pipeline = loader.dataset.pipeline
        assert [t.type for t in pipeline] == LOADING + ['PackSegInputs']
        assert pipeline[0].imdecode_backend == 'pillow'
        assert pipeline[2].num_classes == num_classes
        loader.dataset.data_root = str(root)
        loader.num_workers = 0
        loader.persistent_workers = False
    dataset = Runner.build_dataloader(cfg.val_dataloader).dataset
    sample = dataset[0]
    assert tuple(sample['inputs'].shape[1:]) == SIZE  # native size
    stored = np.array(Image.open(dataset.get_data_info(0)['seg_map_path']))
    gt = sample['data_samples'].gt_sem_seg.data[0].numpy()
    # 60 classes: the file's values; 59: background void, the rest - 1
    want = stored if num_classes == 60 else np.where(
        stored == 0, 255, stored.astype(np.int64) - 1)
    np.testing.assert_array_equal(gt, want)
    assert len(dataset.metainfo['classes']) == num_classes


def test_siftflow_base_is_the_reference_recipe(tmp_path):
    """siftflow_layers.py: trainval / test, batch 1 at native size, Pillow
    decoding, both maps loaded; scores without the absent classes."""
    from .test_any_dataset import SIZE, write_siftflow
    root = write_siftflow(tmp_path / 'siftflow')
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(next(p for p in DATASET_CFGS
                                   if p.stem == 'siftflow_fcn')))
    assert cfg.train_dataloader.batch_size == 1
    assert cfg.val_evaluator.type == 'FCNTwoMapMetric'
    assert cfg.val_evaluator.exclude_classes == ['cow', 'desert', 'moon']
    for key, split in (('train_dataloader', 'trainval'),
                       ('val_dataloader', 'test'),
                       ('test_dataloader', 'test')):
        loader = cfg[key]
        assert loader.dataset.type == 'FCNSiftFlowDataset'
        assert loader.dataset.data_root == 'data/siftflow'
        assert loader.dataset.ann_file == f'{split}.txt'
        pipeline = loader.dataset.pipeline
        assert [t.type for t in pipeline] == LOADING + [
            'LoadGeoAnnotations', 'PackTwoMapInputs']
        assert pipeline[0].imdecode_backend == 'pillow'
        assert pipeline[2].num_classes == 33
        loader.dataset.data_root = str(root)
        loader.num_workers = 0
        loader.persistent_workers = False
    dataset = Runner.build_dataloader(cfg.train_dataloader).dataset
    assert len(dataset) == 4
    sample = dataset[0]
    assert tuple(sample['inputs'].shape[1:]) == SIZE  # native size
    assert sample['data_samples'].gt_geo_seg.data.shape == (1, ) + SIZE
