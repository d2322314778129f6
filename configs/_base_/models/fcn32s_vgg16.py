# FCN-32s (fcn.berkeleyvision.org voc-fcn32s): pad-100 VGG16 trunk with conv
# fc6/fc7, zero-initialised score_fr, fixed bilinear upscore (64/32), crop 19.
custom_imports = dict(imports=['fcn_plugin'], allow_failed_imports=False)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    # Caffe VGG16 input: BGR (as loaded by OpenCV), 0-255, minus the ImageNet
    # mean, no std. Padding with 0 after normalisation pads with the mean.
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
        type='VGG16Caffe',
        stage_channels=(64, 128, 256, 512, 512),
        fc_channels=4096,
        first_pad=100,
        dropout_ratio=0.5,
        out_indices=(2, 3, 5),  # pool3, pool4, fc7
        # Same function, faster kernels: fc6/fc7 as Caffe's im2col + GEMM,
        # and NHWC activations, here and in the head (docs/performance.md).
        # Set all three to False for the plain direct-convolution NCHW net.
        fc_gemm=True,
        channels_last=True),
    decode_head=dict(
        type='FCN32sHead',
        in_channels=4096,
        in_index=2,
        num_classes=21,
        learnable_upsample=False,
        channels_last=True,  # NHWC like the backbone (same function)
        # Caffe SoftmaxWithLoss(normalize=False): summed over valid pixels.
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            reduction='sum',
            loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
