# FCN-32s on PASCAL-Context's 59-class task with the reference recipe
# (pascalcontext-fcn32s): trunk from ImageNet VGG16 (checkpoints/
# vgg16_caffe_fcn.pth, see docs/weights.md), VOC2010 train (4,998 images) at
# native size, batch 1, summed loss, SGD momentum 0.99, fixed lr 1e-10, 300k
# iterations, val (5,105 images) every 8k. 59 outputs, the background
# ignored; the reference's own 60-output net: fcn32s_vgg16_pascal-context.py.
# Paper (CVPR 2015, appendix B; 60 outputs): 63.8 pixel acc, 42.7 mean acc,
# 31.8 mean IU, 48.3 f.w. IU.
_base_ = [
    './_base_/models/fcn32s_vgg16.py',
    './_base_/datasets/pascal_context_59_fcn.py',
    './_base_/default_runtime.py', './_base_/schedules/fcn_paper_300k.py'
]
model = dict(
    # pascalcontext_layers.py's BGR mean
    data_preprocessor=dict(mean=[104.007, 116.669, 122.679]),
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_caffe_fcn.pth',
            prefix='backbone.')),
    decode_head=dict(num_classes=59))
optim_wrapper = dict(optimizer=dict(lr=1e-10))
