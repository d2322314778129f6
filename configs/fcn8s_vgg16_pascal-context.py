# FCN-8s on PASCAL-Context with the reference's 60 outputs
# (pascalcontext-fcn8s), staged from fcn16s_vgg16_pascal-context.py's
# result, fixed lr 1e-14. Paper: 65.9 / 46.5 / 35.1 / 51.0.
_base_ = [
    './_base_/models/fcn8s_vgg16.py',
    './_base_/datasets/pascal_context_fcn.py',
    './_base_/default_runtime.py', './_base_/schedules/fcn_paper_300k.py'
]
model = dict(
    data_preprocessor=dict(mean=[104.007, 116.669, 122.679]),
    decode_head=dict(num_classes=60))
# Your FCN-16s result, or the released pascalcontext-fcn16s converted.
load_from = 'checkpoints/fcn16s_vgg16_pascal-context.pth'
optim_wrapper = dict(optimizer=dict(lr=1e-14))
