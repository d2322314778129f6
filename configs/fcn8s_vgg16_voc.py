# FCN-8s with the reference recipe (voc-fcn8s): staged from a trained FCN-16s
# (load_from; the new score_pool3 starts at zero), fixed lr 1e-14, otherwise
# as FCN-32s. Reference result: 65.5 mIoU on seg11valid, 67.2 on VOC2012 test.
_base_ = [
    './_base_/models/fcn8s_vgg16.py', './_base_/datasets/pascal_voc12_fcn.py',
    './_base_/default_runtime.py', './_base_/schedules/fcn_paper_100k.py'
]
# Your FCN-16s result, or the released voc-fcn16s converted.
load_from = 'checkpoints/fcn16s_vgg16_voc.pth'
optim_wrapper = dict(optimizer=dict(lr=1e-14))
