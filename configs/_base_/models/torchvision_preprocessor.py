# Input normalisation for a trunk converted from torchvision's ImageNet VGG16
# (tools/model_converters/vgg2mmseg.py vgg16-397923af.pth ...): RGB, ImageNet
# mean/std in 0-255 units. Images are loaded BGR, so bgr_to_rgb=True. Caffe
# weights (caffe2mmseg.py, torchfcn2mmseg.py) keep the models' default Caffe
# preprocessor (BGR, mean 104.00699/116.66877/122.67892, std 1).
# Use (see docs/weights.md):
#   _base_ = ['../_base_/models/fcn32s_vgg16.py',
#             '../_base_/models/torchvision_preprocessor.py']
#   model = dict(data_preprocessor={{_base_.torchvision_data_preprocessor}})
torchvision_data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=1)
