# Demo: the simplified FCN-8s (no fc6/fc7, conv1_1 pad 1, plain alignment,
# PyTorch init, unscaled skips; configs/_base_/models/
# fcn8s-simplified_vgg16.py) on the synthetic VOC set, trained from scratch
# in one go. The widths, data and schedule of the study's original FCN-8s
# (configs/ablations/fcn8s-atonce_*), so the two can be
# compared.
_base_ = [
    '../_base_/models/fcn8s-simplified_vgg16.py',
    '../_base_/datasets/synthetic_voc.py', '../_base_/default_runtime.py',
    '../_base_/schedules/study_adam-poly_0.4k.py'
]
stage_channels = (4, 8, 16, 32, 32)
model = dict(
    backbone=dict(stage_channels=stage_channels, dropout_ratio=0.),
    decode_head=dict(
        in_channels=stage_channels[2:],  # pool3, pool4, pool5
        loss_decode=dict(reduction='mean')))
train_dataloader = dict(batch_size=4)
