# Demo, stage 1: FCN-32s trained from scratch on the synthetic VOC set
# (224x224 images written by tools/demo.py or tools/make_synthetic_voc.py).
# The layers, pads, pools and crops of the VGG16 net at a fraction of the
# width (conv stages 4-32, fc6/fc7 256), Kaiming-initialised, without
# dropout, so that it learns in a few minutes on a CPU. Stages 2 and 3 start
# from it (see fcn16s_* and fcn8s_* here, and tools/demo.py).
_base_ = [
    '../_base_/models/fcn32s_vgg16.py', '../_base_/datasets/synthetic_voc.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_adam-poly_1.2k.py'
]
stage_channels = (4, 8, 16, 32, 32)
fc_channels = 256
model = dict(
    # Trained from scratch: inputs scaled to unit spread as well (BGR std of
    # ImageNet), which Adam handles better than Caffe's raw 0-255 range.
    data_preprocessor=dict(std=[57.375, 57.12, 58.395]),
    backbone=dict(
        stage_channels=stage_channels,
        fc_channels=fc_channels,
        dropout_ratio=0.,
        init_cfg=dict(
            type='Kaiming',
            layer='Conv2d',
            mode='fan_in',
            nonlinearity='relu',
            distribution='normal')),
    decode_head=dict(
        in_channels=fc_channels, loss_decode=dict(reduction='mean')))
