# PASCAL VOC the way MMSeg trains today: VOC train + SBD (trainaug, 10582
# ids, SegmentationClassAug labels) with random rescale, 500x500 crops, flips
# and photometric distortion, batches of 8 padded by the data preprocessor;
# evaluation on VOC2012 val (1449 ids) at native size. Lay out the data with
# tools/prepare_voc.py.
_base_ = ['mmseg::_base_/datasets/pascal_voc12.py']
# The plugin's dataset and transforms are registered by the model configs'
# custom_imports (MMEngine refuses the same key in two base files).

dataset_type = 'FCNVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
num_classes = 21
crop_size = (500, 500)
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadCheckedAnnotations', num_classes=num_classes),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadCheckedAnnotations', num_classes=num_classes),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        ann_file='ImageSets/Segmentation/trainaug.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# The paper's metrics: pixel acc (aAcc), mean acc, mean IU, f.w. IU, and
# mean IU within a few px of object boundaries (the trimap evaluation).
val_evaluator = dict(
    type='FCNIoUMetric', iou_metrics=['mIoU'], band_widths=[2, 5, 10])
test_evaluator = val_evaluator
