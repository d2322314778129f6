# MMSeg's own 80k schedule (SGD momentum 0.9, poly decay) with the settings the
# VGG16 FCNs need on any MMSeg dataset. lr 1e-3 instead of MMSeg's 0.01 (set
# for its BN ResNets on std-normalised input): this VGG16 has no BN and takes
# 0-255 BGR input. The Caffe solver (lr 1e-10 on a loss summed over ~1.9e5 px,
# momentum 0.99) stepped like lr ~2e-4 on a mean loss at momentum 0.9; 1e-3
# is the VOC modern recipe's. Biases at 2x lr without decay, as in Caffe.
_base_ = ['mmseg::_base_/schedules/schedule_80k.py']
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(bias_lr_mult=2., bias_decay_mult=0.))
# Checkpoints written atomically; keep the best mIoU and the last three.
default_hooks = dict(
    checkpoint=dict(
        type='FCNCheckpointHook', max_keep_ckpts=3, save_best='mIoU',
        rule='greater'))
