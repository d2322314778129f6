# The two-headed FCN-8s on SIFT Flow with the reference recipe
# (siftflow-fcn8s): staged from the trained two-headed FCN-16s (both new
# score_pool3 start at zero), fixed lr 1e-12 (as the reference's solver),
# otherwise as fcn32s_vgg16_siftflow.py. The paper reports FCN-16s.
_base_ = [
    './_base_/models/fcn8s_vgg16_two-head.py',
    './_base_/datasets/siftflow_fcn.py', './_base_/default_runtime.py',
    './_base_/schedules/fcn_paper_300k.py'
]
model = dict(
    data_preprocessor=dict(mean=[114.578, 115.294, 108.353]),
    decode_head=dict(num_classes=33))
visualizer = dict(type='TwoMapSegVisualizer')
# Your FCN-16s result, or the released siftflow-fcn16s converted.
load_from = 'checkpoints/fcn16s_vgg16_siftflow.pth'
optim_wrapper = dict(optimizer=dict(lr=1e-12))
train_cfg = dict(val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
