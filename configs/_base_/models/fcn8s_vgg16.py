# FCN-8s (voc-fcn8s): FCN-16s plus the pool3 skip. fuse_pool4 ->
# upscore_pool4 (4/2) + crop(score_pool3, 9) -> upscore8 (16/8) -> crop 31.
# The head takes pool3, pool4 and fc7, unscaled (the staged net); its other
# settings are FCN-16s' (merged).
_base_ = ['./fcn16s_vgg16.py']
model = dict(
    decode_head=dict(
        type='FCN8sHead',
        in_channels=(256, 512, 4096),
        in_index=(0, 1, 2),
        scale_pool4=1.,
        scale_pool3=1.))
