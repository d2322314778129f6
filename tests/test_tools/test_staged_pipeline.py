"""The paper's journey through the tools: FCN-32s -> 16s -> 8s, then test.

Runs ``tools/train.py`` three times as a user would, with the demo configs
(the real layers, pads and crops at a narrow width) on the synthetic VOC
set. The 16s and 8s stages start from the previous stage's checkpoint via
``load_from`` and train with lr 0, so their checkpoints show exactly what
the staged init put into them.
"""
import re

import torch
from mmengine.runner.checkpoint import _load_checkpoint

from fcn_plugin.datasets.synthetic import make_synthetic_voc
from fcn_plugin.models.utils import bilinear_kernel
from .conftest import ROOT, data_root_options, run_tool

DEMO = ROOT / 'configs' / 'demo'


def _state(path):
    return _load_checkpoint(str(path), map_location='cpu')['state_dict']


def _train(net, voc, work, *options):
    run_tool('tools/train.py', DEMO / f'{net}_vgg16-tiny_synthetic.py',
             '--work-dir', work, '--cfg-options', *data_root_options(voc),
             'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
             'default_hooks.checkpoint.interval=2', *options)
    ckpt = work / 'iter_2.pth'
    assert ckpt.is_file()
    return ckpt


def _assert_copied(new, old, prefixes):
    copied = [k for k in old if k.startswith(prefixes)]
    assert copied
    for key in copied:
        assert torch.equal(new[key], old[key]), key


def test_staged_training_and_testing(tmp_path):
    voc = make_synthetic_voc(tmp_path / 'data', 8, size=(37, 45))
    ckpt32 = _train('fcn32s', voc, tmp_path / 'fcn32s')
    ckpt16 = _train('fcn16s', voc, tmp_path / 'fcn16s',
                    f'load_from={ckpt32}', 'optim_wrapper.optimizer.lr=0')
    ckpt8 = _train('fcn8s', voc, tmp_path / 'fcn8s', f'load_from={ckpt16}',
                   'optim_wrapper.optimizer.lr=0')

    s32, s16, s8 = _state(ckpt32), _state(ckpt16), _state(ckpt8)
    assert s32['decode_head.score_fr.weight'].abs().sum() > 0
    _assert_copied(s16, s32, ('backbone.', 'decode_head.score_fr.'))
    assert s16['decode_head.score_pool4.weight'].abs().sum() == 0
    assert 'decode_head.upscore.weight' not in s16
    for name, k in (('upscore2', 4), ('upscore16', 32)):
        assert torch.equal(s16[f'decode_head.{name}.weight'],
                           bilinear_kernel(21, k))
    _assert_copied(s8, s16, ('backbone.', 'decode_head.score_fr.',
                             'decode_head.score_pool4.'))
    assert s8['decode_head.score_pool3.weight'].abs().sum() == 0

    show = tmp_path / 'show'
    proc = run_tool('tools/test.py', DEMO / 'fcn8s_vgg16-tiny_synthetic.py',
                    ckpt8, '--work-dir', tmp_path / 'test', '--show-dir',
                    show, '--cfg-options', *data_root_options(voc))
    log = proc.stdout + proc.stderr
    for key in ('aAcc', 'mIoU', 'mAcc', 'fwIoU', 'mIoU@band1'):
        assert re.search(rf'{re.escape(key)}: \d', log), key
    val_ids = (voc / 'ImageSets/Segmentation/val.txt').read_text().split()
    # MMSeg names each drawing test_<image file>_<step>.png
    painted = sorted(
        re.fullmatch(r'test_(.+)\.jpg_\d+', p.stem).group(1)
        for p in show.rglob('*.png'))
    assert len(val_ids) >= 2 and painted == sorted(val_ids)
