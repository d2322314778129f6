"""An independent plain-PyTorch implementation of the Caffe VOC FCN nets.

Written straight from voc-fcn{32s,16s,8s,8s-atonce}/net.py with hard-coded
slices; it shares no code with the plugin. ``weights`` is a dict keyed by
Caffe layer names: ``{'conv1_1': (W, b), ..., 'upscore': (W, None)}``.
"""
import torch.nn.functional as F

STAGES = ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3))


def caffe_fcn(weights, x, net):
    def conv(name, h, pad=0):
        w, b = weights[name]
        return F.conv2d(h, w, b, padding=pad)

    def deconv(name, h, stride):
        return F.conv_transpose2d(h, weights[name][0], stride=stride)

    H, W = x.shape[-2:]
    h = x
    pools = {}
    for stage, depth in STAGES:
        for i in range(1, depth + 1):
            pad = 100 if (stage, i) == (1, 1) else 1
            h = F.relu(conv(f'conv{stage}_{i}', h, pad))
        h = F.max_pool2d(h, 2, 2, ceil_mode=True)
        pools[stage] = h
    h = F.relu(conv('fc6', h))  # test phase: dropout is identity
    h = F.relu(conv('fc7', h))
    score_fr = conv('score_fr', h)
    if net == 'fcn32s':
        upscore = deconv('upscore', score_fr, 32)
        return upscore[:, :, 19:19 + H, 19:19 + W]
    atonce = net == 'fcn8s-atonce'
    upscore2 = deconv('upscore2', score_fr, 4 // 2)
    pool4 = pools[4] * 0.01 if atonce else pools[4]
    h2, w2 = upscore2.shape[-2:]
    score_pool4c = conv('score_pool4', pool4)[:, :, 5:5 + h2, 5:5 + w2]
    fuse_pool4 = upscore2 + score_pool4c
    if net == 'fcn16s':
        upscore16 = deconv('upscore16', fuse_pool4, 16)
        return upscore16[:, :, 27:27 + H, 27:27 + W]
    upscore_pool4 = deconv('upscore_pool4', fuse_pool4, 2)
    pool3 = pools[3] * 0.0001 if atonce else pools[3]
    h4, w4 = upscore_pool4.shape[-2:]
    score_pool3c = conv('score_pool3', pool3)[:, :, 9:9 + h4, 9:9 + w4]
    upscore8 = deconv('upscore8', upscore_pool4 + score_pool3c, 8)
    return upscore8[:, :, 31:31 + H, 31:31 + W]


def weights_by_caffe_name(model):
    """Group a segmentor's parameters by Caffe layer name."""
    out = {}
    for key, value in model.state_dict().items():
        layer, kind = key.split('.')[-2:]
        w, b = out.get(layer, (None, None))
        out[layer] = (value, b) if kind == 'weight' else (w, value)
    return out
