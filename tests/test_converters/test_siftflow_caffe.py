"""The two-head SIFT Flow releases: caffe2mmseg.py -> TwoHeadEncoderDecoder.

Caffe-format files in the layout of ``siftflow-fcn{32,16,8}s-heavy`` (the
trunk once, the head layers twice: ``<layer>_sem`` with 33 rows and
``<layer>_geo`` with 3) at tiny widths are converted; the converted nets,
built from a two-head test config, must give both logits of the
independent reference net run on the unconverted weights.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.runner import load_checkpoint

from fcn_plugin.converters import WeightFileError, caffe2mmseg
from fcn_plugin.datasets.siftflow_dataset import GEO_CLASSES, SIFTFLOW_CLASSES
from fcn_tools.reference_fcn import caffe_two_head_fcn
from ..conftest import ROOT
from .sources import (TOOLS, as_reference_weights, assert_close,
                      build_two_head, caffe_weights, run_tool,
                      segmentor_logits, two_head_caffe_weights,
                      write_caffemodel)

NO_BLOB_LAYERS = (('relu1_1', 'ReLU'), ('pool1', 'Pooling'),
                  ('drop7', 'Dropout'), ('score_sem', 'Crop'),
                  ('loss_geo', 'SoftmaxWithLoss'))
SIFTFLOW_MEAN = [114.578, 115.294, 108.353]


def siftflow_caffemodel(path, net, seed=0, classes=(33, 3)):
    weights = two_head_caffe_weights(net, classes=classes, seed=seed)
    write_caffemodel(path, weights, extra=NO_BLOB_LAYERS)
    return weights


@pytest.mark.parametrize('net', ['fcn32s', 'fcn16s', 'fcn8s'])
def test_release_converts_to_both_heads(net, tmp_path, capsys):
    src = tmp_path / f'siftflow-{net}-heavy.caffemodel'
    weights = siftflow_caffemodel(src, net, seed=4)
    dst = tmp_path / f'{net}_vgg16_siftflow.pth'
    assert run_tool('caffe2mmseg', src, dst) == 0
    out = capsys.readouterr().out
    assert 'two-head' in out and '(decode_head, geo_head)' in out
    assert 'decode_head 33 classes' in out and 'geo_head 3 classes' in out
    assert 'score_fr_sem' not in out  # nothing dropped or renamed oddly
    ckpt = torch.load(dst, weights_only=True)
    meta, state = ckpt['meta'], ckpt['state_dict']
    assert meta['fcn_net'] == net
    assert meta['heads'] == ['decode_head', 'geo_head']
    assert meta['head_classes'] == dict(decode_head=33, geo_head=3)
    assert meta['num_classes'] == 33
    dataset_meta = meta['dataset_meta']
    assert dataset_meta['classes'] == list(SIFTFLOW_CLASSES)
    assert dataset_meta['geo_classes'] == list(GEO_CLASSES)
    assert len(dataset_meta['geo_palette']) == 3
    assert 'class_order' not in meta  # the reference order is the dataset's
    assert meta['input']['mean'] == SIFTFLOW_MEAN
    # <layer>_sem -> decode_head.<layer>, <layer>_geo -> geo_head.<layer>
    for suffix, head in (('_sem', 'decode_head'), ('_geo', 'geo_head')):
        assert torch.equal(state[f'{head}.score_fr.weight'],
                           torch.from_numpy(weights['score_fr' + suffix][0]))

    model = build_two_head(net)
    load_checkpoint(model, str(dst), strict=True)
    x = torch.randn(1, 3, 37, 29)
    got = segmentor_logits(model, x)
    sem, geo = caffe_two_head_fcn(as_reference_weights(weights), x, net)
    assert sem.abs().sum() > 0 and geo.abs().sum() > 0
    assert_close(got[:, :33], sem)
    assert_close(got[:, 33:], geo)


@pytest.mark.parametrize('case', ['heads_differ', 'geo_missing',
                                  'mixed', 'geo_rows', 'voc_target',
                                  'other_net'])
def test_bad_two_head_files(case, tmp_path):
    src = tmp_path / 'siftflow.caffemodel'
    weights = two_head_caffe_weights('fcn16s')
    classes = None
    net = None
    expect = {
        'heads_differ': ['geo_head (*_geo) the FCN-32s layers',
                         'decode_head (*_sem) the FCN-16s layers',
                         'same net'],
        'geo_missing': ['geo_head (*_geo) no layers', 'same net'],
        'mixed': ['mixes', 'score_fr', 'score_fr_sem'],
        'geo_rows': ['geo_head scores 4 classes', '3 geo_classes'],
        'voc_target': ['--classes voc', 'one head', '2 heads'],
        'other_net': ['FCN-16s', 'FCN-32s'],
    }[case]
    if case == 'heads_differ':
        geo32 = two_head_caffe_weights('fcn32s')
        weights = {k: v for k, v in weights.items()
                   if not k.endswith('_geo')}
        weights.update({k: v for k, v in geo32.items()
                        if k.endswith('_geo')})
    elif case == 'geo_missing':
        weights = {k: v for k, v in weights.items()
                   if not k.endswith('_geo')}
    elif case == 'mixed':
        weights['score_fr'] = caffe_weights('fcn32s')['score_fr']
    elif case == 'geo_rows':
        weights = two_head_caffe_weights('fcn16s', classes=(33, 4))
    elif case == 'voc_target':
        classes = 'voc'
    else:
        net = 'fcn32s'
    write_caffemodel(src, weights)
    dst = tmp_path / 'out.pth'
    with pytest.raises(WeightFileError) as err:
        caffe2mmseg(str(src), str(dst), net=net, classes=classes)
    msg = str(err.value)
    assert str(src) in msg
    for text in expect:
        assert text in msg, (text, msg)
    assert not dst.exists()


def test_two_head_file_of_no_release_converts_unchanged(tmp_path):
    src = tmp_path / 'other.caffemodel'
    weights = siftflow_caffemodel(src, 'fcn32s', classes=(21, 3))
    meta = caffe2mmseg(str(src), str(tmp_path / 'other.pth'))
    assert meta['head_classes'] == dict(decode_head=21, geo_head=3)
    assert 'dataset_meta' not in meta
    assert any('21 score rows match no declared class order' in n
               for n in meta['notes'])
    state = torch.load(tmp_path / 'other.pth', weights_only=True)[
        'state_dict']
    assert np.array_equal(state['geo_head.upscore.weight'].numpy(),
                          weights['upscore_geo'][0])


def test_cli_bad_two_head_file_is_one_error_line(tmp_path):
    weights = two_head_caffe_weights('fcn8s')
    del weights['score_pool3_geo'], weights['upscore8_geo']
    src = write_caffemodel(tmp_path / 'siftflow-fcn8s-heavy.caffemodel',
                           weights)
    dst = tmp_path / 'out.pth'
    env = dict(os.environ)
    env.pop('FCN_DEBUG', None)
    proc = subprocess.run(
        [sys.executable, str(TOOLS / 'caffe2mmseg.py'), str(src), str(dst)],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert [ln for ln in lines if ln.startswith('error:')] == lines[-1:]
    assert 'Traceback' not in proc.stderr
    assert lines[-1].startswith(f'error: {src} is a two-head net whose '
                                'heads differ')
    assert 'score_pool3_sem' in lines[-1] and 'geo_head' in lines[-1]
    assert not dst.exists()
