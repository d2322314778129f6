# PASCAL VOC as in the FCN paper (Long, Shelhamer, Darrell; fcn.berkeleyvision
# .org voc-fcn*/net.py): train on SBD train (8498 ids, SBD labels), validate
# and test on seg11valid (736 VOC2011 val ids not in SBD train, VOC labels).
# One image per step at native size, no augmentation, no resize: the Caffe
# BGR mean subtraction is done by the model's data preprocessor. Images are
# decoded by Pillow, as in the reference (voc_layers.py). Lay out the data
# with tools/prepare_voc.py.
#
# The plugin's one VOC dataset base: pascal_voc12_aug_fcn.py (MMSeg's
# trainaug recipe) and synthetic_voc.py override only what differs.
# CheckSegData (fcn_plugin) checks every loaded image and label and is a
# no-op when no label is loaded, so MMSeg's inference APIs use these
# pipelines unchanged.
_base_ = ['mmseg::_base_/datasets/pascal_voc12.py']
# The plugin's dataset and transforms are registered by the model configs'
# custom_imports (MMEngine refuses the same key in two base files).

dataset_type = 'FCNVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
num_classes = 21
train_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='PackSegInputs')
]
test_pipeline = train_pipeline
# Test-time augmentation (tools/test.py --tta): flips only, native size.
tta_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='LoadAnnotations')],
            [dict(type='CheckSegData', num_classes=num_classes)],
            [dict(type='PackSegInputs')],
        ])
]
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        ann_file='ImageSets/Segmentation/sbd_train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/seg11valid.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# The paper's metrics: pixel acc (aAcc), mean acc, mean IU, f.w. IU, and
# mean IU within a few px of object boundaries (the trimap evaluation).
val_evaluator = dict(
    type='FCNIoUMetric', iou_metrics=['mIoU'], band_widths=[2, 5, 10])
test_evaluator = val_evaluator
