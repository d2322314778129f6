# FCN-16s with the reference recipe (voc-fcn16s): staged from a trained
# FCN-32s (load_from; FCNWeightsHook copies the trunk and score_fr, keeps the
# new score_pool4 at zero and drops the 32s upscore), fixed lr 1e-12,
# otherwise as FCN-32s. Reference result: 65.0 mIoU on seg11valid.
_base_ = [
    './_base_/models/fcn16s_vgg16.py', './_base_/datasets/pascal_voc12_fcn.py',
    './_base_/default_runtime.py', './_base_/schedules/fcn_paper_100k.py'
]
# Your FCN-32s result, e.g. work_dirs/fcn32s_vgg16_voc/best_mIoU_iter_*.pth
# copied here, or the released voc-fcn32s converted (docs/weights.md).
load_from = 'checkpoints/fcn32s_vgg16_voc.pth'
optim_wrapper = dict(optimizer=dict(lr=1e-12))
