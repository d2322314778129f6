# FCN-32s on the HHA encoding of NYUDv2 depth with the reference recipe
# (nyud-fcn32s-hha): VGG16 from ImageNet on the HHA image (hha/, computed from
# depth by tools/prepare_nyud.py where missing), the HHA mean subtracted in
# the file's channel order, otherwise as fcn32s_vgg16_nyud-rgb.py. Paper
# (CVPR 2015, table 4): pixel acc 57.1, mean acc 35.2, mean IU 24.2, f.w. IU
# 40.4.
_base_ = ['./fcn32s_vgg16_nyud-rgb.py']
model = dict(
    data_preprocessor=dict(
        modalities=[('hha', dict(mean=[132.431, 94.076, 118.477]))]))
# MMSeg's inference APIs read test_pipeline, the loaders their own copies.
train_pipeline = {{_base_.hha_pipeline}}
test_pipeline = train_pipeline
train_dataloader = dict(
    dataset=dict(modalities=('hha', ), pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(modalities=('hha', ), pipeline=test_pipeline))
test_dataloader = val_dataloader
