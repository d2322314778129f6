"""FCNWeightsHook and its planning functions with two-head nets.

Staged training of the SIFT Flow nets (32s -> 16s -> 8s) moves the trunk
and both heads' layers; the new score layers of both heads stay zero. A
trunk file starts a two-head net, a one-head file does not.
"""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.optim import OptimWrapper

from fcn_plugin.converters import CAFFE_INPUT, WeightFileError
from fcn_plugin.engine import (FCNWeightsHook, check_input,
                               missing_file_message, plan_load)
from fcn_plugin.models.utils import bilinear_kernel
from ..conftest import build_model, randomize
from ..test_converters.sources import build_two_head

HEADS = ('decode_head', 'geo_head')


def shapes(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def keys(model, layers, heads=HEADS):
    """The keys of ``layers`` in each of ``heads``."""
    return {k for k in model.state_dict()
            if k.split('.')[0] in heads and k.split('.')[1] in layers}


def test_staged_32s_to_16s_through_the_hook(tmp_path):
    """load_from a two-head FCN-32s when training a two-head FCN-16s."""
    sd = randomize(build_two_head('fcn32s'), seed=1).state_dict()
    src = tmp_path / 'fcn32s_vgg16_siftflow.pth'
    torch.save(dict(state_dict=sd, meta=dict(fcn_net='fcn32s')), src)
    model = build_two_head('fcn16s')
    model.init_weights()
    runner = SimpleNamespace(
        model=model, work_dir=str(tmp_path),
        cfg=ConfigDict(load_from=str(src), resume=False),
        optim_wrapper=OptimWrapper(torch.optim.SGD(model.parameters(),
                                                   lr=0.)))
    hook = FCNWeightsHook()
    hook.before_run(runner)
    ckpt = torch.load(src, weights_only=True)
    hook.after_load_checkpoint(runner, ckpt)
    plan = hook.last_plan
    assert plan.skipped == ['decode_head.upscore.weight',
                            'geo_head.upscore.weight']
    assert set(plan.copied) == {k for k in sd if not k.endswith(
        'upscore.weight')}
    assert set(plan.kept) == keys(model, ('score_pool4', 'upscore2',
                                          'upscore16'))
    report = plan.describe(str(src), 'fcn16s')
    assert 'FCN-32s weights into FCN-16s' in report
    assert 'geo_head.score_pool4' in report and 'geo_head.upscore' in report
    # what MMEngine then loads: the rest keeps its (reference) init
    assert set(ckpt['state_dict']) == set(plan.copied)
    model.load_state_dict(ckpt['state_dict'], strict=False)
    state = model.state_dict()
    for key in plan.copied:
        assert torch.equal(state[key], sd[key]), key
    for head, classes in (('decode_head', 33), ('geo_head', 3)):
        assert not state[f'{head}.score_pool4.weight'].any()
        assert not state[f'{head}.score_pool4.bias'].any()
        assert torch.equal(state[f'{head}.upscore16.weight'],
                           bilinear_kernel(classes, 32))


def test_staged_16s_to_8s_and_testing_plans():
    sd16 = build_two_head('fcn16s').state_dict()
    model8 = build_two_head('fcn8s')
    plan = plan_load(shapes(model8), 'fcn8s', sd16, 'x.pth', staged=True)
    assert plan.skipped == ['decode_head.upscore16.weight',
                            'geo_head.upscore16.weight']
    assert set(plan.kept) == keys(model8, ('score_pool3', 'upscore_pool4',
                                           'upscore8'))
    assert plan.head_classes == dict(decode_head=(33, 33), geo_head=(3, 3))
    # testing / resuming: the same two-head net, key for key
    plan = plan_load(shapes(build_two_head('fcn16s')), 'fcn16s', sd16,
                     'x.pth')
    assert plan.copied == list(sd16) and not plan.kept and not plan.skipped
    # an earlier stage is no checkpoint to test
    with pytest.raises(WeightFileError, match='same net'):
        plan_load(shapes(model8), 'fcn8s', sd16, 'x.pth')


def test_trunk_file_starts_a_two_head_net():
    sd = build_model('fcn32s').state_dict()
    trunk = {k: v for k, v in sd.items() if k.startswith('backbone.')}
    model = build_two_head('fcn32s')
    plan = plan_load(shapes(model), 'fcn32s', trunk, 'vgg16.pth',
                     staged=True)
    assert plan.source_net == 'vgg16'
    assert set(plan.kept) == keys(model, ('score_fr', 'upscore'))
    assert set(plan.copied) == set(trunk)


@pytest.mark.parametrize('staged', [False, True])
def test_one_head_file_is_refused(staged):
    """A 21-class VOC file has no geometric head (unless it is a trunk)."""
    src_net = 'fcn32s' if staged else 'fcn16s'
    sd = build_model(src_net).state_dict()
    with pytest.raises(WeightFileError) as err:
        plan_load(shapes(build_two_head('fcn16s')), 'fcn16s', sd,
                  'fcn16s_voc.pth', staged=staged)
    msg = str(err.value)
    assert msg.startswith('fcn16s_voc.pth holds a one-head')
    assert 'decode_head, 21 classes' in msg
    assert 'the file has no geo_head (the geometric head' in msg
    assert 'score_fr_geo' in msg
    assert 'siftflow-fcn16s-heavy.caffemodel' in msg
    assert 'VGG16 trunk' in msg


def test_two_head_file_into_one_head_config_is_refused():
    sd = build_two_head('fcn16s').state_dict()
    with pytest.raises(WeightFileError) as err:
        plan_load(shapes(build_model('fcn16s')), 'fcn16s', sd, 'x.pth')
    msg = str(err.value)
    assert 'two-head FCN-16s (decode_head 33 classes, geo_head 3' in msg
    assert 'the config has no geo_head' in msg


def test_class_counts_named_per_head():
    sd = build_two_head('fcn32s', classes=(33, 4)).state_dict()
    model = build_two_head('fcn32s')
    with pytest.raises(WeightFileError) as err:
        plan_load(shapes(model), 'fcn32s', sd, 'x.pth')
    msg = str(err.value)
    assert 'geo_head has 4 classes in the file' in msg
    assert 'geo_head num_classes=3' in msg
    assert 'geo_head.score_fr.weight: file 4x9x1x1, model 3x9x1x1' in msg
    assert 'decode_head has' not in msg
    with pytest.raises(WeightFileError, match='new_classes=True'):
        plan_load(shapes(model), 'fcn32s', sd, 'x.pth', staged=True)
    # with new_classes only the geometric head starts afresh
    plan = plan_load(shapes(build_two_head('fcn16s')), 'fcn16s', sd,
                     'x.pth', staged=True, new_classes=True)
    assert set(plan.reset) == {'geo_head.score_fr.weight',
                               'geo_head.score_fr.bias'}
    assert 'decode_head.score_fr.weight' in plan.copied
    assert 'started afresh for geo_head 3 classes (the file has 4)' in \
        plan.describe('x.pth', 'fcn16s')


def test_missing_file_names_the_two_head_release():
    msg = missing_file_message('checkpoints/a.pth', 'load_from', 'fcn16s',
                               'fcn32s', heads=HEADS)
    assert 'two-head FCN-32s' in msg
    assert 'caffe2mmseg.py siftflow-fcn32s-heavy.caffemodel ' \
        'checkpoints/a.pth' in msg
    assert 'pascal' not in msg


def test_trunk_mean_may_differ_when_it_starts_a_training():
    """The SIFT Flow recipe feeds the ImageNet VGG16 its own mean."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    from ..test_converters.sources import two_head_cfg
    cfg = two_head_cfg('fcn32s')
    cfg.data_preprocessor.mean = [114.578, 115.294, 108.353]
    init_default_scope('mmseg')
    model = MODELS.build(cfg)
    meta = dict(input=dict(CAFFE_INPUT, origin='caffe'))
    with pytest.raises(WeightFileError, match='expects caffe input'):
        check_input(meta, model, 'vgg16.pth')
    note = check_input(meta, model, 'vgg16.pth', trunk=True)
    assert 'vgg16.pth' in note and '114.578' in note
    # another channel order is refused even for a trunk
    rgb = dict(input=dict(CAFFE_INPUT, bgr_to_rgb=True, origin='x'))
    with pytest.raises(WeightFileError):
        check_input(rgb, model, 'vgg16.pth', trunk=True)
