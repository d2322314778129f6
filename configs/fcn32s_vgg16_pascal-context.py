# FCN-32s on PASCAL-Context as the reference trains it (pascalcontext-fcn32s):
# 60 outputs, the background trained like a class; scored on the 59 classes
# (the background's pixels left out). Recipe as
# fcn32s_vgg16_pascal-context-59.py. The released pascalcontext-fcn32s-heavy
# converts to this net (docs/weights.md). Paper (CVPR 2015, appendix B):
# 63.8 pixel acc, 42.7 mean acc, 31.8 mean IU, 48.3 f.w. IU.
_base_ = [
    './_base_/models/fcn32s_vgg16.py',
    './_base_/datasets/pascal_context_fcn.py',
    './_base_/default_runtime.py', './_base_/schedules/fcn_paper_300k.py'
]
model = dict(
    data_preprocessor=dict(mean=[104.007, 116.669, 122.679]),
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_caffe_fcn.pth',
            prefix='backbone.')),
    decode_head=dict(num_classes=60))
optim_wrapper = dict(optimizer=dict(lr=1e-10))
