# FCN-8s on PASCAL-Context's 59-class task with the reference recipe
# (pascalcontext-fcn8s): staged from the trained FCN-16s (the new
# score_pool3 starts at zero), fixed lr 1e-14, otherwise as
# fcn32s_vgg16_pascal-context-59.py. Paper (60 outputs): 65.9 pixel acc,
# 46.5 mean acc, 35.1 mean IU, 51.0 f.w. IU.
_base_ = [
    './_base_/models/fcn8s_vgg16.py',
    './_base_/datasets/pascal_context_59_fcn.py',
    './_base_/default_runtime.py', './_base_/schedules/fcn_paper_300k.py'
]
model = dict(
    data_preprocessor=dict(mean=[104.007, 116.669, 122.679]),
    decode_head=dict(num_classes=59))
# Your FCN-16s result, or the released pascalcontext-fcn16s converted with
# --classes pascal-context-59.
load_from = 'checkpoints/fcn16s_vgg16_pascal-context-59.pth'
optim_wrapper = dict(optimizer=dict(lr=1e-14))
