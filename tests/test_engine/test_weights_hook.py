"""FCNWeightsHook: missing files, staged init and mismatched checkpoints."""
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner

from fcn_plugin.converters import WeightFileError
from fcn_plugin.engine import plan_load
from fcn_plugin.models.utils import bilinear_kernel
from fcn_plugin.utils.safe_checkpoint import load_from_local
from fcn_tools.synthetic import make_synthetic_voc
from ..conftest import build_model, randomize
from ..runner_utils import tiny_runner_cfg, write_tiny_voc
from ..test_converters.sources import (caffe_weights, run_tool,
                                       torchfcn_state_dict,
                                       torchvision_state_dict)

HOOK = [dict(type='FCNWeightsHook')]
FROZEN = dict(type='OptimWrapper',
              optimizer=dict(type='SGD', lr=0., momentum=0.,
                             weight_decay=0.))


@pytest.fixture(scope='module')
def voc(tmp_path_factory):
    return write_tiny_voc(tmp_path_factory.mktemp('data'), num=2)


def converted(tmp_path, net, seed=0, num_classes=21):
    src = tmp_path / f'{net}_from_caffe.pth'
    torch.save(torchfcn_state_dict(
        caffe_weights(net, seed=seed, num_classes=num_classes)), src)
    dst = tmp_path / 'checkpoints' / f'{net}_voc.pth'
    assert run_tool('torchfcn2mmseg', src, dst, '--net', net) == 0
    return dst


def runner(tmp_path, voc, net, trunk=None, **kwargs):
    cfg = tiny_runner_cfg(tmp_path / 'work', voc, net=net, max_iters=1,
                          custom_hooks=HOOK, **kwargs)
    if trunk is not None:  # as in a config: the backbone's Pretrained init
        cfg.model.backbone.init_cfg = dict(
            type='Pretrained', checkpoint=str(trunk), prefix='backbone.')
    return Runner.from_cfg(cfg)


def test_missing_trunk_names_converter(tmp_path, voc, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner(tmp_path, voc, 'fcn32s',
               trunk='checkpoints/vgg16_caffe_fcn.pth')
    with pytest.raises(FileNotFoundError) as err:
        r.train()
    msg = str(err.value)
    assert 'checkpoints/vgg16_caffe_fcn.pth' in msg
    assert 'model.backbone.init_cfg' in msg
    assert ('tools/model_converters/caffe2mmseg.py '
            'VGG_ILSVRC_16_layers.caffemodel checkpoints/vgg16_caffe_fcn.pth'
            ) in msg
    assert 'vgg2mmseg.py' in msg


def test_missing_previous_stage(tmp_path, voc):
    path = str(tmp_path / 'checkpoints' / 'fcn32s_voc.pth')
    r = runner(tmp_path, voc, 'fcn16s', load_from=path)
    with pytest.raises(FileNotFoundError) as err:
        r.train()
    msg = str(err.value)
    assert path in msg and 'load_from' in msg and 'FCN-32s' in msg
    assert f'caffe2mmseg.py fcn32s-heavy-pascal.caffemodel {path}' in msg


def test_staged_init_32s_to_16s(tmp_path, voc):
    src = converted(tmp_path, 'fcn32s', seed=2)
    r = runner(tmp_path, voc, 'fcn16s', load_from=str(src),
               optim_wrapper=FROZEN)
    r.train()
    state = r.model.state_dict()
    ckpt = torch.load(src, weights_only=True)['state_dict']
    for key, value in ckpt.items():
        if key == 'decode_head.upscore.weight':
            assert key not in state
        else:
            assert torch.equal(state[key], value), key
    assert not state['decode_head.score_pool4.weight'].any()
    assert not state['decode_head.score_pool4.bias'].any()
    assert torch.equal(state['decode_head.upscore2.weight'],
                       bilinear_kernel(21, 4))
    assert torch.equal(state['decode_head.upscore16.weight'],
                       bilinear_kernel(21, 32))
    hook = next(h for h in r.hooks if type(h).__name__ == 'FCNWeightsHook')
    assert hook.last_plan.skipped == ['decode_head.upscore.weight']
    report = hook.last_plan.describe(str(src), 'fcn16s')
    assert 'skipped on purpose' in report and 'upscore' in report
    saved = load_from_local(osp.join(r.work_dir, 'iter_1.pth'))
    assert saved['meta']['fcn_net'] == 'fcn16s'


def test_testing_with_another_net_fails(tmp_path, voc):
    src = converted(tmp_path, 'fcn8s')
    r = runner(tmp_path, voc, 'fcn32s', load_from=str(src))
    with pytest.raises(WeightFileError) as err:
        r.test()
    msg = str(err.value)
    assert str(src) in msg and 'FCN-8s' in msg and 'FCN-32s' in msg
    assert 'score_pool3' in msg


def test_testing_with_earlier_stage_fails(tmp_path, voc):
    src = converted(tmp_path, 'fcn32s')
    r = runner(tmp_path, voc, 'fcn16s', load_from=str(src))
    with pytest.raises(WeightFileError, match='same net'):
        r.test()


def test_resuming_from_earlier_stage_fails(tmp_path, voc):
    # staged init is for load_from only: a resumed run is the same net
    src = converted(tmp_path, 'fcn32s')
    r = runner(tmp_path, voc, 'fcn16s', load_from=str(src), resume=True)
    with pytest.raises(WeightFileError, match='same net') as err:
        r.train()
    assert str(src) in str(err.value)
    assert not list((tmp_path / 'work').glob('*.pth'))


def test_torchvision_trunk_needs_its_preprocessor(tmp_path, voc):
    src = tmp_path / 'vgg16-397923af.pth'
    torch.save(torchvision_state_dict(caffe_weights('vgg16')), src)
    dst = tmp_path / 'vgg16_tv.pth'
    assert run_tool('vgg2mmseg', src, dst) == 0
    r = runner(tmp_path, voc, 'fcn32s', trunk=dst)
    with pytest.raises(WeightFileError) as err:
        r.train()
    msg = str(err.value)
    assert str(dst) in msg and 'bgr_to_rgb=True' in msg


def shapes(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def test_class_count_mismatch_message(tmp_path):
    sd = build_model('fcn32s', num_classes=60).state_dict()
    with pytest.raises(WeightFileError) as err:
        plan_load(shapes(build_model('fcn32s')), 'fcn32s', sd, 'x.pth')
    msg = str(err.value)
    assert 'x.pth' in msg and 'decode_head.score_fr.weight' in msg
    assert '60 classes' in msg and 'num_classes=21' in msg
    # When training, the message names the option that allows it.
    with pytest.raises(WeightFileError, match='new_classes=True'):
        plan_load(shapes(build_model('fcn16s')), 'fcn16s', sd, 'x.pth',
                  staged=True)


def test_new_classes_keeps_the_trunk_and_restarts_the_head():
    """A 21-class FCN-16s file into a 7-class FCN-8s (new_classes)."""
    sd = randomize(build_model('fcn16s')).state_dict()
    plan = plan_load(shapes(build_model('fcn8s', num_classes=7)), 'fcn8s',
                     sd, 'x.pth', staged=True, new_classes=True)
    head = {k for k in sd if k.startswith('decode_head.')}
    assert set(plan.reset) == head - {'decode_head.upscore16.weight'}
    assert plan.skipped == ['decode_head.upscore16.weight']
    assert set(plan.dropped) == head
    assert set(plan.copied) == {k for k in sd if k.startswith('backbone.')}
    assert plan.classes == (21, 7)
    assert 'started afresh for 7 classes (the file has 21' in \
        plan.describe('x.pth', 'fcn8s')
    # Same net, other classes: also a fine-tuning start.
    plan = plan_load(shapes(build_model('fcn16s', num_classes=7)), 'fcn16s',
                     sd, 'x.pth', staged=True, new_classes=True)
    assert set(plan.reset) == head and not plan.kept
    # A trunk file fits any class count, with or without the option.
    trunk = {k: v for k, v in sd.items() if k.startswith('backbone.')}
    plan = plan_load(shapes(build_model('fcn32s', num_classes=150)),
                     'fcn32s', trunk, 'vgg.pth', staged=True)
    assert plan.source_net == 'vgg16' and not plan.reset


def test_new_classes_through_the_runner(tmp_path, voc):
    """load_from a 21-class FCN-32s into a 5-class FCN-16s run."""
    src = converted(tmp_path, 'fcn32s', seed=5)
    # Labels 0..4: objects of VOC classes 1 and 3 only.
    data = make_synthetic_voc(tmp_path / 'five', 2, size=(24, 32),
                              classes=(1, 3), official_only=True)
    cfg_hook = [dict(type='FCNWeightsHook', new_classes=True)]
    cfg = tiny_runner_cfg(tmp_path / 'work', data, net='fcn16s', max_iters=1,
                          custom_hooks=cfg_hook, load_from=str(src),
                          optim_wrapper=FROZEN)
    cfg.model.decode_head.num_classes = 5
    r = Runner.from_cfg(cfg)
    r.train()
    state = r.model.state_dict()
    ckpt = torch.load(src, weights_only=True)['state_dict']
    for key, value in ckpt.items():
        if key.startswith('backbone.'):
            assert torch.equal(state[key], value), key
    assert state['decode_head.score_fr.weight'].shape[0] == 5
    assert not state['decode_head.score_fr.weight'].any()
    assert torch.equal(state['decode_head.upscore2.weight'],
                       bilinear_kernel(5, 4))
    hook = next(h for h in r.hooks if type(h).__name__ == 'FCNWeightsHook')
    assert hook.last_plan.reset == ['decode_head.score_fr.weight',
                                    'decode_head.score_fr.bias']
    assert hook.last_plan.skipped == ['decode_head.upscore.weight']
    # Without the option the same run stops before training, both counts
    # named.
    cfg.custom_hooks = HOOK
    cfg.work_dir = str(tmp_path / 'work2')
    with pytest.raises(WeightFileError) as err:
        Runner.from_cfg(cfg).train()
    msg = str(err.value)
    assert '21 classes' in msg and 'num_classes=5' in msg
    assert 'new_classes=True' in msg and str(src) in msg


def test_staged_plan_8s_from_16s():
    sd = build_model('fcn16s').state_dict()
    plan = plan_load(shapes(build_model('fcn8s')), 'fcn8s', sd, 'x.pth',
                     staged=True)
    assert plan.skipped == ['decode_head.upscore16.weight']
    assert 'decode_head.upscore2.weight' in plan.copied
    assert set(plan.kept) == {'decode_head.score_pool3.weight',
                              'decode_head.score_pool3.bias',
                              'decode_head.upscore_pool4.weight',
                              'decode_head.upscore8.weight'}


def test_torchvision_preprocessor_snippet(tmp_path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    from fcn_plugin.converters import TORCHVISION_INPUT
    from fcn_plugin.engine import check_input
    from ..conftest import CONFIGS
    cfg_file = tmp_path / 'fcn32s_torchvision.py'
    cfg_file.write_text(
        f"_base_ = ['{CONFIGS}/_base_/models/fcn32s_vgg16.py',\n"
        f"          '{CONFIGS}/_base_/models/torchvision_preprocessor.py']\n"
        'model = dict(data_preprocessor='
        '{{_base_.torchvision_data_preprocessor}})\n')
    model_cfg = Config.fromfile(str(cfg_file)).model
    model_cfg.backbone.update(stage_channels=(4, 5, 6, 7, 8), fc_channels=9)
    model_cfg.decode_head.in_channels = 9
    init_default_scope('mmseg')
    model = MODELS.build(model_cfg)
    meta = dict(input=dict(TORCHVISION_INPUT, origin='torchvision'))
    check_input(meta, model, 'vgg16_tv.pth')  # matches: no error
    with pytest.raises(WeightFileError, match='vgg16_tv.pth'):
        check_input(meta, build_model('fcn32s'), 'vgg16_tv.pth')
