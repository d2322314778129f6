# PASCAL VOC the way MMSeg trains today: VOC train + SBD (trainaug, 10582
# ids, SegmentationClassAug labels) with random rescale, 500x500 crops, flips
# and photometric distortion, batches of 8 padded by the data preprocessor;
# evaluation on VOC2012 val (1449 ids) at native size. Images are decoded by
# OpenCV, as in MMSeg's configs. Lay out the data with tools/prepare_voc.py.
# Everything else is pascal_voc12_fcn.py.
_base_ = ['./pascal_voc12_fcn.py']

num_classes = 21
crop_size = (500, 500)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
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
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='PackSegInputs')
]
# Test-time augmentation (tools/test.py --tta): MMSeg's multi-scale flips.
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale_factor=r, keep_ratio=True)
                for r in img_ratios
            ],
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
    batch_size=8,
    num_workers=4,
    dataset=dict(
        data_prefix=dict(seg_map_path='SegmentationClassAug'),
        ann_file='ImageSets/Segmentation/trainaug.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=4,
    dataset=dict(
        ann_file='ImageSets/Segmentation/val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
