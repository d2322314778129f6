# Demo, stage 3: FCN-8s on the synthetic VOC set, started from the demo
# FCN-16s (tools/demo.py sets load_from; FCNWeightsHook copies the shared
# layers and zero-initialises score_pool3) and fine-tuned with FCN-32s'
# schedule over half its iterations. The narrow widths of the demo FCN-32s.
_base_ = [
    '../_base_/models/fcn8s_vgg16.py', '../_base_/datasets/synthetic_voc.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_adam-poly_0.6k.py'
]
stage_channels = (4, 8, 16, 32, 32)
fc_channels = 256
model = dict(
    # Trained from scratch: inputs scaled to unit spread as well (BGR std of
    # ImageNet), which Adam handles better than Caffe's raw 0-255 range.
    data_preprocessor=dict(std=[57.375, 57.12, 58.395]),
    backbone=dict(
        stage_channels=stage_channels,
        fc_channels=fc_channels,
        dropout_ratio=0.),
    decode_head=dict(
        in_channels=(stage_channels[2], stage_channels[3], fc_channels),
        loss_decode=dict(reduction='mean')))
