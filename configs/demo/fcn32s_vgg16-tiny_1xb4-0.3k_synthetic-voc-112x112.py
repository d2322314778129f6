# Demo: FCN-32s, trained from scratch
# on the synthetic VOC set. Same layers, pads, pools and crops as the
# VGG16 net, at a fraction of the width (conv stages 16-64, fc6/fc7 128) and
# without dropout, so it learns in minutes on a CPU. See tools/demo.py.
_base_ = [
    '../_base_/models/fcn32s_vgg16.py', '../_base_/datasets/synthetic_voc.py',
    '../_base_/default_runtime.py', '../_base_/schedules/demo_adam-poly_0.3k.py'
]
model = dict(
    backbone=dict(
        stage_channels=(16, 32, 64, 64, 64),
        fc_channels=128,
        dropout_ratio=0.),
    decode_head=dict(
        in_channels=128, loss_decode=dict(reduction='mean')))
train_dataloader = dict(batch_size=4)
