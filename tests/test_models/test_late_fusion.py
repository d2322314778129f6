"""The NYUDv2 late-fusion net and the early-fusion conv1_1 widening.

The late-fusion segmentor is checked against the reference's own
construction (``nyud-fcn32s-color-hha/net.py``), written here: each
stream's ``score_fr`` computed by the independent bare FCN, the scores
summed with 0.5 / 0.5 *before* one bilinear upscore and the crop. For the
FCN-16s upgrade the same fusion is applied at ``score_fr`` and
``score_pool4``. Weights come through a Caffe file with the reference's
suffixed layer names.
"""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from fcn_plugin.converters import WeightFileError, caffe2mmseg
from fcn_plugin.engine import plan_load
from fcn_plugin.engine.streams import plan_streams
from fcn_plugin.engine.weight_check import check_input
from fcn_plugin.models import net_name_of
from fcn_plugin.utils.safe_checkpoint import load_from_local
from fcn_tools.reference_fcn import BareFCN, weights_by_caffe_name
from ..conftest import TINY_WIDTHS, model_cfg, randomize
from ..test_converters.sources import write_caffemodel

STREAMS = ('color', 'hha')
CLASSES = 40
COLOR_MEAN = [116.190, 97.203, 92.318]
HHA_MEAN = [132.431, 94.076, 118.477]


def fusion_cfg(net: str = 'fcn32s', **kwargs):
    cfg = model_cfg(net, num_classes=CLASSES)
    cfg.type = 'LateFusionEncoderDecoder'
    cfg.streams = STREAMS
    cfg.data_preprocessor = dict(
        type='RGBDDataPreProcessor',
        modalities=[('color', dict(mean=COLOR_MEAN)),
                    ('hha', dict(mean=HHA_MEAN))],
        pad_val=0, seg_pad_val=255, size_divisor=1)
    cfg.update(kwargs)
    return cfg


def build(net: str = 'fcn32s', **kwargs):
    init_default_scope('mmseg')
    return MODELS.build(fusion_cfg(net, **kwargs))


def suffixed_weights(model):
    """The model's weights by the reference's Caffe names
    (``conv1_1color``, ``score_frhha``; one shared ``upscore*``)."""
    out = {}
    for stream, (trunk, head) in model.stream_attrs.items():
        for attr in (trunk, head):
            for key, value in getattr(model, attr).state_dict().items():
                layer, kind = key.split('.')[-2:]
                name = layer if layer.startswith('upscore') else layer + stream
                out.setdefault(name, {})[kind] = value
    return {k: [v['weight']] + ([v['bias']] if 'bias' in v else [])
            for k, v in out.items()}


@torch.no_grad()
def caffe_late_fusion(weights, x, net):
    """The reference's late fusion: scores summed 0.5 / 0.5, then one
    upsampling path with the shared (unsuffixed) upscore layers."""
    h, w = x.shape[-2:]
    scores = {}
    for i, stream in enumerate(STREAMS):
        bare = BareFCN(net, num_classes=CLASSES, dropout_ratio=0.,
                       **TINY_WIDTHS).eval()
        plain = {name[:-len(stream)]: (v[0], v[1] if len(v) > 1 else None)
                 for name, v in weights.items() if name.endswith(stream)}
        plain.update({n: (v[0], None) for n, v in weights.items()
                      if n.startswith('upscore')})
        bare.load_caffe_weights(plain)
        pool3, pool4, drop7 = bare.trunk(x[:, 3 * i:3 * i + 3])
        for name, feat in (('score_fr', drop7), ('score_pool4', pool4)):
            if hasattr(bare, name):
                scores[name] = scores.get(name, 0) + 0.5 * getattr(
                    bare, name)(feat)
    if net == 'fcn32s':
        up = F.conv_transpose2d(scores['score_fr'], weights['upscore'][0],
                                stride=32)
        return up[:, :, 19:19 + h, 19:19 + w]
    up2 = F.conv_transpose2d(scores['score_fr'], weights['upscore2'][0],
                             stride=2)
    uh, uw = up2.shape[-2:]
    fuse = up2 + scores['score_pool4'][:, :, 5:5 + uh, 5:5 + uw]
    up16 = F.conv_transpose2d(fuse, weights['upscore16'][0], stride=16)
    return up16[:, :, 27:27 + h, 27:27 + w]


@pytest.mark.parametrize('net,size', [('fcn32s', (1, 1)),
                                      ('fcn32s', (37, 45)),
                                      ('fcn16s', (64, 29)),
                                      ('fcn16s', (1, 1))])
def test_logits_equal_the_reference_fusion(net, size):
    model = randomize(build(net), seed=7).eval()
    assert model.stream_attrs == {'color': ('backbone', 'decode_head'),
                                  'hha': ('hha_backbone', 'hha_head')}
    assert net_name_of(model) == net
    x = torch.randn(1, 6, *size) * 40
    metas = [dict(img_shape=size, ori_shape=size)]
    with torch.no_grad():
        ours = model.encode_decode(x, metas)
    ref = caffe_late_fusion(suffixed_weights(model), x, net)
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4)
    # Each stream contributes: the colour stream alone is another map.
    alone = model.stream_logits(x, metas)['color']
    assert not torch.allclose(alone * 0.5, ours, atol=1e-3)


@pytest.mark.parametrize('net', ['fcn32s', 'fcn16s'])
def test_fused_scores_are_upsampled_once(net):
    """As the reference: one upscore after ``score_fused``, not one per
    stream (each upscore layer runs once per forward, on the fused map)."""
    model = randomize(build(net), seed=3).eval()
    calls = {}
    for name, module in model.decode_head.named_children():
        if name.startswith('upscore'):
            module.register_forward_hook(
                lambda m, i, o, name=name: calls.__setitem__(
                    name, calls.get(name, 0) + 1))
    x = torch.randn(2, 6, 37, 45) * 40
    with torch.no_grad():
        model.encode_decode(x, [dict(img_shape=(37, 45))] * 2)
        model(x, mode='tensor')
    assert calls and set(calls.values()) == {2}, calls


def test_loss_is_the_fused_loss():
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    model = randomize(build(), seed=8).train()
    x = torch.randn(1, 6, 37, 45) * 40
    sample = SegDataSample(metainfo=dict(img_shape=(37, 45)))
    sample.gt_sem_seg = PixelData(
        data=torch.randint(0, CLASSES, (1, 37, 45)))
    torch.manual_seed(0)
    losses = model.loss(x, [sample])
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}
    model.eval()
    logits = model.encode_decode(x, [dict(img_shape=(37, 45))])
    want = F.cross_entropy(logits, sample.gt_sem_seg.data, reduction='sum')
    torch.testing.assert_close(
        model.eval().loss(x, [sample])['decode.loss_ce'], want, rtol=1e-4,
        atol=1e-3)


def test_one_upsampling_path_and_bad_settings():
    model = build('fcn16s')
    for layer in ('upscore2', 'upscore16'):
        assert getattr(model.hha_head, layer) is getattr(
            model.decode_head, layer)
    assert model.hha_head.score_fr is not model.decode_head.score_fr
    assert model.hha_backbone.conv1_1 is not model.backbone.conv1_1
    with pytest.raises(ValueError, match='fusion_weights'):
        build(fusion_weights=(1., ))
    model = build()
    with pytest.raises(ValueError, match='stack the modalities'):
        model.encode_decode(torch.zeros(1, 3, 9, 9),
                            [dict(img_shape=(9, 9))])


def test_caffe_release_converts_stream_by_stream(tmp_path):
    model = randomize(build(), seed=9).eval()
    weights = {k: [t.numpy() for t in v]
               for k, v in suffixed_weights(model).items()}
    # The file's layer order: the colour stream, the HHA stream, upscore.
    ordered = {k: weights[k] for k in sorted(
        weights, key=lambda n: (not n.endswith('color'),
                                n.startswith('upscore')))}
    src = write_caffemodel(
        tmp_path / 'nyud-fcn32s-color-hha-heavy.caffemodel', ordered)
    dst = tmp_path / 'fcn32s_nyud-rgb-hha.pth'
    meta = caffe2mmseg(str(src), str(dst))
    assert meta['fcn_net'] == 'fcn32s' and meta['streams'] == list(STREAMS)
    assert meta['modalities'] == list(STREAMS)
    assert meta['input']['mean'] == pytest.approx(COLOR_MEAN + HHA_MEAN)
    assert meta['dataset_meta']['classes'][0] == 'wall'
    # its streams name the modalities: --modality is refused, nothing written
    with pytest.raises(WeightFileError, match='leave it out'):
        caffe2mmseg(str(src), str(tmp_path / 'm.pth'), modality='hha')
    assert not (tmp_path / 'm.pth').exists()
    state = load_from_local(str(dst))['state_dict']
    fresh = build().eval()
    fresh.load_state_dict(state)
    x = torch.randn(1, 6, 37, 45) * 40
    metas = [dict(img_shape=(37, 45))]
    with torch.no_grad():
        torch.testing.assert_close(fresh.encode_decode(x, metas),
                                   model.encode_decode(x, metas))
    # The checkpoint passes the stream-by-stream check of the hook.
    shapes = {k: tuple(v.shape) for k, v in fresh.state_dict().items()}
    plan = plan_streams(shapes, 'fcn32s', state, str(dst),
                        fresh.stream_attrs, meta)
    assert not plan.dropped and len(plan.copied) == len(shapes)
    # A one-stream file is not a late-fusion checkpoint.
    one = {k: v for k, v in state.items()
           if k.split('.')[0] in ('backbone', 'decode_head')}
    with pytest.raises(WeightFileError, match='stream_init'):
        plan_streams(shapes, 'fcn32s', one, 'color.pth', fresh.stream_attrs)
    with pytest.raises(WeightFileError, match=r"streams \['hha', 'color'\]"):
        plan_streams(shapes, 'fcn32s', state, 'x.pth', fresh.stream_attrs,
                     dict(meta, streams=['hha', 'color']))
    # The HHA release alone: --modality hha records the HHA mean.
    hha = {k[:-3] if not k.startswith('upscore') else k: v
           for k, v in ordered.items() if not k.endswith('color')}
    src = write_caffemodel(tmp_path / 'nyud-fcn32s-hha-heavy.caffemodel',
                           hha)
    meta = caffe2mmseg(str(src), str(tmp_path / 'hha.pth'), modality='hha')
    assert meta['input']['mean'] == pytest.approx(HHA_MEAN)
    assert 'streams' not in meta
    # Converted without --modality it records the colour mean, which an
    # HHA config refuses, naming the option.
    plain = caffe2mmseg(str(src), str(tmp_path / 'plain.pth'))
    assert plain['input']['mean'] == pytest.approx(COLOR_MEAN)
    cfg = model_cfg('fcn32s', num_classes=CLASSES)
    cfg.data_preprocessor = dict(type='RGBDDataPreProcessor',
                                 modalities=[('hha', dict(mean=HHA_MEAN))])
    init_default_scope('mmseg')
    with pytest.raises(WeightFileError, match='--modality hha'):
        check_input(plain, MODELS.build(cfg), 'plain.pth')


def test_early_fusion_widens_conv1_1():
    cfg = model_cfg('fcn32s', num_classes=CLASSES)
    cfg.backbone.in_channels = 4
    init_default_scope('mmseg')
    model = MODELS.build(cfg)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    trunk = {k: torch.randn(*v) for k, v in shapes.items()
             if k.startswith('backbone.')}
    trunk['backbone.conv1_1.weight'] = torch.randn(4, 3, 3, 3)
    plan = plan_load(shapes, 'fcn32s', trunk, 'vgg16.pth',
                     dict(fcn_net='vgg16'), staged=True)
    wide = plan.widened['backbone.conv1_1.weight']
    assert wide.shape == (4, 4, 3, 3)
    assert torch.equal(wide[:, :3], trunk['backbone.conv1_1.weight'])
    torch.testing.assert_close(wide[:, 3],
                               trunk['backbone.conv1_1.weight'].mean(1))
    assert 'widened to 4 input channels' in plan.describe('vgg16.pth',
                                                          'fcn32s')
    # Testing needs the same net: no widening then.
    with pytest.raises(WeightFileError, match='conv1_1'):
        plan_load(shapes, 'fcn32s', trunk, 'vgg16.pth',
                  dict(fcn_net='vgg16'), staged=False)


@pytest.mark.parametrize('size', [(1, 1), (37, 45), (64, 29)])
def test_early_fusion_logits_equal_the_reference(size):
    """nyud-fcn32s-color-d: BGR and log-depth into a 4-channel conv1_1."""
    cfg = model_cfg('fcn32s', num_classes=CLASSES)
    cfg.backbone.in_channels = 4
    init_default_scope('mmseg')
    model = randomize(MODELS.build(cfg), seed=12).eval()
    bare = BareFCN('fcn32s', num_classes=CLASSES, dropout_ratio=0.,
                   in_channels=4, **TINY_WIDTHS).eval()
    bare.load_caffe_weights(weights_by_caffe_name(model))
    x = torch.randn(1, 4, *size) * 40
    with torch.no_grad():
        ours = model.encode_decode(x, [dict(img_shape=size)])
        torch.testing.assert_close(ours, bare(x), rtol=1e-4, atol=1e-4)


def test_conv1_1_bgrd_converts(tmp_path):
    """A Caffe color-d net's 4-channel conv1_1_bgrd is the trunk's
    conv1_1."""
    cfg = model_cfg('fcn32s', num_classes=CLASSES)
    cfg.backbone.in_channels = 4
    init_default_scope('mmseg')
    model = randomize(MODELS.build(cfg), seed=3)
    weights = {}
    for key, value in model.state_dict().items():
        layer = key.split('.')[-2]
        layer = 'conv1_1_bgrd' if layer == 'conv1_1' else layer
        weights.setdefault(layer, []).append(value.numpy())
    src = write_caffemodel(tmp_path / 'color-d.caffemodel',
                           copy.deepcopy(weights))
    meta = caffe2mmseg(str(src), str(tmp_path / 'rgbd.pth'))
    state = load_from_local(str(tmp_path / 'rgbd.pth'))['state_dict']
    assert np.array_equal(state['backbone.conv1_1.weight'].numpy(),
                          weights['conv1_1_bgrd'][0])
    assert any('conv1_1_bgrd' in n for n in meta['notes'])
