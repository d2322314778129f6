# Ablation: FCN-8s at-once with align='plain': transposed convs padded to
# upsample exactly by their stride, maps matched at offset 0 instead of the
# Caffe crops (the pad-100 trunk is kept, so the output is shifted by ~100
# px against the image). Net name: fcn8s-atonce-plain.
_base_ = ['./fcn8s-atonce_vgg16-tiny_1xb4-0.4k_synthetic-voc-128x128.py']
model = dict(decode_head=dict(align='plain'))
