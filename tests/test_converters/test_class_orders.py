"""PASCAL-Context releases: score rows reordered to MMSeg's class lists.

Caffe-format files with 60 score rows (the background and the 59 classes in
the reference's order) at tiny widths are converted for
``PascalContextDataset`` (60 classes) and ``PascalContextDataset59`` (59, no
background); the converted nets, built from the tiny test configs, must
give the logits of the independent reference net run on the unconverted
weights, with the classes permuted by name.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.runner import load_checkpoint
from mmseg.datasets import (PascalContextDataset, PascalContextDataset59,
                            PascalVOCDataset)

from fcn_plugin.converters import WeightFileError, caffe2mmseg, summary
from fcn_plugin.engine import plan_load
from fcn_tools.reference_fcn import caffe_fcn
from ..conftest import ROOT, build_model
from .sources import (TOOLS, as_reference_weights, assert_close, caffe_weights,
                      run_tool, segmentor_logits, write_caffemodel)

#: The reference's classes (fcn.berkeleyvision.org
#: ``data/pascal-context/classes-59.txt``), row by row.
REFERENCE_CLASSES = '''background aeroplane bicycle bird boat bottle bus car
    cat chair cow diningtable dog horse motorbike person pottedplant sheep
    sofa train tvmonitor bag bed bench book building cabinet ceiling clothes
    computer cup door fence floor flower food grass ground keyboard light
    mountain mouse curtain platform sign plate road rock shelves sidewalk sky
    snow bedcloth track tree truck wall water window wood'''.split()
#: The reference's names that MMSeg spells otherwise.
MMSEG_NAMES = {'diningtable': 'table', 'bedcloth': 'bedclothes',
               'clothes': 'cloth'}
DATASETS = {'pascal-context': PascalContextDataset,
            'pascal-context-59': PascalContextDataset59}
NETS = ('fcn32s', 'fcn16s', 'fcn8s')
SIZES = ((1, 1), (37, 45), (64, 29))
UPSCORE = {'fcn32s': ('upscore', ), 'fcn16s': ('upscore2', 'upscore16'),
           'fcn8s': ('upscore2', 'upscore_pool4', 'upscore8')}


def expected_columns(target):
    """Reference row of each class of the target dataset, by name."""
    names = [MMSEG_NAMES.get(c, c) for c in REFERENCE_CLASSES]
    return [names.index(c) for c in DATASETS[target].METAINFO['classes']]


@pytest.fixture(scope='module')
def context(tmp_path_factory):
    """Per net: the 60-row release file, its weights, reference logits."""
    root = tmp_path_factory.mktemp('context')
    g = torch.Generator().manual_seed(7)
    inputs = [torch.randn((1, 3) + s, generator=g) for s in SIZES]
    out = {}
    for seed, net in enumerate(NETS):
        weights = caffe_weights(net, num_classes=60, seed=10 + seed)
        for name in UPSCORE[net]:
            # Random kernels between all classes but from the background
            # into the others: zero there like the release's per-class
            # kernels, so dropping the background keeps the other scores.
            weights[name][0][0, 1:] = 0
        src = write_caffemodel(
            root / f'pascalcontext-{net}-heavy.caffemodel', weights)
        ref = as_reference_weights(weights)
        out[net] = dict(src=src, weights=weights, inputs=inputs,
                        logits=[caffe_fcn(ref, x, net) for x in inputs])
    return out


def test_reference_names_match_mmseg():
    assert len(REFERENCE_CLASSES) == 60
    for target, count in (('pascal-context', 60), ('pascal-context-59', 59)):
        cols = expected_columns(target)
        assert len(cols) == len(set(cols)) == count
        assert cols != sorted(cols)  # a real permutation
    assert 0 not in expected_columns('pascal-context-59')


@pytest.mark.parametrize('target', ['pascal-context', 'pascal-context-59'])
@pytest.mark.parametrize('net', NETS)
def test_context_logits_permuted_by_name(net, target, context, tmp_path):
    case = context[net]
    dst = tmp_path / f'{net}_{target}.pth'
    caffe2mmseg(str(case['src']), str(dst), classes=target)
    cols = expected_columns(target)
    model = build_model(net, num_classes=len(cols))
    load_checkpoint(model, str(dst), strict=True)
    for x, want in zip(case['inputs'], case['logits']):
        assert want.abs().sum() > 0
        assert_close(segmentor_logits(model, x), want[:, cols])


def test_context_meta_and_summary(context, tmp_path, capsys):
    src = context['fcn16s']['src']
    dst = tmp_path / 'fcn16s_pascal-context-59.pth'
    assert run_tool('caffe2mmseg', src, dst, '--classes',
                    'pascal-context-59') == 0
    out = capsys.readouterr().out
    meta = torch.load(dst, weights_only=True)['meta']
    info = PascalContextDataset59.METAINFO
    assert meta['num_classes'] == 59
    assert meta['dataset_meta'] == dict(
        classes=list(info['classes']),
        palette=[list(c) for c in info['palette']])
    assert meta['class_order'] == dict(release='pascal-context',
                                       target='pascal-context-59',
                                       dropped=['background'])
    text = ('score rows reordered from the PASCAL-Context reference order to '
            "PascalContextDataset59's; dropped: background")
    assert any(text in n for n in meta['notes'])
    assert text in out and '59 classes (pascal-context-59)' in out
    assert summary(meta, str(dst)) in out
    # Without --classes: the release's first target, all 60 classes.
    meta = caffe2mmseg(str(src), str(tmp_path / 'default.pth'))
    assert meta['class_order']['target'] == 'pascal-context'
    assert meta['class_order']['dropped'] == []
    assert meta['dataset_meta']['classes'] == list(
        PascalContextDataset.METAINFO['classes'])


@pytest.mark.parametrize('classes', [None, 'voc'])
def test_voc_conversion_unchanged(classes, tmp_path):
    weights = caffe_weights('fcn8s', seed=4)
    src = write_caffemodel(tmp_path / 'fcn8s-heavy-pascal.caffemodel',
                           weights)
    dst = tmp_path / 'fcn8s_voc.pth'
    caffe2mmseg(str(src), str(dst), classes=classes)
    ckpt = torch.load(dst, weights_only=True)
    for layer in ('score_fr', 'upscore2', 'score_pool4', 'upscore_pool4',
                  'score_pool3', 'upscore8'):
        for kind, blob in zip(('weight', 'bias'), weights[layer]):
            got = ckpt['state_dict'][f'decode_head.{layer}.{kind}']
            assert torch.equal(got, torch.from_numpy(blob))
    meta = ckpt['meta']
    assert meta['dataset_meta']['classes'] == list(
        PascalVOCDataset.METAINFO['classes'])
    assert 'class_order' not in meta and meta['notes'] == []


def test_undeclared_row_count_converts_unchanged(tmp_path):
    weights = caffe_weights('fcn32s', num_classes=33)
    src = write_caffemodel(tmp_path / 'other.caffemodel', weights)
    meta = caffe2mmseg(str(src), str(tmp_path / 'other.pth'))
    sd = torch.load(tmp_path / 'other.pth', weights_only=True)['state_dict']
    assert torch.equal(sd['decode_head.score_fr.weight'],
                       torch.from_numpy(weights['score_fr'][0]))
    assert 'dataset_meta' not in meta and 'class_order' not in meta
    assert any('33 score rows match no declared class order' in n
               for n in meta['notes'])


def test_classes_that_do_not_fit(context, tmp_path):
    trunk = write_caffemodel(tmp_path / 'vgg16.caffemodel',
                             caffe_weights('vgg16'))
    with pytest.raises(WeightFileError, match='VGG16 trunk'):
        caffe2mmseg(str(trunk), str(tmp_path / 'a.pth'), classes='voc')
    # A trunk file without --classes is unaffected.
    assert 'dataset_meta' not in caffe2mmseg(str(trunk),
                                             str(tmp_path / 'b.pth'))
    with pytest.raises(WeightFileError) as err:
        caffe2mmseg(str(context['fcn32s']['src']), str(tmp_path / 'c.pth'),
                    classes='voc')
    assert 'scores 60 classes (PASCAL-Context)' in str(err.value)
    assert 'needs a PASCAL VOC release (21 rows)' in str(err.value)
    with pytest.raises(WeightFileError, match='not one of'):
        caffe2mmseg(str(trunk), str(tmp_path / 'd.pth'), classes='ade')
    assert not any((tmp_path / n).exists() for n in ('a.pth', 'c.pth',
                                                     'd.pth'))


def test_dropping_a_class_that_upscore_mixes_in_fails(tmp_path):
    weights = caffe_weights('fcn16s', num_classes=60, seed=3)
    weights['upscore2'][0][0, 1:] = 0
    src = write_caffemodel(tmp_path / 'mixed.caffemodel', weights)
    with pytest.raises(WeightFileError) as err:
        caffe2mmseg(str(src), str(tmp_path / 'a.pth'),
                    classes='pascal-context-59')
    assert 'upscore16 feeds the dropped classes (background)' in str(
        err.value)
    assert '--classes pascal-context' in str(err.value)
    assert not (tmp_path / 'a.pth').exists()
    caffe2mmseg(str(src), str(tmp_path / 'b.pth'), classes='pascal-context')


def test_cli_mismatched_classes_is_one_error_line(tmp_path):
    src = write_caffemodel(tmp_path / 'fcn32s-heavy-pascal.caffemodel',
                           caffe_weights('fcn32s'))
    dst = tmp_path / 'out.pth'
    env = dict(os.environ)
    env.pop('FCN_DEBUG', None)
    proc = subprocess.run(
        [sys.executable, str(TOOLS / 'caffe2mmseg.py'), str(src), str(dst),
         '--classes', 'pascal-context-59'],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert [ln for ln in lines if ln.startswith('error:')] == lines[-1:]
    assert 'Traceback' not in proc.stderr
    assert lines[-1] == (
        f'error: {src}: the file scores 21 classes (PASCAL VOC); --classes '
        'pascal-context-59 needs a PASCAL-Context release (60 rows)')
    assert not dst.exists()


def test_weights_hook_names_the_other_target(context, tmp_path):
    src = str(context['fcn32s']['src'])

    def shapes(num_classes):
        model = build_model('fcn32s', num_classes=num_classes)
        return {k: tuple(v.shape) for k, v in model.state_dict().items()}

    for target, other, count in (('pascal-context', 'pascal-context-59', 59),
                                 ('pascal-context-59', 'pascal-context', 60)):
        dst = tmp_path / f'{target}.pth'
        caffe2mmseg(src, str(dst), classes=target)
        ckpt = torch.load(dst, weights_only=True)
        for staged in (False, True):
            with pytest.raises(WeightFileError) as err:
                plan_load(shapes(count), 'fcn32s', ckpt['state_dict'],
                          str(dst), ckpt['meta'], staged=staged)
            msg = str(err.value)
            assert ('reconvert with tools/model_converters/caffe2mmseg.py '
                    f'--classes {other} ') in msg
            assert f'num_classes={count}' in msg
    # No record, no hint: a VOC file in a 59-class config.
    weights = caffe_weights('fcn32s', seed=1)
    voc = write_caffemodel(tmp_path / 'voc.caffemodel', weights)
    caffe2mmseg(str(voc), str(tmp_path / 'voc.pth'))
    ckpt = torch.load(tmp_path / 'voc.pth', weights_only=True)
    with pytest.raises(WeightFileError) as err:
        plan_load(shapes(59), 'fcn32s', ckpt['state_dict'], 'voc.pth',
                  ckpt['meta'])
    assert '--classes' not in str(err.value)
    assert np.isfinite(weights['score_fr'][0]).all()
