"""Caffe .caffemodel -> plugin checkpoints (caffe2mmseg.py)."""
import numpy as np
import pytest
import torch
from mmengine.runner import load_checkpoint

from fcn_tools.reference_fcn import caffe_fcn
from ..conftest import build_model
from .sources import (as_reference_weights, assert_close, caffe_weights,
                      reference_trunk, run_tool, segmentor_logits,
                      write_caffemodel)

NO_BLOB_LAYERS = (('relu1_1', 'ReLU'), ('pool1', 'Pooling'),
                  ('drop6', 'Dropout'))
ATONCE_SCALES = {'scale_pool4': (7, 0.01), 'scale_pool3': (6, 0.0001)}


def fcn_caffemodel(path, net, seed=0, num_classes=21):
    weights = caffe_weights(net, num_classes=num_classes, seed=seed)
    blobs = dict(weights)
    if net == 'fcn8s-atonce':
        for name, (channels, value) in ATONCE_SCALES.items():
            blobs[name] = [np.full(channels, value, np.float32)]
    write_caffemodel(path, blobs, v1=False, extra=NO_BLOB_LAYERS +
                     (('score', 'Crop'), ('fuse', 'Eltwise')))
    return weights


def test_v1_vgg16_trunk(tmp_path, capsys):
    weights = caffe_weights('vgg16', seed=3, fc_matrix=True)
    blobs = dict(weights, fc8=[np.ones((11, 9), np.float32),
                               np.zeros(11, np.float32)])
    src = write_caffemodel(tmp_path / 'VGG_ILSVRC_16_layers.caffemodel',
                           blobs, v1=True,
                           extra=(('data', 'Data'),) + NO_BLOB_LAYERS)
    dst = tmp_path / 'vgg16_caffe_fcn.pth'
    assert run_tool('caffe2mmseg', src, dst) == 0
    assert 'fc8' in capsys.readouterr().out
    ckpt = torch.load(dst, weights_only=True)
    assert ckpt['meta']['fcn_net'] == 'vgg16'
    assert ckpt['meta']['source_format'] == 'caffe-V1'
    assert ckpt['meta']['input']['bgr_to_rgb'] is False

    model = build_model('fcn16s')
    load_checkpoint(model.backbone, str(dst), strict=True,
                    revise_keys=[(r'^backbone\.', '')])
    model.eval()
    x = torch.randn(1, 3, 41, 33)  # channel order = BGR, as Caffe reads
    with torch.no_grad():
        feats = model.backbone(x)
    expected = reference_trunk(weights, x)
    assert expected[-1].abs().sum() > 0
    for got, want in zip(feats, expected):
        assert_close(got, want)


@pytest.mark.parametrize('net', ['fcn32s', 'fcn16s', 'fcn8s',
                                 'fcn8s-atonce'])
def test_v2_voc_fcn_logits(net, tmp_path, capsys):
    src = tmp_path / f'{net}-heavy-pascal.caffemodel'
    weights = fcn_caffemodel(src, net)
    dst = tmp_path / f'{net}_voc.pth'
    assert run_tool('caffe2mmseg', src, dst) == 0
    out = capsys.readouterr().out
    ckpt = torch.load(dst, weights_only=True)
    meta = ckpt['meta']
    assert meta['fcn_net'] == net
    assert meta['num_classes'] == 21
    assert meta['dataset_meta']['classes'][0] == 'background'
    if net == 'fcn8s-atonce':
        assert 'scale_pool4' in out and 'scale_pool3' in out
    model = build_model(net)
    load_checkpoint(model, str(dst), strict=True)
    x = torch.randn(1, 3, 37, 29)
    got = segmentor_logits(model, x)
    want = caffe_fcn(as_reference_weights(weights), x, net)
    assert want.abs().sum() > 0
    assert_close(got, want)


def test_net_detected_from_layers_and_checked(tmp_path, capsys):
    src = tmp_path / 'model.caffemodel'
    fcn_caffemodel(src, 'fcn16s')
    assert run_tool('caffe2mmseg', src, tmp_path / 'a.pth') == 0
    assert torch.load(tmp_path / 'a.pth',
                      weights_only=True)['meta']['fcn_net'] == 'fcn16s'
    assert run_tool('caffe2mmseg', src, tmp_path / 'b.pth', '--net',
                    'fcn32s') == 1
    err = capsys.readouterr().err
    assert 'FCN-16s' in err and 'FCN-32s' in err and str(src) in err


@pytest.mark.parametrize('case', ['garbage', 'truncated', 'empty',
                                  'unknown_layer', 'bad_scale',
                                  'bias_on_upscore', 'bad_shape'])
def test_bad_caffemodels(case, tmp_path, capsys):
    src = tmp_path / 'bad.caffemodel'
    weights = caffe_weights('fcn32s')
    expect = {
        'garbage': 'not a binary Caffe model',
        'truncated': 'not a binary Caffe model',
        'empty': 'holds no layer with parameters',
        'unknown_layer': 'fc9',
        'bad_scale': 'scale_pool3',
        'bias_on_upscore': 'upscore',
        'bad_shape': 'score_fr',
    }[case]
    if case == 'garbage':
        src.write_bytes(b'\xff' * 64)
    elif case == 'truncated':
        write_caffemodel(src, weights)
        src.write_bytes(src.read_bytes()[:-7])
    elif case == 'empty':
        src.write_bytes(b'')
    elif case == 'unknown_layer':
        write_caffemodel(src, dict(weights, fc9=weights['score_fr']))
    elif case == 'bad_scale':
        w8 = caffe_weights('fcn8s')
        write_caffemodel(src, dict(
            w8, scale_pool4=[np.full(7, 0.01, np.float32)],
            scale_pool3=[np.full(6, 0.001, np.float32)]))
    elif case == 'bias_on_upscore':
        weights['upscore'].append(np.zeros(21, np.float32))
        write_caffemodel(src, weights)
    elif case == 'bad_shape':
        weights['score_fr'][0] = weights['score_fr'][0][:, :5]
        write_caffemodel(src, weights)
    dst = tmp_path / 'out.pth'
    assert run_tool('caffe2mmseg', src, dst) == 1
    err = capsys.readouterr().err
    assert str(src) in err and expect in err
    assert not dst.exists()
