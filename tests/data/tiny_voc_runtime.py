# Runtime for CPU tests: the repository's VOC dataset config (FCNVOCDataset,
# the paper's checked pipelines, FCNIoUMetric) on a tiny VOC2012-layout
# folder (the tests point data_root at a synthetic one with --cfg-options or
# tests/runner_utils.py), VOC labels, train/val lists, no worker processes,
# trimap bands of 1 and 3 px; a few iterations and MMSeg's visualizer.
_base_ = ['../../configs/_base_/datasets/pascal_voc12_fcn.py']
data_root = 'data/tiny_voc/VOC2012'
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        data_prefix=dict(seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/train.txt'))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root, ann_file='ImageSets/Segmentation/val.txt'))
test_dataloader = val_dataloader
val_evaluator = dict(band_widths=[1, 3])
test_evaluator = val_evaluator

train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-6, momentum=0.9, weight_decay=5e-4))
param_scheduler = []

default_scope = 'mmseg'
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='gloo'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
