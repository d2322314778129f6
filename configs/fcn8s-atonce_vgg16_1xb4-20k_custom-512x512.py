# FCN-8s at-once on your own data: a folder of images and single-channel PNG
# labels (class index per pixel, 255 void) in MMSeg's layout
#   data/my_dataset/img_dir/{train,val}/NAME.jpg
#   data/my_dataset/ann_dir/{train,val}/NAME.png
# read by MMSeg's BaseSegDataset with your class names and colours. The
# modern recipe from ImageNet VGG16: random resize 0.5-2.0, 512x512 crops,
# flips, photometric distortion, 1 GPU x 4 images, a mean loss, SGD with
# MMSeg's poly decay for 20k iterations. README "Your own dataset" says what
# to change.
_base_ = [
    './_base_/models/fcn8s-atonce_vgg16_mean-loss.py',
    './_base_/default_runtime.py', './_base_/schedules/sgd-poly_20k.py'
]
classes = ('background', 'cat', 'dog')  # label value i is classes[i]
palette = [[0, 0, 0], [128, 0, 0], [0, 128, 0]]  # RGB, for the pictures
num_classes = len(classes)  # the head and the label check share it
crop_size = (512, 512)
data_root = 'data/my_dataset'
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
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    # labels stay at their size: the prediction is resized back to it
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='PackSegInputs')
]
dataset_type = 'BaseSegDataset'
metainfo = dict(classes=classes, palette=palette)
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        # True if label 0 means "unlabelled" and the classes are 1..N
        reduce_zero_label=False,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        reduce_zero_label=False,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# aAcc, mIoU, mAcc and the paper's f.w. IU.
val_evaluator = dict(type='FCNIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
