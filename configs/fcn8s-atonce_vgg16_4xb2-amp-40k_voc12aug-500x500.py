# FCN-8s at-once with the modern recipe of
# fcn8s-atonce_vgg16_4xb2-40k_voc12aug-500x500.py, trained in mixed
# precision on GPUs: MMEngine's AmpOptimWrapper runs the forward under
# torch.autocast (fp16 with a dynamic loss scale; use dtype='bfloat16' on
# GPUs that have it, loss scaling is then unnecessary) and the trunk keeps
# NHWC activations, the layout tensor cores want. Same network and weights
# as the fp32 config; logits agree to about 1 % of their range (bf16,
# measured on CPU by tests/test_amp.py). MMEngine's AmpOptimWrapper needs a
# GPU.
_base_ = ['./fcn8s-atonce_vgg16_4xb2-40k_voc12aug-500x500.py']
model = dict(
    backbone=dict(channels_last=True, fc_gemm=True),
    decode_head=dict(channels_last=True))
optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
