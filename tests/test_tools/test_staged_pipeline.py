"""The paper's journey through the tools: FCN-32s -> 16s -> 8s, then test.

Runs ``tools/train.py`` three times as a user would, with the demo configs
(the real layers, pads and crops at a narrow width) on the synthetic VOC
set. The 16s and 8s stages start from the previous stage's checkpoint via
``load_from`` and train with lr 0, so their checkpoints show exactly what
the staged init put into them. Then ``tools/demo.py`` end to end at a tiny
scale, and its pieces: the checks, the joined curves and the report.
"""
import json
import re

import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import _load_checkpoint
from PIL import Image

from fcn_plugin.models.utils import bilinear_kernel
from fcn_tools import demo
from fcn_tools.synthetic import make_synthetic_voc
from .conftest import data_root_options, run_tool


def _state(path):
    return _load_checkpoint(str(path), map_location='cpu')['state_dict']


def _train(net, voc, work, *options):
    run_tool('tools/train.py', demo.CONFIGS[net],
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
    proc = run_tool('tools/test.py', demo.CONFIGS['fcn8s'],
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


def _summary(m32, m16, m8, b32, b16, b8):
    return {
        net: {
            'mIoU': miou,
            'mIoU@band1': band
        }
        for net, miou, band in zip(('fcn32s', 'fcn16s', 'fcn8s'), (
            m32, m16, m8), (b32, b16, b8))
    }


@pytest.mark.parametrize('summary, failing', [
    (_summary(60, 70, 71, 30, 40, 45), []),
    (_summary(60, 60, 60, 30, 32, 34), []),
    (_summary(49.9, 70, 71, 30, 40, 45), [0]),
    (_summary(60, 59.9, 71, 30, 40, 45), [1]),
    (_summary(60, 70, 69, 30, 40, 45), [2]),
    (_summary(60, 70, 71, 30, 31.9, 45), [3]),
    (_summary(60, 70, 71, 30, 40, 41.9), [4]),
])
def test_demo_checks_the_papers_claims(summary, failing):
    results = demo.checks(summary, min_miou=50, min_gain=2)
    assert len(results) == 5
    assert [k for k, (_, ok) in enumerate(results) if not ok] == failing


def _scalars(work, records):
    run = work / '20260101_000000' / 'vis_data'
    run.mkdir(parents=True)
    (run / 'scalars.json').write_text(''.join(
        json.dumps(r) + '\n' for r in records))


def test_staged_curves_share_one_iteration_axis(tmp_path):
    from fcn_tools.curves import plot_staged_curves, staged_curves
    stages = []
    for k, name in enumerate(('FCN-32s', 'FCN-16s', 'FCN-8s')):
        work = tmp_path / name
        _scalars(work, [
            dict(iter=5, loss=3. - k),
            dict(step=5, mIoU=10. * k),
            dict(iter=10, loss=2. - k),
            dict(step=10, mIoU=10. * k + 5)
        ])
        stages.append((name, work))
    curves, ends = staged_curves(stages, ['loss', 'mIoU'])
    assert ends == [10, 20, 30]
    assert curves['mIoU'] == ([5, 10, 15, 20, 25, 30],
                              [0., 5., 10., 15., 20., 25.])
    assert curves['loss'][0] == [5, 10, 15, 20, 25, 30]
    out = tmp_path / 'curves.png'
    plot_staged_curves(stages, out)
    assert Image.open(out).size[0] > 600
    with pytest.raises(FileNotFoundError, match='stage FCN-16s'):
        staged_curves(stages[:1] + [('FCN-16s', tmp_path / 'none')],
                      ['loss'])
    _scalars(tmp_path / 'quiet', [dict(iter=5, acc=1.)])
    with pytest.raises(ValueError, match='stage FCN-16s: .* logged none'):
        staged_curves(stages[:1] + [('FCN-16s', tmp_path / 'quiet')],
                      ['loss'])


def test_report_embeds_every_picture(tmp_path):
    from fcn_tools.report import metrics_table, write_report
    pictures = []
    for k in range(3):
        path = tmp_path / f'{k}.png'
        Image.fromarray(np.full((5, 7, 3), 40 * k, np.uint8)).save(path)
        pictures.append(path)
    table = metrics_table({'FCN-8s': {'mIoU': 71.234}}, ['mIoU', 'aAcc'])
    assert '<td>71.23</td>' in table and '<td>n/a</td>' in table
    out = write_report(tmp_path / 'r' / 'report.html', 'T', 'intro <b>',
                       table, [('claim one', True), ('claim two', False)],
                       (pictures[0], 'the curves'),
                       [(p, f'grid {p.stem} & more') for p in pictures[1:]])
    page = out.read_text()
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 3  # outside the page's folder: embedded
    assert all(s.startswith('data:image/png;base64,') for s in sources)
    assert page.count('<figcaption>') == 3
    assert 'grid 2 &amp; more' in page and 'intro &lt;b&gt;' in page
    assert 'passed: claim one' in page and 'FAILED: claim two' in page


def test_report_links_the_pictures_in_its_folder(tmp_path):
    """Pictures beside the page are linked by relative path (the page of
    40 large grids stays small), one outside it is embedded."""
    from fcn_tools.report import write_report
    page_dir = tmp_path / 'page'
    inside = page_dir / 'compare' / 'a b&c.png'
    inside.parent.mkdir(parents=True)
    outside = tmp_path / 'curves.png'
    for path in (inside, outside):
        Image.fromarray(np.zeros((3, 4, 3), np.uint8)).save(path)
    page = write_report(page_dir / 'report.html', 'T', '', '', [],
                        (outside, 'c'), [(inside, 'g')]).read_text()
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources[0].startswith('data:image/png;base64,')
    assert sources[1] == 'compare/a b&amp;c.png'


@pytest.mark.slow
def test_demo_end_to_end_at_a_tiny_scale(tmp_path):
    work = tmp_path / 'demo'
    proc = run_tool('tools/demo.py', '--work-dir', work, '--num-images', 9,
                    '--num-test', 3, '--size', 41, 47, '--scale', 0.02,
                    '--no-check')
    assert 'FCN-8s' in proc.stdout and 'CPU s' in proc.stdout
    summary = json.loads((work / 'summary.json').read_text())
    assert sorted(summary['metrics']) == ['fcn16s', 'fcn32s', 'fcn8s']
    assert len(summary['checks']) == 5
    assert summary['iterations'] == dict(fcn32s=24, fcn16s=12, fcn8s=12)
    for metrics in summary['metrics'].values():
        assert 0 <= metrics['mIoU'] <= 100 and 'mIoU@band1' in metrics
    grids = sorted((work / 'compare').glob('*.png'))
    assert len(grids) == 3
    # five columns, each enlarged (nearest-neighbour) to 3x the image width
    assert Image.open(grids[0]).size[0] >= 5 * 3 * 47
    from fcn_tools.curves import staged_curves
    curves, ends = staged_curves(
        [(n, work / n) for n in ('fcn32s', 'fcn16s', 'fcn8s')], ['mIoU'])
    assert ends == [24, 36, 48]  # 1200, 600, 600 iterations x 0.02
    steps = curves['mIoU'][0]
    for start, end in zip([0] + ends, ends):
        assert sum(start < s <= end for s in steps) >= 5
    page = (work / 'report.html').read_text()
    assert '24 / 12 / 12 iterations' in page
    assert page.count('<figcaption>') == 4  # the curves and three grids
    sources = re.findall(r'src="([^"]*)"', page)
    assert sorted(sources) == ['compare/' + p.name for p in grids] + [
        'curves.png'
    ]
    assert all((work / s).is_file() for s in sources)
