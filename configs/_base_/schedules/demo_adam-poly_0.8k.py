# The staged demo's schedule, the same for every stage (FCN-32s, FCN-16s,
# FCN-8s): Adam on a pixel-averaged loss, the learning rate decayed linearly
# to zero over 800 iterations so that each stage ends on a plateau;
# validation five times per stage, one checkpoint at the end.
max_iters = 800
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3), clip_grad=None)
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
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=160)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='FCNCheckpointHook', by_epoch=False, interval=max_iters),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook', interval=1))
randomness = dict(seed=0)
