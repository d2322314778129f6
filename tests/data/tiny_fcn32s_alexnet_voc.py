# FCN-AlexNet with the exact CaffeNet geometry but tiny widths, for CPU tests.
_base_ = [
    '../../configs/_base_/models/fcn32s_alexnet.py', './tiny_voc_runtime.py'
]
model = dict(
    backbone=dict(stage_channels=(4, 6, 6, 4, 6), fc_channels=9),
    decode_head=dict(in_channels=9))
