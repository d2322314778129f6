# Ablation: FCN-8s at-once without the 0.01/0.0001 skip scaling, i.e. the
# staged FCN-8s net trained in one go. Net name: fcn8s.
_base_ = ['./fcn8s-atonce_vgg16-tiny_1xb4-0.4k_synthetic-voc-128x128.py']
model = dict(decode_head=dict(scale_pool4=1., scale_pool3=1.))
