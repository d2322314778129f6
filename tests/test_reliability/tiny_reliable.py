# The tiny FCN-8s (with dropout) and a random flip, checkpoints every 2
# iterations with FCNCheckpointHook, the plugin's runtime hooks and the
# test-only ProbeHook; deterministic CPU settings.
_base_ = ['../data/tiny_fcn8s_voc.py']
custom_imports = dict(
    imports=['fcn_plugin', 'tests.test_reliability.probe_hooks'],
    allow_failed_imports=False)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
train_cfg = dict(max_iters=6, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
default_hooks = dict(
    checkpoint=dict(type='FCNCheckpointHook', by_epoch=False, interval=2))
custom_hooks = [
    dict(type='FCNWeightsHook'),
    dict(type='FCNIterSeedHook'),
    dict(type='FCNNanGuardHook'),
    dict(type='ProbeNanWeightsHook'),
    dict(type='ProbeHook'),
]
randomness = dict(seed=0, deterministic=True)
