"""A tiny VOC-layout dataset and Runner configs for CPU tests."""
import os.path as osp
from pathlib import Path

import numpy as np
from mmengine.config import Config
from PIL import Image

from .conftest import model_cfg


def write_tiny_voc(root: Path, num: int = 4, size=(24, 32), seed: int = 0):
    """VOC2012-layout folder with ``num`` JPEG images and palette labels."""
    rng = np.random.default_rng(seed)
    voc = Path(root) / 'VOC2012'
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        (voc / sub).mkdir(parents=True, exist_ok=True)
    ids = [f'2007_{i:06d}' for i in range(num)]
    h, w = size
    for i, name in enumerate(ids):
        label = np.zeros((h, w), np.uint8)
        cls = 1 + i % 20
        label[h // 4:3 * h // 4, w // 4:3 * w // 4] = cls
        img = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
        img[label == cls] = (200, 40 + 7 * cls, 90)
        Image.fromarray(img).save(voc / 'JPEGImages' / f'{name}.jpg')
        Image.fromarray(label, mode='L').save(
            voc / 'SegmentationClass' / f'{name}.png')
    for split in ('train', 'val'):
        (voc / 'ImageSets/Segmentation' / f'{split}.txt').write_text(
            '\n'.join(ids) + '\n')
    return voc


def tiny_runner_cfg(work_dir, data_root, net='fcn8s', max_iters=2,
                    ckpt_interval=1, **kwargs) -> Config:
    """A complete Runner config: tiny net, tiny data, a few CPU iters."""
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs'),
    ]

    def loader(split, train):
        return dict(
            batch_size=1,
            num_workers=0,
            sampler=dict(type='InfiniteSampler' if train else
                         'DefaultSampler', shuffle=train),
            dataset=dict(
                type='PascalVOCDataset',
                data_root=str(data_root),
                data_prefix=dict(
                    img_path='JPEGImages', seg_map_path='SegmentationClass'),
                ann_file=f'ImageSets/Segmentation/{split}.txt',
                pipeline=pipeline))

    cfg = dict(
        default_scope='mmseg',
        custom_imports=dict(imports=['fcn_plugin'],
                            allow_failed_imports=False),
        work_dir=str(work_dir),
        model=model_cfg(net),
        train_dataloader=loader('train', True),
        val_dataloader=loader('val', False),
        test_dataloader=loader('val', False),
        val_evaluator=dict(type='IoUMetric', iou_metrics=['mIoU']),
        test_evaluator=dict(type='IoUMetric', iou_metrics=['mIoU']),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters,
                       val_interval=max_iters + 1),
        val_cfg=dict(type='ValLoop'),
        test_cfg=dict(type='TestLoop'),
        optim_wrapper=dict(
            type='OptimWrapper',
            optimizer=dict(type='SGD', lr=1e-3, momentum=0.9,
                           weight_decay=5e-4)),
        default_hooks=dict(
            timer=dict(type='IterTimerHook'),
            logger=dict(type='LoggerHook', interval=1, log_metric_by_epoch=False),
            param_scheduler=dict(type='ParamSchedulerHook'),
            checkpoint=dict(type='CheckpointHook', by_epoch=False,
                            interval=ckpt_interval),
            sampler_seed=dict(type='DistSamplerSeedHook')),
        env_cfg=dict(cudnn_benchmark=False,
                     mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
                     dist_cfg=dict(backend='gloo')),
        log_level='WARNING',
        randomness=dict(seed=0, deterministic=False),
        visualizer=dict(type='SegLocalVisualizer',
                        vis_backends=[dict(type='LocalVisBackend')],
                        name=f'visualizer_{osp.basename(str(work_dir))}'),
        log_processor=dict(by_epoch=False),
    )
    cfg.update(kwargs)
    return Config(cfg)
