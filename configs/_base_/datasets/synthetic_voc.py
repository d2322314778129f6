# The synthetic VOC set of tools/make_synthetic_voc.py, for the demo, tests
# and CI (no download). Set FCN_SYNTHETIC_VOC to its VOC2012 folder, or write
# it to the default place:
#   python tools/make_synthetic_voc.py --out data/synthetic_voc --num 40
# Native size, random flips, batches of 2 (padded by the data preprocessor),
# no worker processes: small and quick on a CPU. Testing and everything else
# as pascal_voc12_aug_fcn.py (VOC2012 val split, OpenCV decoding).
_base_ = ['./pascal_voc12_aug_fcn.py']

data_root = '{{$FCN_SYNTHETIC_VOC:data/synthetic_voc/VOC2012}}'
num_classes = 21
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegData', num_classes=num_classes),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        data_prefix=dict(seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(band_widths=[1, 3])
test_evaluator = val_evaluator
