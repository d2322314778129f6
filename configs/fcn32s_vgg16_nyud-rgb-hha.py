# FCN-32s late fusion of colour and HHA (nyud-fcn32s-color-hha): two whole
# VGG16 FCN-32s streams, colour and HHA, whose score_fr outputs are summed
# 0.5 / 0.5 before one fixed bilinear upscore and the loss
# (LateFusionEncoderDecoder). Each stream starts from its trained
# single-stream net (stream_init: your fcn32s_vgg16_nyud-rgb.py and
# fcn32s_vgg16_nyud-hha.py results, or the released nyud-fcn32s-color-heavy /
# nyud-fcn32s-hha-heavy converted, see docs/nyud.md); fixed lr 1e-12,
# otherwise as fcn32s_vgg16_nyud-rgb.py. Paper (CVPR 2015, table 4): pixel
# acc 64.3, mean acc 44.9, mean IU 32.8, f.w. IU 48.0.
_base_ = ['./fcn32s_vgg16_nyud-rgb.py']
model = dict(
    type='LateFusionEncoderDecoder',
    streams=('color', 'hha'),
    stream_channels=(3, 3),
    fusion_weights=(0.5, 0.5),
    stream_init=dict(
        color='checkpoints/fcn32s_vgg16_nyud-rgb.pth',
        hha='checkpoints/fcn32s_vgg16_nyud-hha.pth'),
    data_preprocessor=dict(modalities=[
        ('color', dict(mean=[116.190, 97.203, 92.318])),
        ('hha', dict(mean=[132.431, 94.076, 118.477])),
    ]),
    backbone=dict(init_cfg=None))
optim_wrapper = dict(optimizer=dict(lr=1e-12))
# MMSeg's inference APIs read test_pipeline, the loaders their own copies.
train_pipeline = {{_base_.color_hha_pipeline}}
test_pipeline = train_pipeline
train_dataloader = dict(
    dataset=dict(modalities=('color', 'hha'), pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(modalities=('color', 'hha'), pipeline=test_pipeline))
test_dataloader = val_dataloader
