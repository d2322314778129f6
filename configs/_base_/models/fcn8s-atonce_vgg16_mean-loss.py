# FCN-8s at-once for the modern recipe, on any MMSeg dataset base and with
# MMSeg's schedules (SGD, poly decay): MMSeg's mean cross-entropy (summed
# over the valid pixels, divided by the batch's pixel count) instead of
# Caffe's sum. The sum is a million times larger on a 4 x 512x512 batch and
# meant for lr 1e-10..1e-14; under MMSeg's lr 0.01 it diverges in a few
# iterations. One stage from the VGG16 trunk means the at-once net: its
# fixed 0.01 / 0.0001 scales keep the large pool4 / pool3 activations from
# swamping the zero-initialised skip scores (the staged nets get this from
# lr 1e-12 / 1e-14 instead). Set num_classes for the dataset (150 for
# ADE20K, 19 for Cityscapes). The rest is fcn8s-atonce_vgg16.py (merged).
_base_ = ['./fcn8s-atonce_vgg16.py']
model = dict(decode_head=dict(loss_decode=dict(reduction='mean')))
