"""A net defined in this file alone: FCN-4s, FCN-8s plus a pool2 skip.

The paper discusses finer skips than pool3; this head adds one. It is
declared here and nowhere else, and still builds from a config, converts
from Caffe-named weights, stages from FCN-8s through the weights hook and
is refused the checkpoints of other nets, because every table derives from
the classes' declarations. Its logits are checked against a plain
re-implementation whose crop offsets are derived here by Caffe's
coordinate mapping.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import Runner
from mmseg.registry import MODELS

from fcn_plugin.converters import WeightFileError, caffe2mmseg
from fcn_plugin.converters.layers import expected_shapes, net_keys
from fcn_plugin.engine import plan_load
from fcn_plugin.models import net_name_of
from fcn_plugin.models.decode_heads import (CaffeFCNHead, ScoreLayer,
                                            UpscoreLayer)
from fcn_plugin.models.net_description import REGISTRY, NetDescription
from fcn_plugin.models.net_table import (NET_TITLES, NETS, PREVIOUS_STAGE,
                                         net_of_layers)
from fcn_plugin.models.utils import bilinear_kernel
from fcn_plugin.utils.safe_checkpoint import load_from_local
from ..conftest import CONFIGS, TINY_WIDTHS, randomize
from ..runner_utils import tiny_runner_cfg, write_tiny_voc
from ..test_converters.sources import write_caffemodel

#: pool2 / pool3 / pool4 / fc7 widths of the tiny trunk.
TINY_IN = (TINY_WIDTHS['stage_channels'][1], ) + tuple(
    TINY_WIDTHS['stage_channels'][2:4]) + (TINY_WIDTHS['fc_channels'], )


def define_fcn4s() -> type:
    """Define (and so register) the FCN-4s head; return the class."""

    @MODELS.register_module(force=True)
    class FCN4sHead(CaffeFCNHead):
        """FCN-4s: FCN-8s with a pool2 skip before a 4x upsampling.

        ``fuse_pool3`` -> ``upscore_pool3`` (4x4 / 2) + crop(``score_pool2``,
        17) -> ``upscore4`` (8x8 / 4) -> crop to the input at 33.
        """

        nets = (NetDescription('fcn4s', 'FCN-4s', staged_from='fcn8s'), )
        layers = (
            ScoreLayer('score_fr', reads='fc7'),
            UpscoreLayer('upscore2', kernel=4, stride=2),
            ScoreLayer('score_pool4', reads='pool4', crop_offset=5),
            UpscoreLayer('upscore_pool4', kernel=4, stride=2),
            ScoreLayer('score_pool3', reads='pool3', crop_offset=9),
            UpscoreLayer('upscore_pool3', kernel=4, stride=2),
            # pool2 is (x+97.5)/4, upscore_pool3 (x+29.5)/4: 68/4 = 17.
            ScoreLayer('score_pool2', reads='pool2', crop_offset=17),
            UpscoreLayer('upscore4', kernel=8, stride=4),
        )
        #: upscore4 maps input pixel x to x + 33.
        final_crop_offset = 33

        def __init__(self,
                     in_channels=(128, 256, 512, 4096),
                     in_index=(0, 1, 2, 3),
                     **kwargs) -> None:
            super().__init__(
                in_channels=in_channels, in_index=in_index, **kwargs)

        # no forward: CaffeFCNHead runs the declared layers in order

    return FCN4sHead


@pytest.fixture(scope='module')
def fcn4s():
    """The FCN-4s head class, defined for this module only."""
    cls = define_fcn4s()
    yield cls
    REGISTRY.heads.remove(cls)
    REGISTRY.version += 1
    MODELS.module_dict.pop(cls.__name__)


def write_config(path, **settings) -> str:
    """An FCN-4s config as a user writes it: the FCN-8s base, a new head."""
    lines = [f"_base_ = ['{CONFIGS}/_base_/models/fcn8s_vgg16.py']",
             'model = dict(',
             f"    backbone=dict(out_indices=(1, 2, 3, 5), "
             f"stage_channels={TINY_WIDTHS['stage_channels']}, "
             f"fc_channels={TINY_WIDTHS['fc_channels']}),",
             "    decode_head=dict(_delete_=True, type='FCN4sHead', "
             f"in_channels={TINY_IN}, num_classes=21,",
             '                     channels_last=True,',
             "                     loss_decode=dict(type='CrossEntropyLoss', "
             "reduction='sum')))"]
    lines += [f'{k} = {v!r}' for k, v in settings.items()]
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def build(tmp_path) -> torch.nn.Module:
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    cfg = Config.fromfile(write_config(tmp_path / 'fcn4s_vgg16.py'))
    return MODELS.build(cfg.model)


# --- an independent FCN-4s: plain functional layers, offsets derived ---

def _coord(layers):
    """(scale, offset): blob cell u sits at input pixel scale * u + offset.

    Caffe's coordinate mapping: a conv or pool with kernel k, stride s and
    pad p centres its output cell v on input cell s * v + (k - 1) / 2 - p;
    a deconvolution centres its input cell u on output cell
    s * u + (k - 1) / 2.
    """
    scale, offset = 1., 0.
    for kind, k, s, p in layers:
        if kind == 'deconv':
            scale /= s
            offset -= scale * (k - 1) / 2
        else:
            offset += scale * ((k - 1) / 2 - p)
            scale *= s
    return scale, offset


def _trunk_to(pools: int, fc: bool = False):
    out = []
    for stage, depth in enumerate((2, 2, 3, 3, 3)[:pools], 1):
        for i in range(depth):
            out.append(('conv', 3, 1, 100 if (stage, i) == (1, 0) else 1))
        out.append(('pool', 2, 2, 0))
    if fc:
        out += [('conv', 7, 1, 0), ('conv', 1, 1, 0)]
    return out


def derived_offsets():
    """Crop offsets of the FCN-4s skips and output, by coordinate maps."""
    up = [('deconv', 4, 2, 0)]
    u2 = _trunk_to(5, fc=True) + up
    u4 = u2 + up
    u3 = u4 + up
    out = u3 + [('deconv', 8, 4, 0)]

    def off(blob, ref):
        """Crop offset of ``blob`` so that it lies on ``ref``."""
        (s1, o1), (s2, o2) = _coord(blob), _coord(ref)
        assert math.isclose(s1, s2)
        return (o2 - o1) / s1

    return dict(score_pool4=off(_trunk_to(4), u2),
                score_pool3=off(_trunk_to(3), u4),
                score_pool2=off(_trunk_to(2), u3),
                final=off(out, []))


def reference_fcn4s(w, x):
    """FCN-4s logits from Caffe-named weights ``{name: (W, b)}``."""
    offs = {k: int(v) for k, v in derived_offsets().items()}
    h, pools = x, {}
    for stage, depth in enumerate((2, 2, 3, 3, 3), 1):
        for i in range(1, depth + 1):
            name = f'conv{stage}_{i}'
            h = F.relu(F.conv2d(h, *w[name], padding=100 if name ==
                                'conv1_1' else 1))
        h = F.max_pool2d(h, 2, 2, ceil_mode=True)
        pools[stage] = h
    h = F.relu(F.conv2d(h, *w['fc6']))
    h = F.relu(F.conv2d(h, *w['fc7']))
    y = F.conv_transpose2d(F.conv2d(h, *w['score_fr']), w['upscore2'][0],
                           stride=2)
    for pool, up in ((4, 'upscore_pool4'), (3, 'upscore_pool3'),
                     (2, 'upscore4')):
        o = offs[f'score_pool{pool}']
        s = F.conv2d(pools[pool], *w[f'score_pool{pool}'])
        y = y + s[:, :, o:o + y.shape[2], o:o + y.shape[3]]
        y = F.conv_transpose2d(y, w[up][0], stride=4 if up == 'upscore4'
                               else 2)
    o = offs['final']
    return y[:, :, o:o + x.shape[2], o:o + x.shape[3]]


def caffe_named(model):
    out = {}
    for key, value in model.state_dict().items():
        layer, kind = key.split('.')[-2:]
        out.setdefault(layer, [None, None])[kind == 'bias'] = value
    return {k: tuple(v for v in vs if v is not None) for k, vs in out.items()}


def test_offsets_are_the_derived_ones(fcn4s):
    offs = derived_offsets()
    # The reference nets' known offsets come out of the same derivation.
    assert offs['score_pool4'] == 5 and offs['score_pool3'] == 9
    declared = {ly.name: ly.crop_offset for ly in fcn4s.layers
                if isinstance(ly, ScoreLayer)}
    assert declared['score_pool2'] == offs['score_pool2'] == 17
    assert fcn4s.final_crop_offset == offs['final'] == 33


@pytest.mark.parametrize('size', [(1, 1), (37, 45), (64, 29)])
def test_builds_from_config_and_equals_reference(fcn4s, tmp_path, size):
    model = randomize(build(tmp_path), seed=3).eval()
    assert net_name_of(model) == 'fcn4s'
    assert 'fcn4s' in NETS and NET_TITLES['fcn4s'] == 'FCN-4s'
    assert PREVIOUS_STAGE['fcn4s'] == 'fcn8s'
    state = model.state_dict()
    assert list(state) == net_keys('fcn4s')
    assert {k: tuple(v.shape) for k, v in state.items()} == expected_shapes(
        'fcn4s', TINY_WIDTHS['stage_channels'], TINY_WIDTHS['fc_channels'],
        21)
    x = torch.randn(2, 3, *size)
    metas = [dict(img_shape=size, pad_shape=size, ori_shape=size)] * 2
    with torch.no_grad():
        got = model.encode_decode(x, metas)
        want = reference_fcn4s(caffe_named(model), x)
    assert got.shape == (2, 21, *size)
    scale = want.abs().max()
    assert scale > 0 and (got - want).abs().max() / scale < 1e-5


def test_caffe_weights_convert(fcn4s, tmp_path):
    model = randomize(build(tmp_path), seed=4)
    weights = {name: [np.asarray(t) for t in blobs]
               for name, blobs in caffe_named(model).items()}
    src = write_caffemodel(tmp_path / 'fcn4s.caffemodel', weights)
    meta = caffe2mmseg(str(src), str(tmp_path / 'fcn4s.pth'))
    assert meta['fcn_net'] == 'fcn4s'
    saved = load_from_local(str(tmp_path / 'fcn4s.pth'))['state_dict']
    assert list(saved) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert torch.equal(saved[key], value), key
    assert net_of_layers(saved) == 'fcn4s'


@pytest.fixture(scope='module')
def voc(tmp_path_factory):
    return write_tiny_voc(tmp_path_factory.mktemp('data'), num=2)


def fcn8s_checkpoint(tmp_path, voc):
    """An FCN-8s checkpoint written by a 1-iteration training run."""
    cfg = tiny_runner_cfg(tmp_path / 'fcn8s', voc, net='fcn8s', max_iters=1,
                          custom_hooks=[dict(type='FCNWeightsHook')])
    runner = Runner.from_cfg(cfg)
    runner.train()
    return tmp_path / 'fcn8s' / 'iter_1.pth'


def fcn4s_runner(tmp_path, voc, **settings):
    cfg = tiny_runner_cfg(tmp_path / 'fcn4s', voc, max_iters=1,
                          custom_hooks=[dict(type='FCNWeightsHook')],
                          **settings)
    cfg.model = Config.fromfile(write_config(tmp_path / 'm.py')).model
    return Runner.from_cfg(cfg)


def test_staged_from_fcn8s_and_refusals(fcn4s, tmp_path, voc):
    src = fcn8s_checkpoint(tmp_path, voc)
    frozen = dict(type='OptimWrapper',
                  optimizer=dict(type='SGD', lr=0., momentum=0.,
                                 weight_decay=0.))
    runner = fcn4s_runner(tmp_path, voc, load_from=str(src),
                          optim_wrapper=frozen)
    runner.train()
    hook = next(h for h in runner.hooks
                if type(h).__name__ == 'FCNWeightsHook')
    plan = hook.last_plan
    assert plan.source_net == 'fcn8s'
    assert plan.skipped == ['decode_head.upscore8.weight']
    assert set(plan.kept) == {'decode_head.score_pool2.weight',
                              'decode_head.score_pool2.bias',
                              'decode_head.upscore_pool3.weight',
                              'decode_head.upscore4.weight'}
    state = runner.model.state_dict()
    ckpt = load_from_local(str(src))['state_dict']
    for key in ckpt:
        if key != 'decode_head.upscore8.weight':
            assert torch.equal(state[key], ckpt[key]), key
    assert not state['decode_head.score_pool2.weight'].any()
    assert torch.equal(state['decode_head.upscore4.weight'],
                       bilinear_kernel(21, 8))
    saved = tmp_path / 'fcn4s' / 'iter_1.pth'
    assert load_from_local(str(saved))['meta']['fcn_net'] == 'fcn4s'

    # Testing FCN-4s with the FCN-8s file: refused, both nets named.
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    with pytest.raises(WeightFileError) as err:
        plan_load(shapes, 'fcn4s', ckpt, str(src))
    msg = str(err.value)
    assert str(src) in msg and 'FCN-8s' in msg and 'FCN-4s' in msg
    assert 'same net' in msg and 'score_pool2' in msg
    # An FCN-4s file cannot initialise its own earlier stage.
    fcn4s_ckpt = load_from_local(str(saved))
    with pytest.raises(WeightFileError, match='later-stage'):
        plan_load({k: tuple(v.shape) for k, v in ckpt.items()}, 'fcn8s',
                  fcn4s_ckpt['state_dict'], str(saved), fcn4s_ckpt['meta'],
                  staged=True)
    # A net off its lineage (FCN-8s at-once) is refused, the path named.
    with pytest.raises(WeightFileError, match='trained from FCN-8s'):
        plan_load(shapes, 'fcn4s', ckpt, 'atonce.pth',
                  dict(fcn_net='fcn8s-atonce'), staged=True)


@pytest.mark.parametrize('layers', [
    (ScoreLayer('score_fr', reads='fc7'), ),
    (ScoreLayer('score_fr', reads='fc7'),
     ScoreLayer('score_pool4', reads='pool4', crop_offset=5),
     UpscoreLayer('upscore', kernel=64, stride=32)),
    (UpscoreLayer('upscore', kernel=64, stride=32),
     ScoreLayer('score_fr', reads='fc7')),
    (ScoreLayer('score_pool4', reads='pool4'),
     UpscoreLayer('upscore', kernel=64, stride=32)),
    (ScoreLayer('score_fr', reads='fc7'),
     UpscoreLayer('upscore', kernel=4, stride=2),
     ScoreLayer('score_fr', reads='pool4', crop_offset=5),
     UpscoreLayer('upscore16', kernel=32, stride=16)),
])
def test_layers_forward_cannot_run_are_refused(layers):
    """forward runs the declaration, so one it cannot run is refused when
    the class is defined, and nothing is registered."""
    heads = list(REGISTRY.heads)
    with pytest.raises(TypeError, match='alternate ScoreLayer'):
        type('BadHead', (CaffeFCNHead, ),
             dict(nets=(NetDescription('fcn-bad', 'FCN-bad'), ),
                  layers=layers, final_crop_offset=0))
    assert REGISTRY.heads == heads
