# The two-headed FCN-16s on SIFT Flow with the reference recipe
# (siftflow-fcn16s): staged from the trained two-headed FCN-32s (load_from;
# FCNWeightsHook copies the trunk and both heads' score_fr, both new
# score_pool4 start at zero), fixed lr 1e-12, otherwise as
# fcn32s_vgg16_siftflow.py. Paper (CVPR 2015, table 5): pixel acc 85.2, mean
# acc 51.7, mean IU 39.5, f.w. IU 76.1, geometric accuracy 94.3.
_base_ = [
    './_base_/models/fcn16s_vgg16_two-head.py',
    './_base_/datasets/siftflow_fcn.py', './_base_/default_runtime.py',
    './_base_/schedules/fcn_paper_300k.py'
]
model = dict(
    data_preprocessor=dict(mean=[114.578, 115.294, 108.353]),
    decode_head=dict(num_classes=33))
visualizer = dict(type='TwoMapSegVisualizer')
# Your FCN-32s result, or the released siftflow-fcn32s converted.
load_from = 'checkpoints/fcn32s_vgg16_siftflow.pth'
optim_wrapper = dict(optimizer=dict(lr=1e-12))
train_cfg = dict(val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
