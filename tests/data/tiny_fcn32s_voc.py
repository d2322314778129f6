# FCN-32s with the exact VGG16 geometry but tiny widths, for CPU tests.
_base_ = [
    '../../configs/_base_/models/fcn32s_vgg16.py', './tiny_voc_runtime.py'
]
model = dict(
    backbone=dict(stage_channels=(4, 5, 6, 7, 8), fc_channels=9),
    decode_head=dict(in_channels=9))
