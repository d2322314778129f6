"""mmpretrain ImageNet VGG16 -> VGG16Caffe trunk (mmpretrain2mmseg.py).

The reference is mmpretrain's own model: the zoo's ``vgg16_8xb32_in1k``
``ImageClassifier`` (``VGG`` depth 16 with its 1000-class classifier, the
``ClsHead`` without parameters) built through mmpretrain's registry with
random weights and saved as a zoo checkpoint.
"""
import copy
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope, init_default_scope

from fcn_plugin.converters import TORCHVISION_INPUT
from ..conftest import CONFIGS, model_cfg, randomize
from .sources import (CONVS, assert_close, caffe_weights, reference_trunk,
                      run_tool)


def zoo_config():
    """The model of mmpretrain's ``configs/vgg/vgg16_8xb32_in1k.py``.

    Read from the installed mmpretrain, with the config's
    ``data_preprocessor`` (``_base_/datasets/imagenet_bs32_pil_resize.py``)
    put into the model, as mmpretrain's ``init_model`` does.
    """
    import mmpretrain
    path = (Path(mmpretrain.__file__).parent / '.mim' / 'configs' / 'vgg' /
            'vgg16_8xb32_in1k.py')
    cfg = Config.fromfile(str(path))
    model = copy.deepcopy(cfg.model)
    model['data_preprocessor'] = copy.deepcopy(cfg.data_preprocessor)
    return model


ZOO_FILE = 'vgg16_batch256_imagenet_20210208-db26f1a5.pth'
#: ``features`` index of each conv in mmpretrain's VGG16.
MMPRETRAIN_CONVS = (0, 1, 3, 4, 6, 7, 8, 10, 11, 12, 14, 15, 16)


def mmpretrain_model(cfg):
    """Build through mmpretrain's registry, in its scope."""
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(ConfigDict(cfg))


def save_zoo_checkpoint(model, path):
    """Save as mmpretrain's runner does: state_dict plus meta."""
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(mmpretrain_version='1.2.0', epoch=100)), path)
    return path


@pytest.fixture(scope='module')
def zoo(tmp_path_factory):
    """The zoo classifier (random weights) and its checkpoint file."""
    cfg = zoo_config()
    assert cfg['backbone'] == dict(type='VGG', depth=16, num_classes=1000)
    classifier = randomize(mmpretrain_model(cfg), seed=5).eval()
    path = tmp_path_factory.mktemp('zoo') / ZOO_FILE
    return classifier, save_zoo_checkpoint(classifier, path), cfg


@pytest.fixture(scope='module')
def converted(zoo, tmp_path_factory):
    dst = tmp_path_factory.mktemp('out') / 'vgg16_mmpretrain_fcn.pth'
    assert run_tool('mmpretrain2mmseg', zoo[1], dst) == 0
    return dst


def fcn32s_with_trunk(dst, first_pad=100):
    """Full-width FCN-32s from the repo configs, as a config user sets it."""
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = model_cfg('fcn32s', tiny=False)
    cfg['backbone'].update(first_pad=first_pad, init_cfg=dict(
        type='Pretrained', checkpoint=str(dst), prefix='backbone.'))
    pre = Config.fromfile(
        str(CONFIGS / '_base_/models/torchvision_preprocessor.py'))
    cfg['data_preprocessor'] = pre.torchvision_data_preprocessor
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def test_trunk_gives_the_classifier_output(zoo, converted):
    classifier, src, _ = zoo
    # mmpretrain's conv1_1 pads by 1: so does the plugin's with
    # first_pad=1. At 224x224 every pool input is even, so Caffe's
    # ceil pools equal mmpretrain's floor pools, pool5 is 7x7 and fc6 has
    # one position: the fully connected layers of the classifier.
    model = fcn32s_with_trunk(converted, first_pad=1)
    images = torch.randint(0, 256, (2, 3, 224, 224)).float()  # BGR

    want_x = classifier.data_preprocessor(dict(inputs=images))['inputs']
    got_x = model.data_preprocessor(dict(inputs=list(images)))['inputs']
    assert_close(got_x, want_x)

    with torch.no_grad():
        fc7 = model.backbone(got_x)[-1]
        vgg = classifier.backbone
        pool5 = vgg.features(want_x)
        want_fc7 = vgg.classifier[:5](pool5.flatten(1))
        want_logits = classifier(want_x, mode='tensor')
    assert fc7.shape == (2, 4096, 1, 1)
    assert want_fc7.abs().sum() > 0
    assert_close(fc7.flatten(1), want_fc7)
    # fc8, which the conversion drops, on the converted fc7 gives
    # mmpretrain's ImageNet logits.
    state = torch.load(src, weights_only=True)['state_dict']
    fc8_w = state['backbone.classifier.6.weight']
    logits = F.conv2d(fc7, fc8_w[:, :, None, None],
                      state['backbone.classifier.6.bias']).flatten(1)
    assert_close(logits, want_logits)
    assert (logits.argmax(1) == want_logits.argmax(1)).all()


def test_meta_records_the_zoo_normalisation(zoo, converted, capsys):
    ckpt = torch.load(converted, weights_only=True)
    meta = ckpt['meta']
    assert meta['fcn_net'] == 'vgg16'
    assert meta['source'] == ZOO_FILE
    assert meta['source_format'] == 'mmpretrain'
    assert meta['converter'] == 'mmpretrain2mmseg'
    assert meta['stage_channels'] == [64, 128, 256, 512, 512]
    assert meta['fc_channels'] == 4096
    zoo_pre = zoo[2]['data_preprocessor']
    assert meta['input'] == dict(TORCHVISION_INPUT, origin='torchvision')
    assert meta['input']['mean'] == zoo_pre['mean']
    assert meta['input']['std'] == zoo_pre['std']
    assert meta['input']['bgr_to_rgb'] is zoo_pre['to_rgb']
    assert any('backbone.classifier.6.weight' in n and 'dropped' in n
               for n in meta['notes'])
    keys = set(ckpt['state_dict'])
    assert keys == {f'backbone.{layer}.{kind}'
                    for layer in CONVS + ('fc6', 'fc7')
                    for kind in ('weight', 'bias')}
    # The converted conv weights are mmpretrain's ConvModule convs.
    state = zoo[0].state_dict()
    for idx, layer in zip(MMPRETRAIN_CONVS, CONVS):
        assert torch.equal(ckpt['state_dict'][f'backbone.{layer}.weight'],
                           state[f'backbone.features.{idx}.conv.weight'])


def mmpretrain_layout(weights, prefix='backbone.', fc8_classes=11):
    """Tiny Caffe-layout weights in mmpretrain's VGG16 key layout."""
    sd = {}
    for idx, name in zip(MMPRETRAIN_CONVS, CONVS):
        w, b = weights[name]
        sd[f'{prefix}features.{idx}.conv.weight'] = torch.from_numpy(w)
        sd[f'{prefix}features.{idx}.conv.bias'] = torch.from_numpy(b)
    for idx, name in ((0, 'fc6'), (3, 'fc7')):
        w, b = weights[name]
        sd[f'{prefix}classifier.{idx}.weight'] = torch.from_numpy(
            w.reshape(w.shape[0], -1))
        sd[f'{prefix}classifier.{idx}.bias'] = torch.from_numpy(b)
    fc = weights['fc7'][1].shape[0]
    sd[f'{prefix}classifier.6.weight'] = torch.randn(fc8_classes, fc)
    sd[f'{prefix}classifier.6.bias'] = torch.randn(fc8_classes)
    return sd


@pytest.mark.parametrize('prefix', ['backbone.', ''])
def test_tiny_trunk_matches_caffe_reference(prefix, tmp_path):
    """Narrow widths, odd input, the default 100-px pad of conv1_1."""
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    weights = caffe_weights('vgg16', seed=7)
    src = tmp_path / 'vgg16_tiny.pth'
    torch.save(dict(state_dict=mmpretrain_layout(weights, prefix)), src)
    dst = tmp_path / 'trunk.pth'
    assert run_tool('mmpretrain2mmseg', src, dst) == 0
    cfg = model_cfg('fcn32s')
    cfg['backbone']['init_cfg'] = dict(
        type='Pretrained', checkpoint=str(dst), prefix='backbone.')
    model = MODELS.build(cfg)
    model.init_weights()
    model.eval()
    x = torch.randn(2, 3, 37, 45)
    with torch.no_grad():
        feats = model.backbone(x)
    expected = reference_trunk(weights, x)
    assert expected[-1].abs().sum() > 0
    for got, want in zip(feats, expected):
        assert_close(got, want)


@pytest.mark.parametrize('backbone, expect', [
    (dict(depth=16, norm_cfg=dict(type='BN')),
     ('backbone.features.0.bn.running_mean', 'batch-norm VGG')),
    (dict(depth=11), ('backbone.features.2.conv.weight', 'another VGG')),
    (dict(depth=16), ('backbone.classifier.0.weight',
                      'without its classifier')),
])
def test_other_mmpretrain_vggs_rejected(backbone, expect, tmp_path, capsys):
    """mmpretrain's own VGGs without classifier (small): one-line error."""
    cfg = dict(zoo_config(), backbone=dict(type='VGG', **backbone))
    src = save_zoo_checkpoint(mmpretrain_model(cfg), tmp_path / 'vgg.pth')
    dst = tmp_path / 'out.pth'
    assert run_tool('mmpretrain2mmseg', src, dst) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: ') and err.count('\n') == 1
    assert str(src) in err
    for text in expect:
        assert text in err
    assert not dst.exists()


def test_fc6_that_does_not_fit_pool5(tmp_path, capsys):
    sd = mmpretrain_layout(caffe_weights('vgg16'))
    sd['backbone.classifier.0.weight'] = torch.randn(9, 8 * 36)
    src = tmp_path / 'bad_fc6.pth'
    torch.save(dict(state_dict=sd), src)
    assert run_tool('mmpretrain2mmseg', src, tmp_path / 'out.pth') == 1
    err = capsys.readouterr().err
    assert 'backbone.classifier.0.weight' in err and '9x288' in err


def test_missing_source_file(tmp_path, capsys):
    src = tmp_path / 'nowhere.pth'
    assert run_tool('mmpretrain2mmseg', src, tmp_path / 'out.pth') == 1
    err = capsys.readouterr().err
    assert err == f'error: {src}: no such file\n'
