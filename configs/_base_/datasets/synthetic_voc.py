# The synthetic VOC set of tools/make_synthetic_voc.py, for the demo, tests
# and CI (no download). Set FCN_SYNTHETIC_VOC to its VOC2012 folder, or write
# it to the default place:
#   python tools/make_synthetic_voc.py --out data/synthetic_voc --num 40
# Native size, random flips, batches of 2 (padded by the data preprocessor),
# no worker processes: small and quick on a CPU.
_base_ = ['mmseg::_base_/datasets/pascal_voc12.py']
# The plugin's dataset and transforms are registered by the model configs'
# custom_imports (MMEngine refuses the same key in two base files).

dataset_type = 'FCNVOCDataset'
data_root = '{{$FCN_SYNTHETIC_VOC:data/synthetic_voc/VOC2012}}'
num_classes = 21
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadCheckedAnnotations', num_classes=num_classes),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadCheckedAnnotations', num_classes=num_classes),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
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
    type='FCNIoUMetric', iou_metrics=['mIoU'], band_widths=[1, 3])
test_evaluator = val_evaluator
