# NYUDv2 as the FCN reference trains on it (fcn.berkeleyvision.org
# nyud_layers.py, nyud-fcn32s-*): the 40 classes of Gupta et al. (CVPR 2013),
# trained on trainval (795 ids), tested on test (654), one image per step at
# native size, no augmentation; the means are subtracted by the model's data
# preprocessor. Laid out by tools/prepare_nyud.py: images/img_<id>.png
# (colour), depth/img_<id>.png (uint16 millimetres), hha/img_<id>.png (HHA),
# labels/img_<id>.png (0..39, 255 void); the split files list bare ids.
#
# The pipelines below load the colour image (the nyud-fcn32s-color net).
# StackModalities puts the inputs a net takes into one float32 image, in
# channel order, before any geometric transform: colour BGR (as loaded),
# log-depth (LoadDepthFromFile: log of millimetres), HHA in the file's
# channel order (LoadHHAFromFile; nyud_layers.py does not reverse it). The
# other nets' pipelines are defined here too; MMEngine replaces a list whole,
# so a net config swaps the pipeline and the files the dataset checks:
#
#   _base_ = ['../_base_/datasets/nyud_fcn.py', ...]
#   train_dataloader = dict(dataset=dict(
#       modalities=('color', 'hha'), pipeline={{_base_.color_hha_pipeline}}))
#   val_dataloader = dict(dataset=dict(
#       modalities=('color', 'hha'), pipeline={{_base_.color_hha_pipeline}}))
#   test_dataloader = val_dataloader
#
# (hha_pipeline with modalities=('hha', ), color_depth_pipeline with
# ('color', 'depth')), and takes the matching means in the same order:
#
#   data_preprocessor = dict(
#       type='RGBDDataPreProcessor',
#       modalities=[('color', dict(mean=[116.190, 97.203, 92.318])),
#                   ('hha', dict(mean=[132.431, 94.076, 118.477]))],
#       pad_val=0, seg_pad_val=255, size_divisor=1)
#
# (depth: dict(mean=[7.844])). To compute HHA from the depth instead of
# reading hha/, use LoadHHAFromFile(from_depth=True) and modalities
# ('color', 'depth') in the dataset (the files it checks).
dataset_type = 'FCNNYUDDataset'
data_root = 'data/nyud'
num_classes = 40
# PackSegInputs' keys plus what StackModalities records, which
# RGBDDataPreProcessor checks against its modalities.
meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
             'pad_shape', 'scale_factor', 'flip', 'flip_direction',
             'reduce_zero_label', 'modalities', 'modality_channels')
color_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='StackModalities', modalities=('color', )),
    dict(type='PackSegInputs', meta_keys=meta_keys)
]
hha_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='LoadHHAFromFile', imdecode_backend='pillow'),
    dict(type='StackModalities', modalities=('hha', )),
    dict(type='PackSegInputs', meta_keys=meta_keys)
]
color_depth_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='LoadDepthFromFile', encoding='log', imdecode_backend='pillow'),
    dict(type='StackModalities', modalities=('color', 'depth')),
    dict(type='PackSegInputs', meta_keys=meta_keys)
]
color_hha_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='LoadHHAFromFile', imdecode_backend='pillow'),
    dict(type='StackModalities', modalities=('color', 'hha')),
    dict(type='PackSegInputs', meta_keys=meta_keys)
]
train_pipeline = color_pipeline
test_pipeline = color_pipeline
data_prefix = dict(
    img_path='images', seg_map_path='labels', depth_path='depth',
    hha_path='hha')
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ann_file='trainval.txt',
        modalities=('color', ),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ann_file='test.txt',
        modalities=('color', ),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# The paper's table 4: pixel acc, mean acc, mean IU and f.w. IU over the 40
# classes, and the boundary bands.
val_evaluator = dict(
    type='FCNIoUMetric', iou_metrics=['mIoU'], band_widths=[2, 5, 10])
test_evaluator = val_evaluator
