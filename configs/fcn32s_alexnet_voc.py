# FCN-AlexNet with the reference recipe (fcn.berkeleyvision.org
# voc-fcn-alexnet/net.py, solver.prototxt): the CaffeNet trunk
# (bvlc_reference_caffenet: LRN, group-2 convs, conv1 pad 100, ceil pools,
# fc6 as a 6x6 conv) from ImageNet (checkpoints/caffenet_caffe_fcn.pth, see
# docs/weights.md), a zero score_fr and a fixed bilinear upscore 63 / 32
# cropped at 18. SBD train at native size, batch 1, normalised loss, SGD
# momentum 0.9, weight decay 5e-4, fixed lr 1e-4, gradients accumulated over
# 20 images (Caffe iter_size 20) for 100k updates; seg11valid.
# Reference result: 48.0 mIoU on seg11valid (the reference's README); the
# paper's backbone comparison (CVPR 2015 table 1, fixed lr): 39.8.
_base_ = [
    './_base_/models/fcn32s_alexnet.py',
    './_base_/datasets/pascal_voc12_fcn.py', './_base_/default_runtime.py',
    './_base_/schedules/fcn_paper_100k.py'
]
# Caffe's iter_size: one update per 20 forward/backward passes, gradients
# summed and divided by 20 (MMEngine divides the loss by the count).
iter_size = 20
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/caffenet_caffe_fcn.pth',
            prefix='backbone.')))
# In voc-fcn-alexnet only score_fr sets lr_mult 1 / 2 and decay_mult 1 / 0;
# the trunk keeps Caffe's defaults (biases at the base lr, with decay).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-4, momentum=0.9, weight_decay=5e-4),
    accumulative_counts=iter_size,
    paramwise_cfg=dict(
        _delete_=True,
        custom_keys={
            'decode_head.score_fr.bias': dict(lr_mult=2., decay_mult=0.)
        }),
    clip_grad=None)
# Iterations count forward/backward passes: 100k Caffe iterations are 2M
# here; the reference scores and snapshots every 4k updates (80k passes)
# and displays every 20 updates.
train_cfg = dict(max_iters=100000 * iter_size, val_interval=4000 * iter_size)
default_hooks = dict(
    logger=dict(interval=20 * iter_size),
    checkpoint=dict(interval=4000 * iter_size))
