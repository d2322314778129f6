# FCN-16s on PASCAL-Context with the reference's 60 outputs
# (pascalcontext-fcn16s), staged from fcn32s_vgg16_pascal-context.py's
# result, fixed lr 1e-12. Paper: 65.7 / 46.2 / 34.8 / 50.7.
_base_ = [
    './_base_/models/fcn16s_vgg16.py',
    './_base_/datasets/pascal_context_fcn.py',
    './_base_/default_runtime.py', './_base_/schedules/fcn_paper_300k.py'
]
model = dict(
    data_preprocessor=dict(mean=[104.007, 116.669, 122.679]),
    decode_head=dict(num_classes=60))
# Your FCN-32s result, or the released pascalcontext-fcn32s converted.
load_from = 'checkpoints/fcn32s_vgg16_pascal-context.pth'
optim_wrapper = dict(optimizer=dict(lr=1e-12))
