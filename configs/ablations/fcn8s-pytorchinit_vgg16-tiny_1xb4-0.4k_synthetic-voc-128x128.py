# Ablation: FCN-8s at-once with PyTorch's default initialisation of the
# score and upscore layers (instead of zeros and bilinear kernels) and
# trained upscore layers. Same function, so the same net name:
# fcn8s-atonce.
_base_ = ['./fcn8s-atonce_vgg16-tiny_1xb4-0.4k_synthetic-voc-128x128.py']
model = dict(decode_head=dict(init='pytorch', learnable_upsample=True))
