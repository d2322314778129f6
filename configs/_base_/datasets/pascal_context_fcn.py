# PASCAL-Context with the 60 outputs the FCN reference trains: the 59 classes
# plus the background, trained like a class (pascalcontext_layers.py maps
# every other label to 0). Data as pascal_context_59_fcn.py but with all 60
# classes of MMSeg's PascalContextDataset (background 0) and no
# reduce_zero_label. The scores are the 59-class task's: the background's
# ground-truth pixels are not scored and a background prediction on a class
# pixel is an error (exclude_classes=[] gives the reference score.py's
# 60-class means).
_base_ = ['./pascal_context_59_fcn.py']

dataset_type = 'FCNPascalContextDataset'
num_classes = 60
train_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='PackSegInputs')
]
test_pipeline = train_pipeline
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
    dataset=dict(type=dataset_type, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='FCNIoUMetric',
    iou_metrics=['mIoU'],
    band_widths=[2, 5, 10],
    exclude_classes=['background'])
test_evaluator = val_evaluator
