# SIFT Flow as the FCN reference trains on it (fcn.berkeleyvision.org
# siftflow_layers.py): the 256x256 LabelMe outdoor images with two label maps,
# 33 semantic classes and 3 geometric ones (sky, horizontal, vertical), the
# reference's splits (trainval 2,486 / test 200), one image per step at
# native size, no augmentation, Pillow decoding; the mean is subtracted by
# the model's data preprocessor. Laid out by tools/prepare_siftflow.py:
# images/<id>.jpg, semantic/<id>.png (0..32, 255 void), geometric/<id>.png
# (0..2, 255 void). LoadGeoAnnotations loads the second map (kept aligned by
# any geometric transform), PackTwoMapInputs packs it as gt_geo_seg.
dataset_type = 'FCNSiftFlowDataset'
data_root = 'data/siftflow'
num_classes = 33
train_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='LoadGeoAnnotations', num_classes=3),
    dict(type='PackTwoMapInputs')
]
test_pipeline = train_pipeline
data_prefix = dict(
    img_path='images', seg_map_path='semantic', geo_map_path='geometric')
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
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# The paper's table 5: pixel acc, mean acc, mean IU and f.w. IU of the
# semantic map without the three classes no test image has (the log names
# them), the geometric pixel accuracy (geoAcc), and the boundary bands.
val_evaluator = dict(
    type='FCNTwoMapMetric',
    iou_metrics=['mIoU'],
    exclude_classes=['cow', 'desert', 'moon'],
    band_widths=[2, 5, 10])
test_evaluator = val_evaluator
