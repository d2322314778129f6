"""MMEngine checkpoints load with weights_only=True; other pickles do not."""
import pickle
from collections import OrderedDict

import pytest
import torch
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

from .runner_utils import tiny_runner_cfg, write_tiny_voc


class Payload:
    """An arbitrary class: unpickling it must be refused."""

    def __reduce__(self):
        return (print, ('unpickled!', ))


class GetattrTrick:
    """Reaches an attribute through getattr, as an exploit would."""

    def __reduce__(self):
        return (getattr, (OrderedDict, 'fromkeys'))


def test_train_resume_and_test_with_safe_loading(tmp_path):
    voc = write_tiny_voc(tmp_path / 'data')
    work = tmp_path / 'work'
    runner = Runner.from_cfg(tiny_runner_cfg(work, voc, max_iters=2))
    runner.train()
    ckpt = work / 'iter_2.pth'
    assert ckpt.is_file()
    # The checkpoint really contains objects plain weights_only refuses.
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(str(ckpt))
    assert any('HistoryBuffer' in g for g in unsafe)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(str(ckpt), weights_only=True)

    cfg = tiny_runner_cfg(work, voc, max_iters=4)
    cfg.resume = True
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    assert resumed.iter == 4
    assert (work / 'iter_4.pth').is_file()

    cfg = tiny_runner_cfg(tmp_path / 'test', voc)
    cfg.load_from = str(work / 'iter_4.pth')
    metrics = Runner.from_cfg(cfg).test()
    assert 'mIoU' in metrics


def test_arbitrary_pickled_object_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': OrderedDict(w=torch.ones(1)),
                'meta': Payload()}, str(path))
    with pytest.raises(pickle.UnpicklingError):
        _load_checkpoint(str(path), map_location='cpu')


def test_getattr_is_limited_to_history_buffer(tmp_path):
    path = tmp_path / 'getattr.pth'

    torch.save({'meta': GetattrTrick()}, str(path))
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        _load_checkpoint(str(path), map_location='cpu')
