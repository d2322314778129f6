# FCN-8s at-once on ADE20K (150 classes) with the modern recipe, trained in
# one stage from ImageNet VGG16: MMSeg's own ADE20K base (random resize
# 0.5-2.0, 512x512 crops, flips, photometric distortion; labels 1..150 with 0
# as "other", which reduce_zero_label turns into the ignore index), 4 GPUs x
# 4 images, a mean loss, SGD with MMSeg's poly decay for 80k iterations,
# whole-image inference on the val images resized to a 512-px short side.
# Not trained on ADE20K by this project yet.
_base_ = [
    'mmseg::_base_/datasets/ade20k.py',
    './_base_/models/fcn8s-atonce_vgg16_mean-loss.py',
    './_base_/default_runtime.py', './_base_/schedules/sgd-poly_80k.py'
]
num_classes = 150  # the head and the label check share it
crop_size = (512, 512)
model = dict(
    # pad every training batch to the crop size, as MMSeg's configs do
    data_preprocessor=dict(size=crop_size, size_divisor=None),
    backbone=dict(
        # the Caffe ImageNet VGG16 trunk (docs/weights.md)
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_caffe_fcn.pth',
            prefix='backbone.')),
    decode_head=dict(num_classes=num_classes))
# MMSeg's pipelines with the plugin's CheckSegData right after the labels
# are loaded (it refuses file values outside 0..150 and 255; 0 is "other").
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
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
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    # labels stay at their size: the prediction is resized back to it
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='PackSegInputs')
]
# (--tta uses MMSeg's tta_pipeline of the dataset base, unchecked.)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# The paper's metrics besides mIoU: aAcc, mAcc and the f.w. IU.
val_evaluator = dict(type='FCNIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
