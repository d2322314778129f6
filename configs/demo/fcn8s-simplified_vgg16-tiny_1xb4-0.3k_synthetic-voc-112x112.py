# Demo: the simplified FCN-8s (no fc6/fc7, conv1_1 pad 1, plain alignment,
# PyTorch init, unscaled skips; configs/_base_/models/
# fcn8s-simplified_vgg16.py) on the synthetic VOC set, trained from scratch
# in one go. Same widths and schedule as the demo FCN-8s
# (fcn8s_vgg16-tiny_1xb4-0.3k_synthetic-voc-112x112.py), so the two can be
# compared.
_base_ = [
    '../_base_/models/fcn8s-simplified_vgg16.py',
    '../_base_/datasets/synthetic_voc.py', '../_base_/default_runtime.py',
    '../_base_/schedules/demo_adam-poly_0.3k.py'
]
model = dict(
    backbone=dict(stage_channels=(16, 32, 64, 64, 64), dropout_ratio=0.),
    decode_head=dict(
        in_channels=(64, 64, 64), loss_decode=dict(reduction='mean')))
train_dataloader = dict(batch_size=4)
