"""FCN-AlexNet: the CaffeNet trunk and its FCN-32s head.

The plugin's net, built from its config through MMSeg's registry, is
checked against a functional re-implementation of ``voc-fcn-alexnet/
net.py`` written here from Caffe's layer definitions: the cross-channel LRN
summed by hand, the group-2 convolutions as two separate halves, Caffe's
round-up pooling by explicit padding, the bilinear filter of
``surgery.upsample_filt`` and the final crop offset derived by Caffe's
``coord_map`` rules. Weights come in Caffe files written here (the released
FCN in V2 format, the ImageNet CaffeNet in V1 with InnerProduct fc6/fc7).
"""
import math
from fractions import Fraction
from typing import Dict, List

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from fcn_plugin.converters import WeightFileError, caffe2mmseg, vgg2mmseg
from fcn_plugin.converters.layers import expected_shapes
from fcn_plugin.engine import plan_load
from fcn_plugin.models import net_name_of
from fcn_plugin.models.backbones import AlexNetCaffe
from fcn_plugin.models.decode_heads import FCN32sAlexNetHead
from fcn_plugin.models.net_table import (CAFFE_RELEASES, NET_TITLES,
                                         PREVIOUS_STAGE, lineage,
                                         net_of_layers)
from fcn_plugin.utils.safe_checkpoint import load_from_local
from ..conftest import ROOT, build_model, randomize
from ..test_converters.sources import write_caffemodel

TINY_CFG = ROOT / 'tests' / 'data' / 'tiny_fcn32s_alexnet_voc.py'
#: conv1 .. conv5 widths and fc width of the tiny config (even where the
#: group-2 convs need it).
WIDTHS = (4, 6, 6, 4, 6)
FC = 9
#: (name, kernel, stride, pad, group) of voc-fcn-alexnet/net.py.
CONVS = (('conv1', 11, 4, 100, 1), ('conv2', 5, 1, 2, 2),
         ('conv3', 3, 1, 1, 1), ('conv4', 3, 1, 1, 2),
         ('conv5', 3, 1, 1, 2))
SIZES = ((1, 1), (37, 45), (64, 29))


def build(num_classes: int = 21) -> torch.nn.Module:
    init_default_scope('mmseg')
    model = Config.fromfile(str(TINY_CFG)).model
    model.decode_head.num_classes = num_classes
    return MODELS.build(model)


# --- an independent reference -------------------------------------------


def coord_map_offset() -> int:
    """The crop offset of ``crop(upscore, data)`` by Caffe's coord_map.

    Each layer maps input coordinates to output ones as ``a x + b``: a
    conv or pool with kernel k, stride s, pad p gives ``(1/s, (p - (k -
    1) / 2) / s)``, a deconvolution ``(s, (k - 1) / 2 - p)``; the crop
    offset is minus the ``b`` of data -> upscore.
    """
    a, b = Fraction(1), Fraction(0)
    layers = [('conv', 11, 4, 100), ('conv', 3, 2, 0), ('conv', 5, 1, 2),
              ('conv', 3, 2, 0), ('conv', 3, 1, 1), ('conv', 3, 1, 1),
              ('conv', 3, 1, 1), ('conv', 3, 2, 0), ('conv', 6, 1, 0),
              ('conv', 1, 1, 0), ('conv', 1, 1, 0), ('deconv', 63, 32, 0)]
    for kind, k, s, p in layers:
        if kind == 'conv':
            la, lb = Fraction(1, s), Fraction(2 * p - (k - 1), 2 * s)
        else:
            la, lb = Fraction(s), Fraction(k - 1, 2) - p
        a, b = la * a, la * b + lb
    assert a == 1 and b.denominator == 1
    return int(b)


def upsample_filt(size: int) -> np.ndarray:
    """``surgery.upsample_filt`` of the reference, for any kernel size."""
    factor = (size + 1) // 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    og = np.ogrid[:size, :size]
    return ((1 - abs(og[0] - center) / factor) *
            (1 - abs(og[1] - center) / factor))


def lrn(x: torch.Tensor, size: int = 5, alpha: float = 1e-4,
        beta: float = 0.75) -> torch.Tensor:
    """Caffe's ACROSS_CHANNELS LRN, summed channel by channel."""
    sq = x.pow(2)
    half = (size - 1) // 2
    out = torch.empty_like(x)
    for c in range(x.shape[1]):
        lo, hi = max(0, c - half), min(x.shape[1], c + half + 1)
        scale = 1 + alpha / size * sq[:, lo:hi].sum(1)
        out[:, c] = x[:, c] / scale.pow(beta)
    return out


def caffe_max_pool(x: torch.Tensor, k: int = 3, s: int = 2) -> torch.Tensor:
    """Caffe's pooling: ceil((H - k) / s) + 1 outputs, windows cut at the
    border (padding with -inf on the bottom / right)."""
    h, w = x.shape[-2:]
    oh, ow = (math.ceil((h - k) / s) + 1, math.ceil((w - k) / s) + 1)
    need_h, need_w = (oh - 1) * s + k, (ow - 1) * s + k
    x = F.pad(x, (0, need_w - w, 0, need_h - h), value=-math.inf)
    return F.max_pool2d(x, k, s)


def conv(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, stride: int,
         pad: int, group: int) -> torch.Tensor:
    """A Caffe convolution; a group-2 one as two convolutions of halves."""
    if group == 1:
        return F.conv2d(x, w, b, stride=stride, padding=pad)
    xs, ws, bs = x.chunk(group, 1), w.chunk(group, 0), b.chunk(group, 0)
    return torch.cat([
        F.conv2d(xi, wi, bi, stride=stride, padding=pad)
        for xi, wi, bi in zip(xs, ws, bs)
    ], 1)


def reference_logits(p: Dict[str, List[torch.Tensor]],
                     x: torch.Tensor) -> torch.Tensor:
    """voc-fcn-alexnet at test time (dropout off) on input ``x``."""
    for name, k, s, pad, group in CONVS:
        x = F.relu(conv(x, *p[name], s, pad, group))
        if name in ('conv1', 'conv2', 'conv5'):
            x = caffe_max_pool(x)
            if name != 'conv5':
                x = lrn(x)
    x = F.relu(F.conv2d(x, *p['fc6']))
    x = F.relu(F.conv2d(x, *p['fc7']))
    x = F.conv2d(x, *p['score_fr'])
    up = F.conv_transpose2d(x, p['upscore'][0], stride=32)
    off = coord_map_offset()
    return up[:, :, off:off + p['h'], off:off + p['w']]


def caffe_params(model: torch.nn.Module) -> Dict[str, List[torch.Tensor]]:
    """The model's weights by Caffe layer name."""
    out: Dict[str, List[torch.Tensor]] = {}
    for key, value in model.state_dict().items():
        out.setdefault(key.split('.')[-2], []).append(value)
    return out


def random_caffe_weights(num_classes=21, seed=0, fc_matrix=False,
                         with_head=True) -> Dict[str, List[np.ndarray]]:
    """Random Caffe-layout weights of the tiny FCN-AlexNet (or CaffeNet)."""
    rng = np.random.default_rng(seed)

    def rand(*shape, scale=0.3):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    out, cin = {}, 3
    for (name, k, _, _, group), cout in zip(CONVS, WIDTHS):
        out[name] = [rand(cout, cin // group, k, k), rand(cout, scale=0.1)]
        cin = cout
    out['fc6'] = [rand(FC, cin, 6, 6, scale=0.1), rand(FC, scale=0.1)]
    out['fc7'] = [rand(FC, FC, 1, 1), rand(FC, scale=0.1)]
    if fc_matrix:  # ImageNet CaffeNet: InnerProduct fc6 / fc7 / fc8
        out['fc6'][0] = out['fc6'][0].reshape(FC, -1)
        out['fc7'][0] = out['fc7'][0].reshape(FC, FC)
        out['fc8'] = [rand(7, FC), rand(7)]
    if with_head:
        out['score_fr'] = [rand(num_classes, FC, 1, 1), rand(num_classes)]
        out['upscore'] = [rand(num_classes, num_classes, 63, 63, scale=0.1)]
    return out


# --- the net ----------------------------------------------------------------


def test_declared_once_and_in_every_table():
    assert FCN32sAlexNetHead.trunk is AlexNetCaffe
    assert FCN32sAlexNetHead.final_crop_offset == coord_map_offset() == 18
    assert lineage('fcn32s-alexnet') == ['fcn32s-alexnet', 'caffenet']
    assert PREVIOUS_STAGE['fcn32s-alexnet'] == 'caffenet'
    assert NET_TITLES['fcn32s-alexnet'] == 'FCN-AlexNet'
    assert CAFFE_RELEASES['fcn32s-alexnet'] == 'fcn-alexnet-pascal.caffemodel'
    assert CAFFE_RELEASES['caffenet'] == 'bvlc_reference_caffenet.caffemodel'
    # CaffeNet layers are told apart from VGG16's by their conv names.
    assert net_of_layers(['conv1', 'conv5', 'fc6', 'fc7', 'score_fr',
                          'upscore']) == 'fcn32s-alexnet'
    assert net_of_layers(['conv1', 'conv5', 'fc6', 'fc7']) == 'caffenet'
    assert net_of_layers(['conv1_1', 'conv5_3', 'fc7',
                          'score_fr']) == 'fcn32s'
    model = build()
    assert net_name_of(model) == 'fcn32s-alexnet'
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == expected_shapes('fcn32s-alexnet', WIDTHS, FC, 21)
    assert shapes['backbone.conv2.weight'] == (6, 2, 5, 5)  # group 2
    assert shapes['backbone.fc6.weight'] == (FC, 6, 6, 6)
    # The VGG16 FCN-32s keeps its own upscore (64 / 32, crop 19).
    vgg = build_model('fcn32s')
    assert vgg.decode_head.upscore.kernel_size == (64, 64)
    assert net_name_of(vgg) == 'fcn32s'


def test_odd_bilinear_kernel():
    head = build().decode_head
    weight = head.upscore.weight.detach()
    assert weight.shape == (21, 21, 63, 63)
    filt = torch.from_numpy(upsample_filt(63)).float()
    assert torch.equal(weight[3, 3], filt)
    assert not weight[3, 4].any()
    # Peak 1 at the centre tap 31, symmetric, 1/32 steps.
    assert filt[31, 31] == 1 and torch.equal(filt, filt.flip(0).flip(1))
    assert filt[31, 30] == pytest.approx(31 / 32)
    assert not head.upscore.weight.requires_grad
    assert head.upscore.bias is None


@pytest.mark.parametrize('size', SIZES)
def test_logits_equal_the_reference(size):
    model = randomize(build(), seed=5).eval()
    x = torch.randn(1, 3, *size) * 50
    with torch.no_grad():
        ours = model.decode_head.forward(model.backbone(x), size)
        p = caffe_params(model)
        p.update(h=size[0], w=size[1])
        ref = reference_logits(p, x)
    assert ours.shape == (1, 21, *size)
    # LRN makes every wrong channel window or missing normalisation show.
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4)


def test_lrn_and_groups_matter():
    """The reference tells a wrong net apart (no LRN, no groups)."""
    model = randomize(build(), seed=6).eval()
    size = (37, 45)
    x = torch.randn(1, 3, *size) * 50
    p = caffe_params(model)
    p.update(h=size[0], w=size[1])
    with torch.no_grad():
        ref = reference_logits(p, x)
        model.backbone.norm = torch.nn.Identity()
        no_lrn = model.decode_head.forward(model.backbone(x), size)
    assert not torch.allclose(no_lrn, ref, rtol=1e-3, atol=1e-3)
    with pytest.raises(ValueError, match='even input and output widths'):
        AlexNetCaffe(stage_channels=(5, 6, 6, 4, 6))


def test_widths_and_sizes():
    assert AlexNetCaffe.output_size('fc7', 1) == 1
    # 500: conv1 (500 + 200 - 11) // 4 + 1 = 173; pools 86, 43, 21; fc6 16
    assert AlexNetCaffe.output_size('pool5', 500) == 21
    assert AlexNetCaffe.output_size('fc7', 500) == 16
    backbone = AlexNetCaffe(stage_channels=WIDTHS, fc_channels=FC,
                            out_indices=(0, 1, 2, 3)).eval()
    outs = backbone(torch.randn(1, 3, 61, 47))
    for name, out in zip(('pool1', 'pool2', 'pool5', 'fc7'), outs):
        assert tuple(out.shape[-2:]) == (
            AlexNetCaffe.output_size(name, 61),
            AlexNetCaffe.output_size(name, 47)), name


# --- weights ----------------------------------------------------------------


def test_released_fcn_alexnet_converts(tmp_path):
    weights = random_caffe_weights(seed=1)
    src = write_caffemodel(tmp_path / 'fcn-alexnet-pascal.caffemodel',
                           weights, extra=[('relu1', 'ReLU')])
    dst = tmp_path / 'fcn32s_alexnet.pth'
    meta = caffe2mmseg(str(src), str(dst))
    assert meta['fcn_net'] == 'fcn32s-alexnet'
    ckpt = load_from_local(str(dst))
    state = ckpt['state_dict']
    model = build()
    model.load_state_dict(state)
    model.eval()
    size = (37, 45)
    x = torch.randn(1, 3, *size) * 50
    p = {k: [torch.from_numpy(a) for a in v] for k, v in weights.items()}
    p.update(h=size[0], w=size[1])
    with torch.no_grad():
        ours = model.decode_head.forward(model.backbone(x), size)
        ref = reference_logits(p, x)
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4)
    # Asking for a VGG16 net is refused with what the file holds.
    with pytest.raises(WeightFileError, match='FCN-AlexNet'):
        caffe2mmseg(str(src), str(tmp_path / 'x.pth'), net='fcn32s')


def test_imagenet_caffenet_converts_and_stages(tmp_path):
    weights = random_caffe_weights(seed=2, fc_matrix=True, with_head=False)
    src = write_caffemodel(tmp_path / 'bvlc_reference_caffenet.caffemodel',
                           weights, v1=True)
    dst = tmp_path / 'caffenet_caffe_fcn.pth'
    meta = caffe2mmseg(str(src), str(dst))
    assert meta['fcn_net'] == 'caffenet'
    assert any(n.startswith('fc8') and 'dropped' in n for n in meta['notes'])
    state = load_from_local(str(dst))['state_dict']
    fc6 = torch.from_numpy(weights['fc6'][0]).reshape(FC, WIDTHS[-1], 6, 6)
    assert torch.equal(state['backbone.fc6.weight'], fc6)
    assert torch.equal(state['backbone.conv4.weight'],
                       torch.from_numpy(weights['conv4'][0]))
    # The trunk file starts FCN-AlexNet (staged): zero score_fr and
    # bilinear upscore are kept.
    model = build()
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    plan = plan_load(shapes, 'fcn32s-alexnet', state, str(dst),
                     load_from_local(str(dst))['meta'], staged=True)
    assert plan.source_net == 'caffenet'
    assert set(plan.kept) == {'decode_head.score_fr.weight',
                              'decode_head.score_fr.bias',
                              'decode_head.upscore.weight'}
    # A VGG16 trunk file is another trunk: refused, both named.
    vgg = {k: v for k, v in build_model('fcn32s').state_dict().items()
           if k.startswith('backbone.')}
    with pytest.raises(WeightFileError, match='VGG16 trunk.*CaffeNet'):
        plan_load(shapes, 'fcn32s-alexnet', vgg, 'vgg16.pth',
                  dict(fcn_net='vgg16'), staged=True)


def torchvision_alexnet_state_dict() -> Dict[str, torch.Tensor]:
    """torchvision ``alexnet()`` keys and shapes (random values)."""
    sd = {}
    convs = ((0, 64, 3, 11), (3, 192, 64, 5), (6, 384, 192, 3),
             (8, 256, 384, 3), (10, 256, 256, 3))
    for idx, cout, cin, k in convs:
        sd[f'features.{idx}.weight'] = torch.randn(cout, cin, k, k)
        sd[f'features.{idx}.bias'] = torch.randn(cout)
    for idx, cout, cin in ((1, 32, 256 * 36), (4, 32, 32), (6, 10, 32)):
        sd[f'classifier.{idx}.weight'] = torch.randn(cout, cin)
        sd[f'classifier.{idx}.bias'] = torch.randn(cout)
    return sd


def test_torchvision_alexnet_is_refused(tmp_path):
    sd = torchvision_alexnet_state_dict()
    src = tmp_path / 'alexnet-owt-7be5be79.pth'
    torch.save(sd, src)
    with pytest.raises(WeightFileError) as err:
        vgg2mmseg(str(src), str(tmp_path / 'out.pth'))
    msg = str(err.value)
    assert "torchvision's AlexNet" in msg and 'no LRN' in msg
    assert '64/192/384/256/256' in msg
    assert 'bvlc_reference_caffenet.caffemodel' in msg
    assert not (tmp_path / 'out.pth').exists()
    model = build()
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    with pytest.raises(WeightFileError, match="torchvision's AlexNet"):
        plan_load(shapes, 'fcn32s-alexnet', sd, str(src), staged=True)
