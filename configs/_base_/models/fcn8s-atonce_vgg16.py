# FCN-8s at-once (voc-fcn8s-atonce): FCN-8s trained in one stage from VGG16;
# fixed Scale layers multiply pool4 by 0.01 and pool3 by 0.0001 before their
# score layers.
_base_ = ['./fcn8s_vgg16.py']
model = dict(decode_head=dict(scale_pool4=0.01, scale_pool3=0.0001))
