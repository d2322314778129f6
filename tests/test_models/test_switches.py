"""The config switches: the simplified FCN-8s and the ablation configs."""
import math
import re

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from fcn_plugin.converters.layers import expected_shapes
from fcn_plugin.errors import WeightFileError
from fcn_plugin.models import net_name_of
from fcn_plugin.models.utils import bilinear_kernel
from fcn_tools.reference_fcn import weights_by_caffe_name
from ..conftest import CONFIGS, TINY_WIDTHS, model_cfg, randomize
from ..runner_utils import tiny_runner_cfg, write_tiny_voc

SIMPLIFIED = CONFIGS / '_base_/models/fcn8s-simplified_vgg16.py'
ABLATIONS = CONFIGS / 'ablations'
#: Ablation config -> the net it builds (docs/architecture.md).
ABLATION_NETS = {
    'atonce': 'fcn8s-atonce',
    'plain': 'fcn8s-atonce-plain',
    'nofc': 'fcn8s-atonce-plain-nofc',
    'nopad': 'fcn8s-atonce-plain-nofc-nopad',
    'pytorchinit': 'fcn8s-atonce',
    'noscale': 'fcn8s',
}
# 1x1, tiny, odd, non-square, around the 32-px stride and > 100.
SIZES = [(1, 1), (2, 3), (7, 5), (17, 31), (31, 33), (32, 32), (33, 65),
         (64, 47), (101, 37)]
HOOK = [dict(type='FCNWeightsHook')]


def ablation(name):
    """The one ablation config called ``fcn8s-{name}_*.py``."""
    (path, ) = ABLATIONS.glob(f'fcn8s-{name}_*.py')
    return path


def simplified_cfg(tiny=True):
    """The simplified net's model dict, at the test widths if ``tiny``."""
    model = Config.fromfile(str(SIMPLIFIED)).model
    if tiny:
        model.backbone.stage_channels = TINY_WIDTHS['stage_channels']
        model.decode_head.in_channels = TINY_WIDTHS['stage_channels'][2:]
    return model


def build(model):
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    return MODELS.build(model)


def sample(h, w, label=None):
    ds = SegDataSample(
        metainfo=dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
    if label is not None:
        ds.gt_sem_seg = PixelData(data=label[None])
    return ds


def tutorial_fcn8s(weights, x):
    """The simplified FCN-8s as a tutorial writes it, in plain PyTorch.

    VGG16 with pad-1 convs and ceil pools, no fc6/fc7; 2x, 2x and 8x
    transposed convs padded by half their stride; sums and the output
    taken from the top-left corner. Shares no code with the plugin.
    """
    def conv(name, h, pad=0):
        w, b = weights[name]
        return F.conv2d(h, w, b, padding=pad)

    def up(name, h, stride):
        return F.conv_transpose2d(h, weights[name][0], stride=stride,
                                  padding=stride // 2)

    h, pools = x, []
    for stage, depth in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)):
        for i in range(1, depth + 1):
            h = F.relu(conv(f'conv{stage}_{i}', h, 1))
        h = F.max_pool2d(h, 2, 2, ceil_mode=True)
        pools.append(h)
    pool3, pool4, pool5 = pools[2:]
    s = up('upscore2', conv('score_fr', pool5), 2)
    p4 = conv('score_pool4', pool4)
    s = s[:, :, :p4.shape[2], :p4.shape[3]] + p4  # 2 x pool5 >= pool4
    s = up('upscore_pool4', s, 2)
    p3 = conv('score_pool3', pool3)
    s = s[:, :, :p3.shape[2], :p3.shape[3]] + p3
    s = up('upscore8', s, 8)
    return s[:, :, :x.shape[2], :x.shape[3]]


def test_simplified_equals_tutorial_net_at_input_size():
    """Logits of every size equal the tutorial net's and have its size."""
    model = randomize(build(simplified_cfg())).eval()
    assert net_name_of(model) == 'fcn8s-simplified'
    assert not hasattr(model.backbone, 'fc6')
    weights = weights_by_caffe_name(model)
    for h, w in SIZES:
        x = torch.randn(1, 3, h, w)
        with torch.no_grad():
            ref = tutorial_fcn8s(weights, x)
            out = model.predict(x, [sample(h, w)])[0].seg_logits.data
        assert ref.shape[-2:] == (h, w)
        assert out.shape == (21, h, w)
        scale = float(ref.abs().max().clamp_min(1e-12))
        torch.testing.assert_close(out, ref[0], rtol=1e-5,
                                   atol=1e-5 * scale)
        label = torch.randint(0, 21, (h, w))
        loss = model.loss(x, [sample(h, w, label)])['decode.loss_ce']
        expected = F.cross_entropy(ref, label[None], reduction='sum')
        assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_unpadded_trunk_below_32_px():
    """Ceil pools keep every map >= 1x1: pool5 is 1x1 up to 32 px.

    pool3/pool4/pool5 are ceil(H/8), ceil(H/16), ceil(H/32), never 0, so
    the simplified net runs on any input from 1x1 up; below 32 px its
    whole image is scored from one pool5 cell.
    """
    backbone = build(simplified_cfg()).backbone.eval()
    for size in range(1, 70):
        with torch.no_grad():
            pool3, pool4, pool5 = backbone(torch.randn(1, 3, size, 2 * size))
        for out, stride in ((pool3, 8), (pool4, 16), (pool5, 32)):
            assert out.shape[-2:] == (math.ceil(size / stride),
                                      math.ceil(2 * size / stride)), size
        assert (pool5.shape[-2] == 1) == (size <= 32)


def test_simplified_parameter_count_is_its_layer_arithmetic():
    """Full VGG16 widths: 13 3x3 convs, 3 score layers, 3 upscore layers."""
    classes, widths = 21, (64, 128, 256, 512, 512)
    depths = (2, 2, 3, 3, 3)
    expected, cin = 0, 3
    for width, depth in zip(widths, depths):
        for _ in range(depth):
            expected += 3 * 3 * cin * width + width
            cin = width
    for reads in (512, 512, 256):  # score_fr (pool5), score_pool4, pool3
        expected += reads * classes + classes
    for kernel in (4, 4, 16):  # upscore2, upscore_pool4, upscore8
        expected += classes * classes * kernel * kernel
    assert expected == 14_714_688 + 26_943 + 127_008
    model = build(simplified_cfg(tiny=False))
    assert sum(p.numel() for p in model.parameters()) == expected
    shapes = expected_shapes('fcn8s-simplified', widths, 4096, classes)
    assert sum(math.prod(s) for s in shapes.values()) == expected
    assert shapes == {k: tuple(v.shape)
                      for k, v in model.state_dict().items()}


def test_pytorch_init_and_trained_upsampling():
    model = build(simplified_cfg())
    model.init_weights()
    head = model.decode_head
    for name in ('score_fr', 'score_pool4', 'score_pool3'):
        assert getattr(head, name).weight.abs().sum() > 0
    for name, kernel in (('upscore2', 4), ('upscore_pool4', 4),
                         ('upscore8', 16)):
        layer = getattr(head, name)
        assert layer.weight.requires_grad and layer.bias is None
        assert layer.stride[0] * 2 == kernel
        assert layer.padding[0] * 2 == layer.stride[0]
        assert not torch.equal(layer.weight, bilinear_kernel(21, kernel))
    cfg = simplified_cfg()
    cfg.decode_head.learnable_upsample = False
    with pytest.raises(ValueError, match='learnable_upsample=True'):
        build(cfg)


def test_caffe_crops_refuse_a_trunk_without_the_pad():
    """align='caffe_crop' on the simplified trunk fails with a clear hint."""
    cfg = simplified_cfg()
    cfg.decode_head.align = 'caffe_crop'
    model = build(cfg).eval()
    with pytest.raises(ValueError, match="align='plain'"):
        model.predict(torch.randn(1, 3, 40, 40), [sample(40, 40)])


def test_fc_without_the_pad_is_a_clear_error():
    cfg = simplified_cfg()
    cfg.backbone.update(with_fc=True, out_indices=(2, 3, 5),
                        fc_channels=9)
    cfg.decode_head.in_channels = (6, 7, 9)
    model = build(cfg).eval()
    assert net_name_of(model) == 'fcn8s-plain-nopad'
    with pytest.raises(ValueError, match='first_pad=100'):
        model.predict(torch.randn(1, 3, 200, 200), [sample(200, 200)])
    cfg = simplified_cfg()
    cfg.backbone.out_indices = (2, 3, 5)  # index 5 is fc7
    with pytest.raises(ValueError, match='with_fc=False'):
        build(cfg)


def _switches(cfg):
    head, backbone = cfg.model.decode_head, cfg.model.backbone
    return dict(align=head.get('align', 'caffe_crop'),
                init=head.get('init', 'caffe'),
                scales=(head.scale_pool4, head.scale_pool3),
                with_fc=backbone.get('with_fc', True),
                first_pad=backbone.first_pad)


@pytest.mark.parametrize('name', list(ABLATION_NETS))
def test_ablation_changes_one_switch_and_trains(name):
    """One switch away from its parent; builds, and one step trains it."""
    path = ablation(name)
    cfg = Config.fromfile(str(path))
    parent = re.search(r"_base_ = \['\./(.*?)'\]", path.read_text())
    if name == 'atonce':
        assert _switches(cfg) == dict(align='caffe_crop', init='caffe',
                                      scales=(0.01, 0.0001), with_fc=True,
                                      first_pad=100)
    else:
        before = _switches(Config.fromfile(str(ABLATIONS / parent[1])))
        after = _switches(cfg)
        assert sum(before[k] != after[k] for k in before) == 1
    model = build(cfg.model)
    assert net_name_of(model) == ABLATION_NETS[name]
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    data = dict(
        inputs=[torch.randint(0, 256, (3, 37, 45), dtype=torch.uint8),
                torch.randint(0, 256, (3, 29, 51), dtype=torch.uint8)],
        data_samples=[sample(37, 45, torch.randint(0, 21, (37, 45))),
                      sample(29, 51, torch.randint(0, 21, (29, 51)))])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    log = model.train_step(data, wrapper)
    assert math.isfinite(log['loss'].item())
    changed = [k for k, v in model.state_dict().items()
               if not torch.equal(v, before[k])]
    for name in ('score_fr', 'score_pool4', 'score_pool3'):
        assert f'decode_head.{name}.weight' in changed


@pytest.fixture(scope='module')
def voc(tmp_path_factory):
    return write_tiny_voc(tmp_path_factory.mktemp('voc'), num=2,
                          size=(21, 26))


def _weights_hook(runner):
    return next(h for h in runner.hooks
                if type(h).__name__ == 'FCNWeightsHook')


def _runner(tmp_path, voc, model, **kwargs):
    cfg = tiny_runner_cfg(tmp_path, voc, max_iters=1, custom_hooks=HOOK,
                          **kwargs)
    cfg.model = model
    return Runner.from_cfg(cfg)


def test_weights_hook_refuses_other_variants(tmp_path, voc):
    """A checkpoint of one variant does not load into another."""
    runner = _runner(tmp_path / 'simplified', voc, simplified_cfg())
    runner.train()
    ckpt = tmp_path / 'simplified' / 'iter_1.pth'
    assert torch.load(ckpt, weights_only=False)['meta']['fcn_net'] == \
        'fcn8s-simplified'
    atonce = model_cfg('fcn8s-atonce')
    plain = model_cfg('fcn8s-atonce', options={'decode_head.align': 'plain'})
    cases = [
        (atonce, ckpt, 'simplified FCN-8s .* FCN-8s at-once; .*no fc6/fc7'),
    ]
    runner = _runner(tmp_path / 'plain', voc, plain)
    runner.train()
    plain_ckpt = tmp_path / 'plain' / 'iter_1.pth'
    # the same parameters, another function: refused by name
    cases.append((atonce, plain_ckpt, 'plain alignment .* Caffe crops'))
    for i, (model, path, message) in enumerate(cases):
        runner = _runner(tmp_path / f'load{i}', voc, model,
                         load_from=str(path))
        with pytest.raises(WeightFileError, match=message):
            runner.test()
    # the same variant loads
    runner = _runner(tmp_path / 'same', voc, simplified_cfg(),
                     load_from=str(ckpt))
    runner.test()
    assert _weights_hook(runner).last_plan.source_net == 'fcn8s-simplified'


def test_trunk_file_with_fc_initialises_the_simplified_net(tmp_path, voc):
    """The torchvision trunk holds fc6/fc7; the net without them drops
    them, as the simplified VOC config relies on."""
    trunk = build(model_cfg('fcn8s')).backbone
    randomize(trunk)
    path = tmp_path / 'trunk.pth'
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in trunk.state_dict().items()},
                'meta': {'fcn_net': 'vgg16'}}, path)
    model = simplified_cfg()
    model.backbone.init_cfg = dict(type='Pretrained', checkpoint=str(path),
                                   prefix='backbone.')
    runner = _runner(tmp_path / 'trunk', voc, model,
                     optim_wrapper=dict(type='OptimWrapper',
                                        optimizer=dict(type='SGD', lr=0.)))
    runner.train()
    plan = _weights_hook(runner).last_plan
    assert plan.skipped and {k.split('.')[1] for k in plan.skipped} == {
        'fc6', 'fc7'}
    torch.testing.assert_close(runner.model.backbone.conv5_3.weight,
                               trunk.conv5_3.weight)


def test_plain_bilinear_upscore_is_half_pixel_bilinear():
    """align='plain' with the Caffe init: exact 2x/8x bilinear inside.

    Away from the border (where the transposed conv sees zeros and
    interpolation repeats the edge) it equals ``F.interpolate``.
    """
    cfg = simplified_cfg()
    cfg.decode_head.update(init='caffe', learnable_upsample=False)
    head = build(cfg).decode_head
    x = torch.randn(1, 21, 5, 7)
    for name, stride in (('upscore2', 2), ('upscore8', 8)):
        with torch.no_grad():
            y = getattr(head, name)(x)
        ref = F.interpolate(x, scale_factor=stride, mode='bilinear',
                            align_corners=False)
        assert y.shape == ref.shape == (1, 21, 5 * stride, 7 * stride)
        inner = (slice(None), slice(None), slice(stride, -stride),
                 slice(stride, -stride))
        torch.testing.assert_close(y[inner], ref[inner])
