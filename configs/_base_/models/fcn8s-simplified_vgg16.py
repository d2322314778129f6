# The simplified FCN-8s that tutorials write, as switches of the same
# backbone and head (docs/architecture.md, "Config switches"): VGG16 with
# ordinary padding (conv1_1 pad 1) and without fc6/fc7, so score_fr reads
# pool5; transposed convs padded to upsample exactly 2x, 2x and 8x, maps
# matched at offset 0 instead of Caffe crops; PyTorch's default
# initialisation with trained upsampling; unscaled skips; torchvision
# (ImageNet) input normalisation. Net name: fcn8s-simplified.
_base_ = ['./fcn8s_vgg16.py', './torchvision_preprocessor.py']
model = dict(
    data_preprocessor={{_base_.torchvision_data_preprocessor}},
    backbone=dict(first_pad=1, with_fc=False, out_indices=(2, 3, 4)),
    decode_head=dict(
        in_channels=(256, 512, 512),  # pool3, pool4, pool5
        align='plain',
        init='pytorch',
        learnable_upsample=True))
