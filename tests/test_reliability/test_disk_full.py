"""A checkpoint save that finds the disk full stops the run with one
``error:`` line naming the file being written, the intact checkpoint and
the command that resumes; nothing already written is lost or left
half-written.

The end-to-end test puts the work dir on a small tmpfs (needs the right to
mount: root or CAP_SYS_ADMIN, else it is skipped).
"""
import errno
import os
import pickle
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from mmengine.config import Config

from fcn_plugin.engine.fcn_checkpoint_hook import (CheckpointNoSpaceError,
                                                   no_space_advice)
from fcn_plugin.utils import atomic_io
from .conftest import CONFIG, train
from .test_failures_keep_work_dir import snapshot

#: tmpfs allocates whole pages.
PAGE = 4096


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(['mount', *args], capture_output=True, text=True)


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """An 8 MiB tmpfs, unmounted at the end of the test."""
    disk = tmp_path / 'disk'
    disk.mkdir()
    if shutil.which('mount') is None:
        pytest.skip('no mount command: cannot make a small file system')
    proc = _mount('-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', str(disk))
    if proc.returncode != 0:
        pytest.skip('cannot mount a small tmpfs to fill up (mounting needs '
                    f'root or CAP_SYS_ADMIN): {proc.stderr.strip()}')
    yield disk
    if subprocess.run(['umount', str(disk)]).returncode != 0:
        subprocess.run(['umount', '-l', str(disk)], check=True)


def shrink(disk: Path, size: int) -> None:
    """Resize the tmpfs at ``disk`` to ``size`` bytes (whole pages)."""
    kib = -(-size // PAGE) * PAGE // 1024
    proc = _mount('-o', f'remount,size={kib}k', str(disk))
    assert proc.returncode == 0, proc.stderr


def used_bytes(disk: Path) -> int:
    stat = os.statvfs(disk)
    return (stat.f_blocks - stat.f_bfree) * stat.f_frsize


def test_no_space_error_names_target(tmp_path, monkeypatch):
    path = tmp_path / 'iter_4.pth'
    atomic_io.atomic_write(path, b'old')

    def full(fileobj):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic_io, 'fsync_file', full)
    with pytest.raises(atomic_io.NoSpaceError) as info:
        atomic_io.atomic_write(path, b'new')
    err = info.value
    assert err.errno == errno.ENOSPC and err.filename == str(path)
    assert str(err) == (f'cannot write {path}: [Errno 28] '
                        f'{os.strerror(errno.ENOSPC)}; {path} is unchanged '
                        'and no partial file remains')
    assert isinstance(err.__cause__, OSError)
    assert path.read_bytes() == b'old'
    assert atomic_io.stale_tmp_files(tmp_path) == []

    def killed(fileobj):
        raise OSError('killed')

    # other errors pass through unchanged
    monkeypatch.setattr(atomic_io, 'fsync_file', killed)
    with pytest.raises(OSError, match='^killed$'):
        atomic_io.atomic_write(path, b'new')


def test_checkpoint_no_space_advice(tmp_path):
    work = tmp_path / 'work dir'
    work.mkdir()
    config = tmp_path / 'a.py'
    config.write_text('resume = False\n')
    runner = SimpleNamespace(work_dir=str(work), cfg=Config.fromfile(config))
    err = CheckpointNoSpaceError(errno.ENOSPC, 'No space left on device',
                                 str(work / 'iter_2.pth'),
                                 no_space_advice(runner))
    assert str(err).startswith(
        f'checkpoint save failed: cannot write {work}/iter_2.pth: '
        '[Errno 28] No space left on device; no partial file remains. '
        'No checkpoint of this run was saved yet')
    assert (f"`python tools/train.py {config} --work-dir '{work}'`"
            in str(err))
    assert '--resume' not in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.errno == errno.ENOSPC
    # resumed from a checkpoint elsewhere, none saved here yet
    start = tmp_path / 'iter_8.pth'
    start.write_bytes(b'')
    runner.cfg = Config(dict(resume=True, load_from=str(start)))
    assert (f"--work-dir '{work}' --resume {start}`"
            in no_space_advice(runner))


def test_disk_full_at_checkpoint_save(voc, small_disk):
    work = small_disk / 'work'
    every_iter = ('default_hooks.checkpoint.interval=1',
                  'train_cfg.val_begin=100')
    train(work, voc, *every_iter, 'train_cfg.max_iters=1')
    first = work / 'iter_1.pth'
    assert (work / 'last_checkpoint').read_text() == str(first)
    before = snapshot(work)
    # room for the next run's logs, not for a second checkpoint
    size = first.stat().st_size
    assert size > 100 * 1024, 'the checkpoint is too small to size the disk'
    shrink(small_disk, used_bytes(small_disk) + size // 2)

    proc = train(
        work, voc, *every_iter, 'train_cfg.max_iters=2', resume=True,
        check=False)

    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    (line, ) = [ln for ln in proc.stderr.splitlines() if 'error:' in ln]
    assert proc.stderr.rstrip().splitlines()[-1] == line
    assert line.startswith(
        f'error: checkpoint save failed: cannot write {work}/iter_2.pth: '
        '[Errno 28] No space left on device; no partial file remains. '
        f'The last complete checkpoint, {first} (named by '
        f'{work}/last_checkpoint), is intact.')
    assert (f'free space on the disk of {work} and run `python '
            f'tools/train.py {CONFIG} --work-dir {work} --resume`') in line
    assert (f'or set a work_dir on another disk and run `python '
            f'tools/train.py {CONFIG} --work-dir OTHER_DIR --resume '
            f'{first}`') in line
    after = snapshot(work)
    # the Runner dumps the config of every start to WORK_DIR/CONFIG.py
    del before[CONFIG.name]
    for name, data in before.items():
        assert after.get(name) == data, name
    assert not (work / 'iter_2.pth').exists()
    assert not [n for n in after if n.endswith(atomic_io.TMP_SUFFIX)]
    logs = sorted(work.glob('*/*.log'))
    assert len(logs) == 2 and 'Saving checkpoint at 2 iterations' in (
        logs[-1].read_text())
