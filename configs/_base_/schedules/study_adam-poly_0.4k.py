# The schedule of the original-vs-simplified study (configs/ablations/ and
# configs/demo/fcn8s-simplified_*; docs/study.md): Adam on a
# pixel-averaged loss, the learning rate decayed linearly to zero over 400
# iterations; validation five times, one checkpoint at the end. The
# study's table was measured with it, so it stays as it is.
max_iters = 400
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-3), clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.,
        power=1.,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=80)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='FCNCheckpointHook', by_epoch=False, interval=max_iters),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook', interval=1))
randomness = dict(seed=0)
