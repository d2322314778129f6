# The staged demo's schedule of FCN-32s, trained from scratch: that of the
# fine-tuning stages (demo_adam-poly_0.6k.py: Adam, the learning rate
# decayed linearly to zero, validation five times, one checkpoint at the
# end) over twice the iterations.
_base_ = ['./demo_adam-poly_0.6k.py']
max_iters = 1200
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.,
        power=1.,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 5)
default_hooks = dict(checkpoint=dict(interval=max_iters))
