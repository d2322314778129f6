"""tools/train.py and tools/test.py as subprocesses, as a user runs them."""
import json
import re

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
    (line, ) = [
        ln for ln in log.splitlines() if 'Iter(test)' in ln and 'mIoU:' in ln
    ]
    for key in ('aAcc', 'mIoU', 'mAcc', 'fwIoU', 'mIoU@band1', 'mIoU@band3'):
        assert re.search(rf'\b{re.escape(key)}: \d', line), key
    assert 'IoU@band3' in log  # the per-class band table
    painted = sorted(show.rglob('*.png'))
    assert len(painted) == NUM_IMAGES
    assert len({p.name for p in painted}) == NUM_IMAGES
    assert len(list(out.glob('*.png'))) == NUM_IMAGES
