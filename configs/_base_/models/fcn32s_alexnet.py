# FCN-AlexNet (fcn.berkeleyvision.org voc-fcn-alexnet): the CaffeNet trunk
# (LRN, group-2 convs, conv1 pad 100, ceil pools, fc6 as a 6x6 conv) with a
# zero-initialised score_fr and a fixed bilinear upscore (63/32), crop 18.
custom_imports = dict(imports=['fcn_plugin'], allow_failed_imports=False)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    # Caffe input: BGR, 0-255, minus the ImageNet mean (voc_layers.py).
    mean=[104.00699, 116.66877, 122.67892],
    std=[1., 1., 1.],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=1)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='AlexNetCaffe',
        stage_channels=(96, 256, 384, 384, 256),
        fc_channels=4096,
        first_pad=100,
        dropout_ratio=0.5,
        out_indices=(3, )),  # fc7
    decode_head=dict(
        type='FCN32sAlexNetHead',
        in_channels=4096,
        in_index=0,
        num_classes=21,
        learnable_upsample=False,
        # SoftmaxWithLoss(normalize=True): mean over the valid pixels.
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            avg_non_ignore=True,
            loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
