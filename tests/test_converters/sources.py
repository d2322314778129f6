"""Synthetic weight files in the real source formats, and references.

Random values at the narrow test widths (``TINY_WIDTHS``) with the exact
VGG16 geometry. Caffe files are encoded with the project's schema in its
``typed`` form (packed floats, exactly as Caffe writes them).
"""
import runpy
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from fcn_plugin.converters.caffe_proto import caffe_messages
from ..conftest import MODEL_CFGS, ROOT, TINY_HEAD_CHANNELS, TINY_WIDTHS

TOOLS = ROOT / 'tools' / 'model_converters'
CONVS = ('conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1', 'conv3_2',
         'conv3_3', 'conv4_1', 'conv4_2', 'conv4_3', 'conv5_1', 'conv5_2',
         'conv5_3')
TV_FEATURES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
HEADS = {
    'vgg16': (),
    'fcn32s': ('score_fr', 'upscore'),
    'fcn16s': ('score_fr', 'upscore2', 'score_pool4', 'upscore16'),
    'fcn8s': ('score_fr', 'upscore2', 'score_pool4', 'upscore_pool4',
              'score_pool3', 'upscore8'),
}
HEADS['fcn8s-atonce'] = HEADS['fcn8s']
KERNELS = {'upscore': 64, 'upscore2': 4, 'upscore16': 32,
           'upscore_pool4': 4, 'upscore8': 16}
SCORE_IN = {'score_fr': 'fc', 'score_pool4': 3, 'score_pool3': 2}


def caffe_weights(net, num_classes=21, seed=0, fc_matrix=False):
    """Random Caffe-layout weights ``{layer: [W, b]}`` (numpy float32).

    Conv weights are out x in x kh x kw; Deconvolution weights in x out x
    k x k with no bias; with ``fc_matrix`` fc6/fc7 are InnerProduct
    matrices (out x in) as in the ILSVRC VGG16 model.
    """
    rng = np.random.default_rng(seed)
    widths = TINY_WIDTHS['stage_channels']
    fc = TINY_WIDTHS['fc_channels']

    def rand(*shape, scale=0.3):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    out = {}
    cin = 3
    for name in CONVS:
        cout = widths[int(name[4]) - 1]
        out[name] = [rand(cout, cin, 3, 3), rand(cout, scale=0.1)]
        cin = cout
    out['fc6'] = [rand(fc, cin, 7, 7, scale=0.1), rand(fc, scale=0.1)]
    out['fc7'] = [rand(fc, fc, 1, 1), rand(fc, scale=0.1)]
    if fc_matrix:
        out['fc6'][0] = out['fc6'][0].reshape(fc, -1)
        out['fc7'][0] = out['fc7'][0].reshape(fc, fc)
    for name in HEADS[net]:
        if name in KERNELS:
            k = KERNELS[name]
            out[name] = [rand(num_classes, num_classes, k, k)]
        else:
            src = SCORE_IN[name]
            cin = fc if src == 'fc' else widths[src]
            out[name] = [rand(num_classes, cin, 1, 1), rand(num_classes)]
    return out


#: The Caffe suffixes of the two-head SIFT Flow nets (siftflow-fcn*/net.py).
TWO_HEAD_SUFFIXES = ('_sem', '_geo')


def two_head_caffe_weights(net, classes=(33, 3), seed=0):
    """Random Caffe-layout weights of a two-head net (SIFT Flow layout).

    The trunk once, then the head layers of ``net`` for each head with its
    suffix (``score_fr_sem`` ... with ``classes[0]`` rows, then
    ``score_fr_geo`` ... with ``classes[1]``), in the order of the
    reference's ``net.py``.
    """
    out = caffe_weights('vgg16', seed=seed)
    for i, (suffix, num) in enumerate(zip(TWO_HEAD_SUFFIXES, classes)):
        head = caffe_weights(net, num_classes=num, seed=seed + 101 * (i + 1))
        for name in HEADS[net]:
            out[name + suffix] = head[name]
    return out


def two_head_cfg(net, classes=(33, 3), tiny=True):
    """The model dict of a two-head config on ``net``'s base config.

    The config text a user writes: ``_base_`` the one-head model config,
    ``type='TwoHeadEncoderDecoder'`` and the geometric head as changes;
    at the tiny test widths unless ``tiny`` is False.
    """
    from mmengine.config import Config
    text = (
        f"_base_ = ['{MODEL_CFGS[net]}']\n"
        "model = dict(type='TwoHeadEncoderDecoder',\n"
        f"             decode_head=dict(num_classes={classes[0]}, "
        "loss_decode=dict(loss_name='loss_sem')),\n"
        f"             geo_head=dict(num_classes={classes[1]}, "
        "loss_decode=dict(loss_name='loss_geo')))\n")
    model = Config.fromstring(text, '.py').model
    if tiny:
        model.backbone.update(TINY_WIDTHS)
        model.decode_head.in_channels = TINY_HEAD_CHANNELS[net]
    return model


def build_two_head(net, classes=(33, 3), **kwargs):
    """A ``TwoHeadEncoderDecoder`` built through MMSeg's registry."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    return MODELS.build(two_head_cfg(net, classes, **kwargs))


def _fill_blob(blob, array, legacy):
    if legacy:  # V1 files: 4-D num/channels/height/width, left-padded
        dims = (1, ) * (4 - array.ndim) + array.shape
        blob.num, blob.channels, blob.height, blob.width = dims
    else:
        blob.shape.dim.extend(array.shape)
    blob.data.extend(array.ravel().tolist())


def write_caffemodel(path, weights, v1=False, extra=(), name='net'):
    """Encode ``weights`` as a binary ``.caffemodel``.

    Args:
        weights (dict): ``{layer: [arrays]}``; layer types follow the
            names (fc6/fc7/fc8 matrices -> InnerProduct, upscore* ->
            Deconvolution, scale_* -> Scale, else Convolution).
        v1 (bool): Old ``layers`` (V1, enum types, 4-D blob dims) instead
            of ``layer`` (V2, string types, BlobShape).
        extra (Sequence[tuple]): Parameter-free layers (name, type) added
            after the first layer, e.g. ('relu1_1', 'ReLU').
    """
    msgs = caffe_messages(raw=False)
    net = msgs['NetParameter'](name=name)
    enum = msgs['V1LayerParameter'].LayerType
    v1_types = {'Convolution': 'CONVOLUTION', 'InnerProduct':
                'INNER_PRODUCT', 'Deconvolution': 'DECONVOLUTION',
                'ReLU': 'RELU', 'Pooling': 'POOLING', 'Data': 'DATA',
                'Softmax': 'SOFTMAX', 'Dropout': 'DROPOUT'}
    layers = list(weights.items())
    entries = layers[:1] + [(n, t) for n, t in extra] + layers[1:]
    for lname, value in entries:
        if isinstance(value, str):
            ltype, blobs = value, []
        else:
            blobs = value
            if lname.startswith('upscore'):
                ltype = 'Deconvolution'
            elif lname.startswith('scale'):
                ltype = 'Scale'
            elif blobs[0].ndim == 2:
                ltype = 'InnerProduct'
            else:
                ltype = 'Convolution'
        if v1:
            layer = net.layers.add(name=lname,
                                   type=enum.Value(v1_types[ltype]))
        else:
            layer = net.layer.add(name=lname, type=ltype)
        for array in blobs:
            _fill_blob(layer.blobs.add(), np.asarray(array, np.float32), v1)
    Path(path).write_bytes(net.SerializeToString())
    return path


def torchvision_state_dict(weights, fc8_classes=11):
    """A torchvision-layout VGG16 state dict from Caffe-layout weights."""
    sd = {}
    for idx, name in zip(TV_FEATURES, CONVS):
        sd[f'features.{idx}.weight'] = torch.from_numpy(weights[name][0])
        sd[f'features.{idx}.bias'] = torch.from_numpy(weights[name][1])
    for idx, name in ((0, 'fc6'), (3, 'fc7')):
        w, b = weights[name]
        sd[f'classifier.{idx}.weight'] = torch.from_numpy(
            w.reshape(w.shape[0], -1))
        sd[f'classifier.{idx}.bias'] = torch.from_numpy(b)
    fc = weights['fc7'][1].shape[0]
    sd['classifier.6.weight'] = torch.randn(fc8_classes, fc)
    sd['classifier.6.bias'] = torch.randn(fc8_classes)
    return sd


def torchfcn_state_dict(weights):
    """A pytorch-fcn state dict (keys = Caffe layer names)."""
    sd = {}
    for name, blobs in weights.items():
        sd[f'{name}.weight'] = torch.from_numpy(blobs[0])
        if len(blobs) > 1:
            sd[f'{name}.bias'] = torch.from_numpy(blobs[1])
    return sd


def run_tool(name, *args):
    """Run ``tools/model_converters/<name>.py`` in-process; exit code."""
    argv = sys.argv
    sys.argv = [str(TOOLS / f'{name}.py')] + [str(a) for a in args]
    try:
        runpy.run_path(sys.argv[0], run_name='__main__')
    except SystemExit as exc:
        return exc.code
    finally:
        sys.argv = argv
    return 0


def reference_trunk(weights, x):
    """pool3, pool4, fc7 straight from Caffe-layout source arrays.

    fc6/fc7 are applied as the fully connected layers they are in the
    source (a matrix product over every 7x7 / 1x1 window, in the C, H, W
    order Caffe and torchvision flatten in), not as reshaped convs.
    """
    t = {k: [torch.from_numpy(np.asarray(a)) for a in v]
         for k, v in weights.items()}
    h = x
    pools = []
    for stage, depth in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)):
        for i in range(1, depth + 1):
            w, b = t[f'conv{stage}_{i}']
            pad = 100 if (stage, i) == (1, 1) else 1
            h = F.relu(F.conv2d(h, w, b, padding=pad))
        h = F.max_pool2d(h, 2, 2, ceil_mode=True)
        pools.append(h)
    for name, k in (('fc6', 7), ('fc7', 1)):
        w, b = t[name]
        n, _, hh, ww = h.shape
        cols = F.unfold(h, k)  # (N, C*k*k, L), C-major like the flatten
        out = w.reshape(w.shape[0], -1) @ cols + b[:, None]
        h = F.relu(out.reshape(n, -1, hh - k + 1, ww - k + 1))
    return pools[2], pools[3], h


def as_reference_weights(weights):
    """Source arrays as ``fcn_tools.reference_fcn.caffe_fcn`` takes them."""
    out = {}
    for name, blobs in weights.items():
        w = torch.from_numpy(np.asarray(blobs[0]))
        b = torch.from_numpy(blobs[1]) if len(blobs) > 1 else None
        out[name] = (w, b)
    return out


def segmentor_logits(model, x):
    """Cropped logits of a plugin segmentor for input ``x`` (eval mode)."""
    h, w = x.shape[-2:]
    metas = [dict(img_shape=(h, w), pad_shape=(h, w), ori_shape=(h, w))]
    model.eval()
    with torch.no_grad():
        return model.encode_decode(x, metas)


def assert_close(actual, expected):
    """Equal within 1e-5 relative to the largest reference magnitude."""
    assert actual.shape == expected.shape
    scale = expected.abs().max().clamp_min(1e-12)
    err = (actual - expected).abs().max() / scale
    assert err < 1e-5, f'relative error {err:.3g}'
