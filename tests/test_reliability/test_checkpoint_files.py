"""Atomic writes, checkpoint checks and FCNCheckpointHook in-process."""
import os

import numpy as np
import pytest
import torch
from mmengine.runner import Runner

from fcn_plugin.engine.iter_seed_hook import SeededBatches, iter_seed
from fcn_plugin.engine.mmengine_patches import _checkpoint_hook_open
from fcn_plugin.errors import WeightFileError
from fcn_plugin.utils import atomic_io
from fcn_tools.resume_check import (check_resume_file, checkpoint_problem,
                                    latest_checkpoint)
from ..runner_utils import tiny_runner_cfg, write_tiny_voc


def test_atomic_write_keeps_old_file_when_interrupted(tmp_path, monkeypatch):
    path = tmp_path / 'last_checkpoint'
    atomic_io.atomic_write(path, 'old')

    def fail(fileobj):
        raise OSError('disk full')

    monkeypatch.setattr(atomic_io, 'fsync_file', fail)
    with pytest.raises(OSError, match='disk full'):
        atomic_io.atomic_write(path, 'new')
    assert path.read_text() == 'old'
    assert atomic_io.stale_tmp_files(tmp_path) == []


def test_atomic_path_for_any_writer(tmp_path):
    target = tmp_path / 'sub' / 'link.png'
    with atomic_io.atomic_path(target, durable=False) as tmp:
        assert not os.path.lexists(tmp)
        (tmp_path / 'src').write_text('src')
        os.symlink(tmp_path / 'src', tmp)
    assert target.is_symlink() and target.read_text() == 'src'
    with pytest.raises(ValueError):
        with atomic_io.atomic_path(target) as tmp:
            open(tmp, 'w').close()
            raise ValueError('writer failed')
    assert target.is_symlink()
    assert atomic_io.stale_tmp_files(tmp_path / 'sub') == []


def test_mmengine_last_checkpoint_record_is_atomic(tmp_path, monkeypatch):
    import mmengine.hooks.checkpoint_hook as module
    assert module.open is _checkpoint_hook_open  # installed on import
    record = tmp_path / 'last_checkpoint'
    with module.open(str(record), 'w') as f:
        f.write('iter_2.pth')
    assert record.read_text() == 'iter_2.pth'

    def fail(fileobj):
        raise OSError('killed')

    monkeypatch.setattr(atomic_io, 'fsync_file', fail)
    with pytest.raises(OSError, match='killed'):
        with module.open(str(record), 'w') as f:
            f.write('iter_4.pth')
    assert record.read_text() == 'iter_2.pth'
    # other files pass through to the built-in open
    with module.open(str(tmp_path / 'other'), 'w') as f:
        f.write('x')
    assert (tmp_path / 'other').read_text() == 'x'


def test_checkpoint_problem(tmp_path):
    good = tmp_path / 'iter_2.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(3))), good)
    assert checkpoint_problem(str(good)) is None
    data = good.read_bytes()
    cases = dict(empty=b'', cut=data[:len(data) // 2], text=b'hello')
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    assert 'empty' in checkpoint_problem(str(tmp_path / 'empty'))
    assert 'truncated' in checkpoint_problem(str(tmp_path / 'cut'))
    assert 'not a PyTorch' in checkpoint_problem(str(tmp_path / 'text'))
    assert 'no such file' in checkpoint_problem(str(tmp_path / 'nope'))
    with pytest.raises(WeightFileError, match=f'--resume {good}'):
        check_resume_file(str(tmp_path / 'cut'))


def test_latest_checkpoint_record(tmp_path):
    assert latest_checkpoint(str(tmp_path)) is None
    (tmp_path / 'last_checkpoint').write_text('')
    with pytest.raises(WeightFileError, match='last_checkpoint is empty'):
        latest_checkpoint(str(tmp_path))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_8.pth'))
    with pytest.raises(WeightFileError, match='iter_8.pth: no such file'):
        latest_checkpoint(str(tmp_path))


def test_checkpoint_hook_keeps_newest_and_records_it(tmp_path):
    voc = write_tiny_voc(tmp_path / 'data', num=2, size=(20, 24))
    cfg = tiny_runner_cfg(tmp_path / 'work', voc, net='fcn32s', max_iters=3)
    cfg.default_hooks.checkpoint = dict(
        type='FCNCheckpointHook', by_epoch=False, interval=1,
        max_keep_ckpts=2)
    Runner.from_cfg(cfg).train()
    work = tmp_path / 'work'
    assert sorted(p.name for p in work.glob('*.pth')) == [
        'iter_2.pth', 'iter_3.pth'
    ]
    assert latest_checkpoint(str(work)) == str(work / 'iter_3.pth')
    assert atomic_io.stale_tmp_files(work) == []
    # resumed: the checkpoint it resumed from counts among the kept ones
    cfg = tiny_runner_cfg(work, voc, net='fcn32s', max_iters=5, resume=True)
    cfg.default_hooks.checkpoint = dict(
        type='FCNCheckpointHook', by_epoch=False, interval=1,
        max_keep_ckpts=2)
    Runner.from_cfg(cfg).train()
    assert sorted(p.name for p in work.glob('*.pth')) == [
        'iter_4.pth', 'iter_5.pth'
    ]
    assert latest_checkpoint(str(work)) == str(work / 'iter_5.pth')


def test_seeded_batches_depend_on_index_only():
    draws = SeededBatches(iter(range(5)), seed=3)
    first = []
    for _ in range(3):
        next(draws)
        first.append(np.random.rand())
    again = SeededBatches(iter(range(5)), seed=3)
    for _ in range(2):
        next(again)
        np.random.rand(100)  # other work between batches
    next(again)
    assert np.random.rand() == first[2]
    assert iter_seed(3, 0, 1) != iter_seed(3, 1, 1) != iter_seed(4, 0, 1)


def test_patches_stay_off_on_another_mmengine(monkeypatch):
    from fcn_plugin.engine import mmengine_patches as patches
    assert patches._minor('0.10.7') == (0, 10)
    assert patches.SUPPORTED_VERSION  # the pinned stack
    loop = type('Loop', (), {})()
    loop.dataloader_iterator = iter(range(3))
    monkeypatch.setattr(patches, 'SUPPORTED_VERSION', False)
    monkeypatch.setattr(patches.mmengine, '__version__', '0.11.0')
    with pytest.warns(UserWarning, match='mmengine 0.11.0 .* 0.10.x'):
        assert patches.install() is False
    assert patches.wrap_train_batches(loop, list) is None
    monkeypatch.setattr(patches, 'SUPPORTED_VERSION', True)
    assert patches.wrap_train_batches(loop, list) == [0, 1, 2]
    assert loop.dataloader_iterator == [0, 1, 2]
