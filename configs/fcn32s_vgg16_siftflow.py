# The two-headed FCN-32s on SIFT Flow with the reference recipe
# (siftflow-fcn32s): one VGG16 trunk from ImageNet (checkpoints/
# vgg16_caffe_fcn.pth, see docs/weights.md), a semantic head (33 classes) and
# a geometric head (3), each with its own summed loss; trainval (2,486
# images) at native size, batch 1, SGD momentum 0.99, fixed lr 1e-10, 300k
# iterations, the test set (200) scored every 2k. Paper (CVPR 2015, table 5,
# FCN-16s): pixel acc 85.2, mean acc 51.7, mean IU 39.5, f.w. IU 76.1,
# geometric accuracy 94.3.
_base_ = [
    './_base_/models/fcn32s_vgg16_two-head.py',
    './_base_/datasets/siftflow_fcn.py', './_base_/default_runtime.py',
    './_base_/schedules/fcn_paper_300k.py'
]
model = dict(
    # siftflow_layers.py's BGR mean
    data_preprocessor=dict(mean=[114.578, 115.294, 108.353]),
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_caffe_fcn.pth',
            prefix='backbone.')),
    decode_head=dict(num_classes=33))
# --show-dir, SegVisualizationHook and MMSegInferencer draw both maps
visualizer = dict(type='TwoMapSegVisualizer')
optim_wrapper = dict(optimizer=dict(lr=1e-10))
train_cfg = dict(val_interval=2000)  # solve.py: 2,000 steps per test
default_hooks = dict(checkpoint=dict(interval=2000))
