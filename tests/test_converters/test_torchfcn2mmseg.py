"""pytorch-fcn -> plugin checkpoints (torchfcn2mmseg.py)."""
import argparse

import pytest
import torch
from mmengine.runner import load_checkpoint

from fcn_tools.reference_fcn import caffe_fcn
from ..conftest import build_model
from .sources import (as_reference_weights, assert_close, caffe_weights,
                      run_tool, segmentor_logits, torchfcn_state_dict)


@pytest.mark.parametrize('net,wrap,name', [
    ('fcn32s', None, 'fcn32s_from_caffe.pth'),
    ('fcn16s', 'module', 'fcn16s_from_caffe.pth'),
    ('fcn8s', None, 'fcn8s_from_caffe.pth'),
    ('fcn8s-atonce', 'model_state_dict', 'checkpoint.pth.tar'),
])
def test_logits_match_reference(net, wrap, name, tmp_path):
    weights = caffe_weights(net, seed=5)
    sd = torchfcn_state_dict(weights)
    if wrap == 'module':  # saved from DataParallel
        sd = {f'module.{k}': v for k, v in sd.items()}
    elif wrap == 'model_state_dict':  # a pytorch-fcn training checkpoint
        sd = dict(epoch=3, iteration=1000, arch='FCN8sAtOnce',
                  optim_state_dict={}, model_state_dict=sd,
                  best_mean_iu=0.5)
    src = tmp_path / name
    torch.save(sd, src)
    dst = tmp_path / 'checkpoints' / f'{net}_voc.pth'
    assert run_tool('torchfcn2mmseg', src, dst) == 0
    meta = torch.load(dst, weights_only=True)['meta']
    assert meta['fcn_net'] == net
    assert meta['input']['origin'] == 'caffe'
    model = build_model(net)
    load_checkpoint(model, str(dst), strict=True)
    x = torch.randn(1, 3, 31, 43)
    want = caffe_fcn(as_reference_weights(weights), x, net)
    assert want.abs().sum() > 0
    assert_close(segmentor_logits(model, x), want)


def test_atonce_from_name_or_flag(tmp_path, capsys):
    sd = torchfcn_state_dict(caffe_weights('fcn8s'))
    for name, args, want in (
            ('fcn8s-atonce_from_caffe.pth', (), 'fcn8s-atonce'),
            ('weights.pth', ('--net', 'fcn8s-atonce'), 'fcn8s-atonce'),
            ('weights.pth', (), 'fcn8s')):
        src = tmp_path / name
        torch.save(sd, src)
        dst = tmp_path / 'out.pth'
        assert run_tool('torchfcn2mmseg', src, dst, *args) == 0
        assert torch.load(dst, weights_only=True)['meta']['fcn_net'] == want
    assert '--net fcn8s-atonce' in capsys.readouterr().out


def test_unsafe_pickle_refused(tmp_path, capsys):
    sd = torchfcn_state_dict(caffe_weights('fcn32s'))
    src = tmp_path / 'fcn32s.pth'
    torch.save(dict(model_state_dict=sd, args=argparse.Namespace(lr=1e-10)),
               src)
    assert run_tool('torchfcn2mmseg', src, tmp_path / 'out.pth') == 1
    err = capsys.readouterr().err
    assert str(src) in err and 'argparse.Namespace' in err


@pytest.mark.parametrize('edit,expect', [
    ('drop_bias', 'decode_head.score_pool4.bias'),
    ('extra_key', 'score59.weight'),
    ('classes', 'score_pool4.weight'),
    ('wrong_net', 'FCN-16s'),
])
def test_mismatched_files(edit, expect, tmp_path, capsys):
    weights = caffe_weights('fcn16s')
    sd = torchfcn_state_dict(weights)
    args = ()
    if edit == 'drop_bias':
        del sd['score_pool4.bias']
    elif edit == 'extra_key':
        sd['score59.weight'] = torch.zeros(60, 9, 1, 1)
    elif edit == 'classes':  # score_pool4 for 60 classes, the rest 21
        sd['score_pool4.weight'] = torch.zeros(60, 7, 1, 1)
        sd['score_pool4.bias'] = torch.zeros(60)
    elif edit == 'wrong_net':
        args = ('--net', 'fcn8s')
    src = tmp_path / 'fcn16s.pth'
    torch.save(sd, src)
    dst = tmp_path / 'out.pth'
    assert run_tool('torchfcn2mmseg', src, dst, *args) == 1
    err = capsys.readouterr().err
    assert str(src) in err and expect in err
    assert not dst.exists()
