# Demo: FCN-8s, staged from the demo FCN-16s (tools/demo.py sets load_from)
# on the synthetic VOC set. Same layers, pads, pools and crops as the
# VGG16 net, at a fraction of the width (conv stages 16-64, fc6/fc7 128) and
# without dropout, so it learns in minutes on a CPU. See tools/demo.py.
_base_ = [
    '../_base_/models/fcn8s_vgg16.py', '../_base_/datasets/synthetic_voc.py',
    '../_base_/default_runtime.py', '../_base_/schedules/demo_adam-poly_0.3k.py'
]
model = dict(
    backbone=dict(
        stage_channels=(16, 32, 64, 64, 64),
        fc_channels=128,
        dropout_ratio=0.),
    decode_head=dict(
        in_channels=(64, 64, 128), loss_decode=dict(reduction='mean')))
train_dataloader = dict(batch_size=4)
