# FCN-16s (voc-fcn16s): FCN-32s plus the pool4 skip. score_fr -> upscore2
# (4/2) + crop(score_pool4, 5) -> upscore16 (32/16) -> crop 27. The head
# takes pool4 and fc7; its other settings are FCN-32s' (merged).
_base_ = ['./fcn32s_vgg16.py']
model = dict(
    decode_head=dict(
        type='FCN16sHead', in_channels=(512, 4096), in_index=(1, 2)))
