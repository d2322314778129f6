# FCN-8s (voc-fcn8s): FCN-16s plus the pool3 skip. fuse_pool4 ->
# upscore_pool4 (4/2) + crop(score_pool3, 9) -> upscore8 (16/8) -> crop 31.
_base_ = ['./fcn32s_vgg16.py']
model = dict(
    decode_head=dict(
        _delete_=True,
        type='FCN8sHead',
        in_channels=(256, 512, 4096),
        in_index=(0, 1, 2),
        num_classes=21,
        learnable_upsample=False,
        channels_last=True,  # NHWC like the backbone (same function)
        scale_pool4=1.,
        scale_pool3=1.,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            reduction='sum',
            loss_weight=1.0)))
