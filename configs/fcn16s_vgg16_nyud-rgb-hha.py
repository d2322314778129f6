# FCN-16s late fusion of colour and HHA, the paper's best NYUDv2 net (no
# reference config or caffemodel was released): each stream an FCN-16s,
# score_fr and score_pool4 of the streams summed 0.5 / 0.5 before the shared
# fixed upscore2 / upscore16. Staged from the trained FCN-32s late fusion
# (load_from; FCNWeightsHook copies both streams and starts both new
# score_pool4 at zero); fixed lr 1e-14, the VOC staging's factor of 100 per
# stage below fcn32s_vgg16_nyud-rgb-hha.py. Paper (CVPR 2015, table 4): pixel
# acc 65.4, mean acc 46.1, mean IU 34.0, f.w. IU 49.5.
_base_ = [
    './_base_/models/fcn16s_vgg16.py', './_base_/datasets/nyud_fcn.py',
    './_base_/default_runtime.py', './_base_/schedules/fcn_paper_100k.py'
]
model = dict(
    type='LateFusionEncoderDecoder',
    streams=('color', 'hha'),
    stream_channels=(3, 3),
    fusion_weights=(0.5, 0.5),
    data_preprocessor=dict(
        _delete_=True,
        type='RGBDDataPreProcessor',
        modalities=[
            ('color', dict(mean=[116.190, 97.203, 92.318])),
            ('hha', dict(mean=[132.431, 94.076, 118.477])),
        ],
        pad_val=0,
        seg_pad_val=255,
        size_divisor=1),
    decode_head=dict(num_classes=40))
# Your FCN-32s late-fusion result, or the released
# nyud-fcn32s-color-hha-heavy converted.
load_from = 'checkpoints/fcn32s_vgg16_nyud-rgb-hha.pth'
optim_wrapper = dict(optimizer=dict(lr=1e-14))
train_cfg = dict(max_iters=100000, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
# MMSeg's inference APIs read test_pipeline, the loaders their own copies.
train_pipeline = {{_base_.color_hha_pipeline}}
test_pipeline = train_pipeline
train_dataloader = dict(
    dataset=dict(modalities=('color', 'hha'), pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(modalities=('color', 'hha'), pipeline=test_pipeline))
test_dataloader = val_dataloader
