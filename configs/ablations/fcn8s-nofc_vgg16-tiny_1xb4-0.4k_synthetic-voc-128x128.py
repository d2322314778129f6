# Ablation: fcn8s-plain without fc6/fc7 (score_fr reads pool5). The Caffe
# crop offsets exist only for the trunk with fc6/fc7, so this switch builds
# on the plain alignment. Net name: fcn8s-atonce-plain-nofc.
_base_ = ['./fcn8s-plain_vgg16-tiny_1xb4-0.4k_synthetic-voc-128x128.py']
model = dict(
    backbone=dict(with_fc=False, out_indices=(2, 3, 4)),
    # pool3, pool4 and pool5 of the demo widths (4, 8, 16, 32, 32)
    decode_head=dict(in_channels=(16, 32, 32)))
