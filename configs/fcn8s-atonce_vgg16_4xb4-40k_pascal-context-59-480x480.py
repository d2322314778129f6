# FCN-8s at-once on PASCAL-Context's 59 classes with the modern recipe, in
# one stage from ImageNet VGG16: MMSeg's own PASCAL-Context-59 base (images
# resized to 520 px, random scale 0.5-2.0, 480x480 crops, flips, photometric
# distortion; background ignored through reduce_zero_label), 4 GPUs x 4
# images, a mean loss, SGD with MMSeg's poly decay for 40k iterations, and
# MMSeg's sliding-window inference (480x480 windows, stride 320). Lay the
# data out with tools/prepare_pascal_context.py (or MMSeg's converter).
# Not trained on PASCAL-Context by this project yet.
_base_ = [
    'mmseg::_base_/datasets/pascal_context_59.py',
    './_base_/models/fcn8s-atonce_vgg16_mean-loss.py',
    './_base_/default_runtime.py', './_base_/schedules/sgd-poly_40k.py'
]
num_classes = 59  # the head and the label check share it
crop_size = (480, 480)
model = dict(
    data_preprocessor=dict(size=crop_size, size_divisor=None),
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_caffe_fcn.pth',
            prefix='backbone.')),
    decode_head=dict(num_classes=num_classes),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(320, 320)))
# MMSeg's pipelines with the plugin's CheckSegData right after the labels
# are loaded (values 0..59 and 255; 0, the background, becomes 255).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(
        type='RandomResize',
        scale=(520, 520),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(520, 520), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='PackSegInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# The paper's metrics besides mIoU: aAcc, mAcc and the f.w. IU.
val_evaluator = dict(type='FCNIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
