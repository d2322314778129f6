# The staged demo's schedule of FCN-16s and FCN-8s (each fine-tuned from the
# stage before): Adam on a pixel-averaged loss, the learning rate decayed
# linearly to zero over 600 iterations so that the stage ends on a plateau;
# validation five times, one checkpoint at the end. FCN-32s, which learns
# from scratch, has the same schedule over 1200 iterations
# (demo_adam-poly_1.2k.py).
max_iters = 600
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
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters // 5)
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
