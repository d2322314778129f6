# The simplified FCN-8s (configs/_base_/models/fcn8s-simplified_vgg16.py)
# with the paper's data and its one-stage schedule (that of FCN-8s at-once):
# trunk from torchvision's ImageNet VGG16 as a tutorial takes it
# (tools/model_converters/vgg2mmseg.py vgg16-397923af.pth
# checkpoints/vgg16_torchvision_fcn.pth; the file's fc6/fc7 have no place in
# this net and are dropped), SBD train (8,498 images) at native size, batch
# 1, summed loss, SGD momentum 0.99, fixed lr 1e-10, 300k iterations,
# seg11valid (736 images) every 4k. Not trained on VOC by this project.
_base_ = [
    './_base_/models/fcn8s-simplified_vgg16.py',
    './_base_/datasets/pascal_voc12_fcn.py', './_base_/default_runtime.py',
    './_base_/schedules/fcn_paper_100k.py'
]
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_torchvision_fcn.pth',
            prefix='backbone.')))
optim_wrapper = dict(optimizer=dict(lr=1e-10))
train_cfg = dict(max_iters=300000)
