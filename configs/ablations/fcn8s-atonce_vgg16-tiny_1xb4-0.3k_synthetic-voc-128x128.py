# Ablations of the config switches (docs/architecture.md, "Config
# switches"), on the synthetic VOC set at the demo widths. This is their
# reference: the original FCN-8s at-once (pad 100, fc6/fc7, Caffe crops,
# Caffe init, skips scaled by 0.01/0.0001), trained from scratch in one go.
# Every other config here changes one switch of the config it inherits.
_base_ = ['../demo/fcn8s_vgg16-tiny_1xb4-0.4k_synthetic-voc-128x128.py']
model = dict(decode_head=dict(scale_pool4=0.01, scale_pool3=0.0001))
