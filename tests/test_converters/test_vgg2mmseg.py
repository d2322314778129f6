"""torchvision VGG16 -> VGG16Caffe trunk (tools/model_converters/vgg2mmseg)."""
import argparse

import pytest
import torch
from mmengine.config import ConfigDict

from fcn_plugin.converters import TORCHVISION_INPUT
from ..conftest import build_model, model_cfg
from .sources import (assert_close, caffe_weights, reference_trunk, run_tool,
                      torchvision_state_dict)


@pytest.fixture
def vgg_file(tmp_path):
    weights = caffe_weights('vgg16', seed=1)
    path = tmp_path / 'vgg16-397923af.pth'
    torch.save(torchvision_state_dict(weights), path)
    return weights, path


def build_with_trunk(dst, net='fcn32s', **pre):
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = model_cfg(net)
    cfg['backbone']['init_cfg'] = dict(
        type='Pretrained', checkpoint=str(dst), prefix='backbone.')
    if pre:
        cfg['data_preprocessor'].update(pre)
    model = MODELS.build(ConfigDict(cfg))
    model.init_weights()
    return model


def test_trunk_matches_fully_connected_reference(vgg_file, tmp_path):
    weights, src = vgg_file
    dst = tmp_path / 'checkpoints' / 'vgg16_torchvision_fcn.pth'
    assert run_tool('vgg2mmseg', src, dst) == 0
    model = build_with_trunk(dst, **TORCHVISION_INPUT).eval()
    x = torch.randn(2, 3, 37, 45)
    with torch.no_grad():
        feats = model.backbone(x)
    expected = reference_trunk(weights, x)
    assert expected[-1].abs().sum() > 0
    for got, want in zip(feats, expected):
        assert_close(got, want)


def test_checkpoint_meta_and_safe_loading(vgg_file, tmp_path, capsys):
    _, src = vgg_file
    dst = tmp_path / 'out.pth'
    assert run_tool('vgg2mmseg', src, dst) == 0
    out = capsys.readouterr().out
    assert 'fc8' in out and 'dropped' in out
    ckpt = torch.load(dst, weights_only=True)
    meta = ckpt['meta']
    assert meta['fcn_net'] == 'vgg16'
    assert meta['input']['origin'] == 'torchvision'
    assert meta['input']['bgr_to_rgb'] is True
    assert any('fc8' in n for n in meta['notes'])
    keys = set(ckpt['state_dict'])
    assert keys == {k for k in build_model('fcn32s').state_dict()
                    if k.startswith('backbone.')}
    assert ckpt['state_dict']['backbone.fc6.weight'].shape[-2:] == (7, 7)


def test_caffe_origin_from_file_name(tmp_path):
    src = tmp_path / 'vgg16_from_caffe.pth'
    torch.save(torchvision_state_dict(caffe_weights('vgg16')), src)
    dst = tmp_path / 'out.pth'
    assert run_tool('vgg2mmseg', src, dst) == 0
    meta = torch.load(dst, weights_only=True)['meta']
    assert meta['input']['origin'] == 'caffe'
    assert meta['input']['bgr_to_rgb'] is False


def test_batchnorm_vgg_rejected(vgg_file, tmp_path, capsys):
    weights, _ = vgg_file
    sd = torchvision_state_dict(weights)
    sd['features.1.running_mean'] = torch.zeros(4)
    del sd['features.28.bias']
    src = tmp_path / 'vgg16_bn.pth'
    torch.save(sd, src)
    dst = tmp_path / 'out.pth'
    assert run_tool('vgg2mmseg', src, dst) == 1
    err = capsys.readouterr().err
    assert str(src) in err
    assert 'features.28.bias' in err and 'features.1.running_mean' in err
    assert not dst.exists()


def test_fc6_that_does_not_fit_pool5(vgg_file, tmp_path, capsys):
    weights, _ = vgg_file
    sd = torchvision_state_dict(weights)
    sd['classifier.0.weight'] = torch.randn(9, 8 * 36)
    src = tmp_path / 'bad_fc6.pth'
    torch.save(sd, src)
    assert run_tool('vgg2mmseg', src, tmp_path / 'out.pth') == 1
    err = capsys.readouterr().err
    assert 'classifier.0.weight' in err and '9x288' in err


def test_pickled_objects_refused(vgg_file, tmp_path, capsys):
    weights, _ = vgg_file
    src = tmp_path / 'unsafe.pth'
    torch.save({'state_dict': torchvision_state_dict(weights),
                'args': argparse.Namespace(lr=1)}, src)
    assert run_tool('vgg2mmseg', src, tmp_path / 'out.pth') == 1
    err = capsys.readouterr().err
    assert str(src) in err and 'pickled object argparse.Namespace' in err


def test_existing_output_kept_on_error(tmp_path, capsys):
    src = tmp_path / 'not_torch.pth'
    src.write_bytes(b'\x00garbage' * 10)
    dst = tmp_path / 'keep.pth'
    dst.write_bytes(b'old')
    assert run_tool('vgg2mmseg', src, dst) == 1
    assert 'not a readable PyTorch checkpoint' in capsys.readouterr().err
    assert dst.read_bytes() == b'old'
