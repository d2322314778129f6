# FCN-32s on colour plus depth, early fusion (nyud-fcn32s-color-d): the
# colour image and log(depth) - 7.844 stacked into 4 channels, read by a
# 4-channel conv1_1 (Caffe: conv1_1_bgrd). Training starts from the ImageNet
# VGG16 through load_from: FCNWeightsHook gives conv1_1 the VGG weights for
# BGR and their mean over the three channels for depth, as the reference's
# solve.py does (a Pretrained init_cfg cannot widen it). No caffemodel was
# released. Otherwise as fcn32s_vgg16_nyud-rgb.py. Paper (CVPR 2015, table
# 4): pixel acc 61.5, mean acc 42.4, mean IU 30.5, f.w. IU 45.5.
_base_ = ['./fcn32s_vgg16_nyud-rgb.py']
model = dict(
    data_preprocessor=dict(modalities=[
        ('color', dict(mean=[116.190, 97.203, 92.318])),
        ('depth', dict(mean=[7.844])),
    ]),
    backbone=dict(in_channels=4, init_cfg=None))
load_from = 'checkpoints/vgg16_caffe_fcn.pth'
# MMSeg's inference APIs read test_pipeline, the loaders their own copies.
train_pipeline = {{_base_.color_depth_pipeline}}
test_pipeline = train_pipeline
train_dataloader = dict(
    dataset=dict(modalities=('color', 'depth'), pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(modalities=('color', 'depth'), pipeline=test_pipeline))
test_dataloader = val_dataloader
