# PASCAL-Context's 59-class task as the FCN reference trains on it
# (fcn.berkeleyvision.org pascalcontext_layers.py): VOC2010 images, the
# reference's splits (VOC2010 ImageSets/Main train 4,998 / val 5,105), one
# image per step at native size, no augmentation, no resize; Pillow decoding;
# the BGR mean is subtracted by the model's data preprocessor. Labels in
# MMSeg's layout and class order (SegmentationClassContext/*.png, background
# 0), laid out by tools/prepare_pascal_context.py; the dataset's
# reduce_zero_label turns the background into the ignore index and the 59
# classes into 0..58.
# The 60-output nets of the reference (background trained like a class):
# pascal_context_fcn.py.
_base_ = ['mmseg::_base_/datasets/pascal_context_59.py']

dataset_type = 'FCNPascalContextDataset59'
data_root = 'data/VOCdevkit/VOC2010'
num_classes = 59
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
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
# The paper's four metrics (pixel acc, mean acc, mean IU, f.w. IU) on the 59
# classes, and the mean IU within a few px of the label boundaries.
val_evaluator = dict(
    type='FCNIoUMetric', iou_metrics=['mIoU'], band_widths=[2, 5, 10])
test_evaluator = val_evaluator
