# FCN-8s at-once with the reference recipe (voc-fcn8s-atonce): all skips
# trained together from ImageNet VGG16, pool4 scaled by 0.01 and pool3 by
# 0.0001, fixed lr 1e-10, 300k iterations (75 x 4k). Reference result: 65.4
# mIoU on seg11valid.
_base_ = [
    './_base_/models/fcn8s-atonce_vgg16.py',
    './_base_/datasets/pascal_voc12_fcn.py', './_base_/default_runtime.py',
    './_base_/schedules/fcn_paper_100k.py'
]
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_caffe_fcn.pth',
            prefix='backbone.')))
optim_wrapper = dict(optimizer=dict(lr=1e-10))
train_cfg = dict(max_iters=300000)
