# FCN-8s at-once on Cityscapes (19 classes, gtFine labelTrainIds with 255
# void) with the modern recipe, trained in one stage from ImageNet VGG16:
# MMSeg's own Cityscapes base (random resize 0.5-2.0 of 2048x1024, 512x1024
# crops, flips, photometric distortion), 4 GPUs x 2 images, a mean loss, SGD
# with MMSeg's poly decay for 80k iterations, and sliding-window inference
# with the training crop over the full 1024x2048 val images (3 x 3 windows).
# Not trained on Cityscapes by this project yet.
_base_ = [
    'mmseg::_base_/datasets/cityscapes.py',
    './_base_/models/fcn8s-atonce_vgg16_mean-loss.py',
    './_base_/default_runtime.py', './_base_/schedules/sgd-poly_80k.py'
]
num_classes = 19  # the head and the label check share it
crop_size = (512, 1024)
model = dict(
    # pad every training batch to the crop size, as MMSeg's configs do
    data_preprocessor=dict(size=crop_size, size_divisor=None),
    backbone=dict(
        # the Caffe ImageNet VGG16 trunk (docs/weights.md)
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_caffe_fcn.pth',
            prefix='backbone.')),
    decode_head=dict(num_classes=num_classes),
    # windows of the training crop, overlapping by a third
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 682)))
# MMSeg's pipelines with the plugin's CheckSegData right after the labels
# are loaded (it refuses values outside 0..18 and 255).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(
        type='RandomResize',
        scale=(2048, 1024),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    # labels stay at their size: the prediction is resized back to it
    dict(type='LoadAnnotations'),
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
