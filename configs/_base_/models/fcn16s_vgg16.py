# FCN-16s (voc-fcn16s): FCN-32s plus the pool4 skip. score_fr -> upscore2
# (4/2) + crop(score_pool4, 5) -> upscore16 (32/16) -> crop 27.
_base_ = ['./fcn32s_vgg16.py']
model = dict(
    decode_head=dict(
        _delete_=True,
        type='FCN16sHead',
        in_channels=(512, 4096),
        in_index=(1, 2),
        num_classes=21,
        learnable_upsample=False,
        channels_last=True,  # NHWC like the backbone (same function)
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            reduction='sum',
            loss_weight=1.0)))
