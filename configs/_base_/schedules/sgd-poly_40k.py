# sgd-poly_20k.py (MMSeg's schedule with the VGG16 FCN settings) run for 40k
# iterations, as MMSeg's PASCAL-Context configs train.
_base_ = ['./sgd-poly_20k.py']
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=40000,
        by_epoch=False)
]
train_cfg = dict(max_iters=40000)
