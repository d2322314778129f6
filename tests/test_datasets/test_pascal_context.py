"""The PASCAL-Context reference configs under the project's and MMSeg's tools.

At tiny widths on a tiny VOC2010 tree in MMSeg's PASCAL-Context layout:
FCN-32s (59 classes) trains two iterations with ``tools/train.py``, FCN-16s
is staged from its checkpoint and tested by MMSeg's packaged ``test.py``
with ``--show-dir`` (the Context palette, the paper's metrics and the
boundary bands on the 59 classes); MMSeg's inference APIs run on it in a
fresh process. The 60-output config scores the 59 classes, leaving the
background out, through ``tools/test.py``.
"""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.datasets import PascalContextDataset, PascalContextDataset59
from PIL import Image

from fcn_plugin.utils.safe_checkpoint import safe_load
from ..conftest import CONFIGS, randomize
from ..test_apis.conftest import SIZES, tiny_options
from ..test_apis.test_mmseg_tools import INFER, MMSEG_TOOLS, _run, metrics_line
from .test_any_dataset import cli, tiny_run, train_staged, write_pascal_context

ROOT = CONFIGS.parent


def options(config: Path, data: Path, iters: int, **extra) -> list:
    """``--cfg-options`` of a tiny run of ``config`` on ``data``."""
    return cli(tiny_run(config, data, iters, **extra))


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> Path:
    return write_pascal_context(tmp_path_factory.mktemp('context') / 'VOC2010')


@pytest.fixture(scope='module')
def staged(data, tmp_path_factory) -> dict:
    """FCN-32s trained two iterations, FCN-16s one more from it."""
    return train_staged('pascal-context-59', data,
                        tmp_path_factory.mktemp('runs'))


def test_59_class_nets_train_and_stage(staged):
    ckpt = safe_load(str(staged['fcn32s']['ckpt']), map_location='cpu')
    classes = ckpt['meta']['dataset_meta']['classes']
    assert tuple(classes) == PascalContextDataset59.METAINFO['classes']
    assert ckpt['state_dict']['decode_head.score_fr.weight'].shape[0] == 59
    log = staged['fcn16s']['log']
    assert re.search(
        r'FCN-32s weights into FCN-16s: copied \d+ tensors .*score_fr.*; '
        r'kept at their initial values .*score_pool4', log), log[-3000:]
    assert 'Iter(train) [1/1]' in log


def _blend(image: np.ndarray, color, alpha: float = 0.8) -> np.ndarray:
    """MMSeg's SegLocalVisualizer: the class colour over the image at its
    default ``alpha``."""
    return image * (1 - alpha) + np.asarray(color, np.float64) * alpha


def test_mmseg_test_tool_scores_and_draws_the_context_classes(
        staged, data, tmp_path):
    run = staged['fcn16s']
    show = tmp_path / 'show'
    log = _run(MMSEG_TOOLS / 'test.py', run['config'], run['ckpt'],
               '--work-dir', tmp_path / 'test', '--show-dir', show,
               '--cfg-options', *options(run['config'], data, 1), cwd=ROOT)
    line = metrics_line(log)
    for key in ('aAcc', 'mIoU', 'mAcc', 'fwIoU', 'mIoU@band2'):
        assert re.search(rf'\b{re.escape(key)}: \d', line), key
    # the per-class table has the 59 classes (no background)
    assert re.search(r'\|\s+tvmonitor\s+\|', log)
    assert not re.search(r'\|\s+background\s+\|', log)
    ids = (data / 'ImageSets/SegmentationContext/val.txt').read_text().split()
    pictures = sorted(show.rglob('*.png'))
    assert len(pictures) == len(ids)
    # the ground-truth half is drawn in MMSeg's Context-59 palette
    picture = pictures[0]
    stem = next(i for i in ids if i in picture.name)
    image = np.asarray(Image.open(data / 'JPEGImages' / f'{stem}.jpg'),
                       np.float64)
    label = np.asarray(Image.open(data / 'SegmentationClassContext' /
                                  f'{stem}.png'))
    drawn = np.asarray(Image.open(picture).convert('RGB'), np.float64)
    gt_half = drawn[:, :label.shape[1]]
    palette = PascalContextDataset59.METAINFO['palette']
    # (a class name drawn on its region in a box covers part of a region
    # this small: most, not all, of its pixels show the blend)
    for value in np.unique(label[label > 0]):
        mask = label == value

        def share(color):
            err = np.abs(gt_half[mask] - _blend(image[mask], color))
            return (err.max(-1) <= 3).mean()

        # MMSeg's 59-class palette, not the 60-class one it is cut from
        wrong = PascalContextDataset.METAINFO['palette'][value - 1]
        assert share(palette[value - 1]) > 0.5 > share(wrong), value


def test_inference_apis_on_the_staged_checkpoint(staged, tmp_path):
    run = staged['fcn16s']
    images = []
    for h, w in SIZES:
        path = tmp_path / f'img_{h}x{w}.png'
        Image.new('RGB', (w, h), (30, 140, 220)).save(path)
        images.append(path)
    log = _run('-c', INFER, run['work'] / run['config'].name, run['ckpt'],
               tmp_path / 'infer', *images, cwd=tmp_path)
    shapes = json.loads(log.split('SHAPES', 1)[1].splitlines()[0])
    assert shapes == [[h, w] for h, w in SIZES] * 2


def test_60_output_net_is_scored_on_the_59_classes(data, tmp_path):
    """The reference's 60 outputs, background included; tools/test.py
    leaves the background's pixels out of the scores and names it."""
    from mmseg.registry import MODELS
    config = CONFIGS / 'fcn8s_vgg16_pascal-context.py'
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(tiny_options(config))
    init_default_scope('mmseg')
    model = randomize(MODELS.build(cfg.model), 1)
    ckpt = tmp_path / 'fcn8s_60.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    log = _run(ROOT / 'tools/test.py', config, ckpt, '--work-dir',
               tmp_path / 'test', '--cfg-options',
               *options(config, data, 1), cwd=ROOT)
    assert 'scored on 59 of 60 classes; excluded: background' in log
    table = log.split('per class results:', 1)[1]
    assert re.search(r'\|\s+aeroplane\s+\|', table)
    assert not re.search(r'\|\s+background\s+\|', table)
    assert PascalContextDataset.METAINFO['classes'][0] == 'background'
    (metrics, ) = (tmp_path / 'test').glob('*/*.json')
    scores = json.loads(metrics.read_text())
    assert {'aAcc', 'mIoU', 'mAcc', 'fwIoU', 'mIoU@band5'} <= set(scores)
