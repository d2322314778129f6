# FCN-32s on the colour image of NYUDv2 with the reference recipe
# (nyud-fcn32s-color, nyud_layers.py): VGG16 from ImageNet (checkpoints/
# vgg16_caffe_fcn.pth, see docs/weights.md), 40 classes, trainval (795
# images) at native size, batch 1, summed loss, SGD momentum 0.99, fixed lr
# 1e-10; solve.py runs 50 x 2,000 iterations, scoring the test set (654)
# after each. Paper (CVPR 2015, table 4): pixel acc 60.0, mean acc 42.2,
# mean IU 29.2, f.w. IU 43.9.
_base_ = [
    './_base_/models/fcn32s_vgg16.py', './_base_/datasets/nyud_fcn.py',
    './_base_/default_runtime.py', './_base_/schedules/fcn_paper_100k.py'
]
model = dict(
    # nyud_layers.py subtracts the NYUDv2 colour mean (BGR)
    data_preprocessor=dict(
        _delete_=True,
        type='RGBDDataPreProcessor',
        modalities=[('color', dict(mean=[116.190, 97.203, 92.318]))],
        pad_val=0,
        seg_pad_val=255,
        size_divisor=1),
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_caffe_fcn.pth',
            prefix='backbone.')),
    decode_head=dict(num_classes=40))
optim_wrapper = dict(optimizer=dict(lr=1e-10))
train_cfg = dict(max_iters=100000, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
