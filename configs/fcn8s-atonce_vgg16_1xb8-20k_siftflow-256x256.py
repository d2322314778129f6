# The two-headed FCN-8s at-once on SIFT Flow with the modern recipe, in one
# stage from ImageNet VGG16: the semantic and geometric heads of the
# reference on one trunk, each with MMSeg's mean cross-entropy; random resize
# 0.5-2.0, 256x256 crops, flips and photometric distortion (both label maps
# follow every geometric step), 1 GPU x 8 images, SGD with MMSeg's poly
# decay for 20k iterations, whole-image test at native size.
# Not trained on SIFT Flow by this project yet.
_base_ = [
    './_base_/models/fcn8s-atonce_vgg16_mean-loss.py',
    './_base_/datasets/siftflow_fcn.py', './_base_/default_runtime.py',
    './_base_/schedules/sgd-poly_20k.py'
]
num_classes = 33  # the head and the label check share it
crop_size = (256, 256)
model = dict(
    type='TwoHeadEncoderDecoder',
    data_preprocessor=dict(
        type='TwoMapDataPreProcessor',
        mean=[114.578, 115.294, 108.353],
        size=crop_size,
        size_divisor=None),
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_caffe_fcn.pth',
            prefix='backbone.')),
    decode_head=dict(
        num_classes=num_classes, loss_decode=dict(loss_name='loss_sem')),
    geo_head=dict(num_classes=3, loss_decode=dict(loss_name='loss_geo')))
visualizer = dict(type='TwoMapSegVisualizer')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='LoadGeoAnnotations', num_classes=3),
    dict(
        type='RandomResize',
        scale=(512, 256),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackTwoMapInputs')
]
train_dataloader = dict(
    batch_size=8, dataset=dict(pipeline=train_pipeline))
