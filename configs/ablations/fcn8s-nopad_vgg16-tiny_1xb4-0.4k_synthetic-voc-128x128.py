# Ablation: fcn8s-nofc with ordinary padding (conv1_1 pad 1 instead of 100).
# It builds on the net without fc6/fc7: the 7x7 valid fc6 needs a 7x7 pool5,
# i.e. inputs of at least 193 px, without the 100-px pad. Net name:
# fcn8s-atonce-plain-nofc-nopad.
_base_ = ['./fcn8s-nofc_vgg16-tiny_1xb4-0.4k_synthetic-voc-128x128.py']
model = dict(backbone=dict(first_pad=1))
