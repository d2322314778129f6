# FCN-16s on PASCAL-Context's 59-class task with the reference recipe
# (pascalcontext-fcn16s): staged from the trained FCN-32s (load_from;
# FCNWeightsHook copies the trunk and score_fr, the new score_pool4 starts at
# zero), fixed lr 1e-12, otherwise as fcn32s_vgg16_pascal-context-59.py.
# Paper (60 outputs): 65.7 / 46.2 / 34.8 / 50.7.
_base_ = [
    './_base_/models/fcn16s_vgg16.py',
    './_base_/datasets/pascal_context_59_fcn.py',
    './_base_/default_runtime.py', './_base_/schedules/fcn_paper_300k.py'
]
model = dict(
    data_preprocessor=dict(mean=[104.007, 116.669, 122.679]),
    decode_head=dict(num_classes=59))
# Your FCN-32s result, or the released pascalcontext-fcn32s converted with
# --classes pascal-context-59 (docs/weights.md).
load_from = 'checkpoints/fcn32s_vgg16_pascal-context-59.pth'
optim_wrapper = dict(optimizer=dict(lr=1e-12))
