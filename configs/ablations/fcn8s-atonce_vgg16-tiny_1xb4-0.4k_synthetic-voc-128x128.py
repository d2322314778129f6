# Ablations of the config switches (docs/architecture.md, "Config
# switches"), on the synthetic VOC set at the study's widths. This is their
# reference: the original FCN-8s at-once (pad 100, fc6/fc7, Caffe crops,
# Caffe init, skips scaled by 0.01/0.0001), trained from scratch in one go.
# Every other config here changes one switch of the config it inherits.
# The study's settings (conv stages 4-32, fc6/fc7 128, batch 4, 400
# iterations of study_adam-poly_0.4k.py; docs/study.md) are pinned here, so
# its measured table stays reproducible whatever the staged demo uses.
_base_ = [
    '../_base_/models/fcn8s_vgg16.py', '../_base_/datasets/synthetic_voc.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/study_adam-poly_0.4k.py'
]
stage_channels = (4, 8, 16, 32, 32)
fc_channels = 128
model = dict(
    # Trained from scratch: inputs scaled to unit spread as well (BGR std of
    # ImageNet), which Adam handles better than Caffe's raw 0-255 range.
    data_preprocessor=dict(std=[57.375, 57.12, 58.395]),
    backbone=dict(
        stage_channels=stage_channels,
        fc_channels=fc_channels,
        dropout_ratio=0.),
    decode_head=dict(
        in_channels=(stage_channels[2], stage_channels[3], fc_channels),
        scale_pool4=0.01,
        scale_pool3=0.0001,
        loss_decode=dict(reduction='mean')))
train_dataloader = dict(batch_size=4)
