# FCN-32s with the reference recipe (voc-fcn32s/solver.prototxt): trunk from
# ImageNet VGG16 (checkpoints/vgg16_caffe_fcn.pth, see docs/weights.md), SBD
# train (8,498 images) at native size, batch 1, summed loss, SGD momentum
# 0.99, fixed lr 1e-10, 100k iterations, seg11valid (736 images) every 4k.
# Reference result: 63.6 mIoU on seg11valid (fcn.berkeleyvision.org).
_base_ = [
    './_base_/models/fcn32s_vgg16.py', './_base_/datasets/pascal_voc12_fcn.py',
    './_base_/default_runtime.py', './_base_/schedules/fcn_paper_100k.py'
]
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_caffe_fcn.pth',
            prefix='backbone.')))
optim_wrapper = dict(optimizer=dict(lr=1e-10))
