# The reference solver (voc-fcn*/solver.prototxt + solve.py): SGD with
# momentum 0.99 and weight decay 5e-4 on an unnormalised (summed) loss, a
# fixed learning rate (set per net by the top-level config), biases at twice
# the learning rate and without weight decay, 100k iterations, a test and a
# snapshot every 4k. Caffe's momentum update (v = m v + lr g) equals
# PyTorch's (v = m v + g; w -= lr v) under a fixed learning rate.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-10, momentum=0.99, weight_decay=5e-4),
    paramwise_cfg=dict(bias_lr_mult=2., bias_decay_mult=0.),
    clip_grad=None)
param_scheduler = []  # Caffe lr_policy: "fixed"
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=100000, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='FCNCheckpointHook', by_epoch=False, interval=4000,
        max_keep_ckpts=3, save_best='mIoU', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # interval=1: `tools/test.py --show-dir` draws every test image.
    visualization=dict(type='SegVisualizationHook', interval=1))
# solve.py shuffles SBD train with seed 1337.
randomness = dict(seed=1337)
