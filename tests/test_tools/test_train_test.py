"""tools/train.py and tools/test.py as subprocesses, as a user runs them:
the tiny FCN-8s, and FCN-AlexNet with gradient accumulation (also under
MMSeg's packaged tools)."""
import json
import re

from mmengine.runner.checkpoint import _load_checkpoint
from PIL import Image

from ..test_apis.test_mmseg_tools import MMSEG_TOOLS, metrics_line
from .conftest import DATA, NUM_IMAGES, data_root_options, run_tool

CONFIG = DATA / 'tiny_fcn8s_voc.py'


def test_train_writes_checkpoints_and_validates(trained):
    for name in ('iter_2.pth', 'iter_4.pth', 'last_checkpoint'):
        assert (trained / name).is_file(), name
    (scalars, ) = trained.glob('*/vis_data/scalars.json')
    records = [
        json.loads(line) for line in scalars.read_text().split('\n') if line
    ]
    val = [r for r in records if 'mIoU' in r]
    assert [r['step'] for r in val] == [2, 4]
    assert all('fwIoU' in r and 'mIoU@band3' in r for r in val)


def test_resume_continues_from_latest_checkpoint(trained, tiny_voc, tmp_path):
    # resume in a copy, so that the shared work dir stays as trained
    work = tmp_path / 'work'
    work.mkdir()
    ckpt = work / 'iter_4.pth'
    ckpt.write_bytes((trained / 'iter_4.pth').read_bytes())
    (work / 'last_checkpoint').write_text(str(ckpt))
    proc = run_tool('tools/train.py', CONFIG, '--work-dir',
                    work, '--resume', '--cfg-options',
                    *data_root_options(tiny_voc), 'train_cfg.max_iters=6')
    log = proc.stdout + proc.stderr
    assert re.search(r'resumed .*iter: 4', log)
    assert 'Iter(train) [5/6]' in log
    assert 'Iter(train) [1/6]' not in log
    assert (work / 'iter_6.pth').is_file()


def test_test_reports_metrics_and_paints_every_image(trained, tiny_voc,
                                                     tmp_path):
    show, out = tmp_path / 'show', tmp_path / 'pred'
    # no visualization hook in the config: test.py adds MMSeg's
    proc = run_tool('tools/test.py', CONFIG, trained / 'iter_4.pth',
                    '--work-dir', tmp_path / 'work', '--show-dir',
                    show, '--out', out, '--cfg-options',
                    *data_root_options(tiny_voc),
                    'default_hooks.visualization=None')
    log = proc.stdout + proc.stderr
    line = metrics_line(log)
    for key in ('aAcc', 'mIoU', 'mAcc', 'fwIoU', 'mIoU@band1', 'mIoU@band3'):
        assert re.search(rf'\b{re.escape(key)}: \d', line), key
    assert 'IoU@band3' in log  # the per-class band table
    painted = sorted(show.rglob('*.png'))
    assert len(painted) == NUM_IMAGES
    assert len({p.name for p in painted}) == NUM_IMAGES
    assert len(list(out.glob('*.png'))) == NUM_IMAGES


ALEXNET = DATA / 'tiny_fcn32s_alexnet_voc.py'


def scores(line: str) -> list:
    """The metric values of a metrics line, without its timings."""
    return [(k, v) for k, v in re.findall(r'([\w@]+): (\d+\.\d+)', line)
            if not k.endswith('time')]


def test_alexnet_accumulates_gradients_then_tests_and_paints(
        tiny_voc, tmp_path):
    """FCN-AlexNet through tools/train.py with Caffe's iter_size as
    MMEngine's ``accumulative_counts`` (one SGD update per 3 passes), then
    tools/test.py with --show-dir; MMSeg's packaged test.py reports the
    same metrics, and its train.py trains the net."""
    work, passes, iters = tmp_path / 'work', 3, 6
    run_tool('tools/train.py', ALEXNET, '--work-dir', work, '--cfg-options',
             *data_root_options(tiny_voc),
             f'optim_wrapper.accumulative_counts={passes}',
             f'train_cfg.max_iters={iters}',
             f'train_cfg.val_interval={iters}',
             'default_hooks.checkpoint.interval=1',
             'optim_wrapper.optimizer.lr=0.01')
    ckpts = [
        _load_checkpoint(str(work / f'iter_{i}.pth'), map_location='cpu')
        for i in range(1, iters + 1)
    ]

    def updated(i: int) -> bool:
        """Whether the weights changed in pass ``i`` (from 2 on)."""
        before, after = ckpts[i - 2]['state_dict'], ckpts[i - 1]['state_dict']
        return any(not after[k].equal(before[k]) for k in after)

    # the weights move in passes 3 and 6 only; score_fr (zero at first)
    # with them
    assert [updated(i) for i in range(2, iters + 1)] == [
        i % passes == 0 for i in range(2, iters + 1)
    ]
    assert not ckpts[2]['state_dict']['decode_head.score_fr.weight'].equal(
        ckpts[1]['state_dict']['decode_head.score_fr.weight'])
    # SGD's momentum buffers appear with the first update
    assert [bool(c['optimizer']['state']) for c in ckpts] == [
        i >= passes for i in range(1, iters + 1)
    ]

    show = tmp_path / 'show'
    proc = run_tool('tools/test.py', ALEXNET, work / f'iter_{iters}.pth',
                    '--work-dir', tmp_path / 'test', '--show-dir', show,
                    '--cfg-options', *data_root_options(tiny_voc))
    line = metrics_line(proc.stdout + proc.stderr)
    for key in ('aAcc', 'mIoU', 'mAcc', 'fwIoU'):
        assert re.search(rf'\b{key}: \d', line), key
    painted = sorted(show.rglob('*.png'))
    assert len({p.name for p in painted}) == len(painted) == NUM_IMAGES
    # ground truth | prediction, side by side, at the image's size
    assert {Image.open(p).size for p in painted} == {(2 * 31, 23)}

    # MMSeg's own tools (installed with mmseg): the config's custom_imports
    # bring in the plugin; the same checkpoint gives the same metrics
    proc = run_tool(MMSEG_TOOLS / 'test.py', ALEXNET,
                    work / f'iter_{iters}.pth', '--work-dir',
                    tmp_path / 'mmseg_test', '--cfg-options',
                    *data_root_options(tiny_voc))
    assert scores(line) and scores(
        metrics_line(proc.stdout + proc.stderr)) == scores(line)
    mmseg_work = tmp_path / 'mmseg_train'
    run_tool(MMSEG_TOOLS / 'train.py', ALEXNET, '--work-dir', mmseg_work,
             '--cfg-options', *data_root_options(tiny_voc),
             'optim_wrapper.accumulative_counts=2', 'train_cfg.max_iters=2',
             'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
             'optim_wrapper.optimizer.lr=0.01')
    trained = _load_checkpoint(str(mmseg_work / 'iter_2.pth'),
                               map_location='cpu')['state_dict']
    # score_fr starts at zero (Caffe's init) and moved with the one update
    assert trained['decode_head.score_fr.weight'].abs().sum() > 0
