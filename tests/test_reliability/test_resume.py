"""A run killed with SIGKILL and resumed with ``--resume`` repeats the
uninterrupted run exactly; checkpoints survive a kill while saving."""
import signal
from pathlib import Path

import torch

from .conftest import load, train, train_losses


def assert_same_checkpoint(path_a: Path, path_b: Path) -> None:
    a, b = load(path_a), load(path_b)
    assert a['meta']['iter'] == b['meta']['iter']
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    moments_a = a['optimizer']['state']
    moments_b = b['optimizer']['state']
    assert moments_a.keys() == moments_b.keys()
    for key in moments_a:
        assert torch.equal(moments_a[key]['momentum_buffer'],
                           moments_b[key]['momentum_buffer'])


def test_killed_twice_then_resumed_equals_uninterrupted(
        reference, voc, tmp_path):
    work = tmp_path / 'work'
    # 1. SIGKILL right after iteration 4 and its checkpoint
    proc = train(work, voc, env=dict(PROBE_KILL_AFTER_ITER='4'), check=False)
    assert proc.returncode == -signal.SIGKILL
    assert (work / 'iter_4.pth').is_file()
    assert not (work / 'iter_6.pth').exists()
    # 2. resumed, then SIGKILL while iter_6.pth is being written
    proc = train(
        work,
        voc,
        resume=True,
        env=dict(PROBE_KILL_IN_SAVE_ITER='6'),
        check=False)
    assert proc.returncode == -signal.SIGKILL
    assert not (work / 'iter_6.pth').exists()  # no truncated checkpoint
    (leftover, ) = work.glob('.iter_6.pth.*.tmp')
    assert (work / 'last_checkpoint').read_text() == str(work / 'iter_4.pth')
    # 3. resumed again from iter_4 (not from the half-written file)
    proc = train(work, voc, resume=True)
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 4' in log
    assert f'removed {leftover}' in log and not leftover.exists()

    assert_same_checkpoint(reference / 'iter_6.pth', work / 'iter_6.pth')
    want, got = train_losses(reference), train_losses(work)
    assert set(want) == set(got) == set(range(1, 7))
    for it in (5, 6):
        assert got[it] == want[it], it


def test_resume_from_truncated_checkpoint_is_one_clear_error(
        reference, voc, tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    for name in ('iter_2.pth', 'iter_4.pth'):
        (work / name).write_bytes((reference / name).read_bytes())
    bad = work / 'iter_4.pth'
    bad.write_bytes(bad.read_bytes()[:bad.stat().st_size // 2])
    (work / 'last_checkpoint').write_text(str(bad))
    for resume in (True, str(bad)):
        proc = train(work, voc, resume=resume, check=False)
        assert proc.returncode == 1
        assert f'error: cannot resume from {bad}: truncated' in proc.stderr
        assert f'--resume {work / "iter_2.pth"}' in proc.stderr
        assert 'Traceback' not in proc.stderr
    assert sorted(p.name for p in work.iterdir()) == [
        'iter_2.pth', 'iter_4.pth', 'last_checkpoint'
    ]
    # the suggested checkpoint resumes
    proc = train(
        work, voc, 'train_cfg.max_iters=3', resume=str(work / 'iter_2.pth'))
    assert (work / 'iter_3.pth').is_file()
