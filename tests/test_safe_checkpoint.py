"""MMEngine checkpoints load with weights_only=True; other pickles never.

A checkpoint holding a pickled ``os.system`` call (``posix.system``) is
refused by every way a user loads weights, with one message naming the
file and the global, and the call never runs (its marker file never
appears).
"""
import os
import pickle
from collections import OrderedDict

import pytest
import torch
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

from fcn_plugin.errors import UnsafeCheckpointError
from .runner_utils import tiny_runner_cfg, write_tiny_voc
from .test_tools.conftest import DATA, data_root_options, run_tool

TINY = DATA / 'tiny_fcn8s_voc.py'


class SystemCall:
    """Unpickles as ``os.system(command)`` (pickled as ``posix.system``)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command, ))


class GetattrTrick:
    """Reaches an attribute through getattr, as an exploit would."""

    def __reduce__(self):
        return (getattr, (OrderedDict, 'fromkeys'))


@pytest.fixture
def evil(tmp_path):
    """(checkpoint, marker): loading the file unsafely creates marker."""
    marker = tmp_path / 'marker'
    path = tmp_path / 'evil.pth'
    torch.save(
        {
            'state_dict': OrderedDict(w=torch.ones(1)),
            'meta': SystemCall(f'touch {marker}')
        }, str(path))
    assert torch.serialization.get_unsafe_globals_in_checkpoint(
        str(path)) == ['posix.system']
    return path, marker


def test_payload_runs_when_loaded_unsafely(tmp_path):
    # the control: without the allowlist the call does run
    marker = tmp_path / 'ran'
    path = tmp_path / 'control.pth'
    torch.save({'meta': SystemCall(f'touch {marker}')}, str(path))
    torch.load(str(path), weights_only=False)
    assert marker.exists()


@pytest.fixture(scope='module')
def voc(tmp_path_factory):
    return write_tiny_voc(tmp_path_factory.mktemp('data'), num=2)


def assert_refused(message: str, path) -> None:
    assert str(path) in message
    assert 'posix.system' in message
    assert 'was not loaded' in message
    assert 'weights_only=False' not in message


def test_train_resume_and_test_with_safe_loading(tmp_path, voc):
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


def test_mmengine_loader_refuses_system_call(evil):
    path, marker = evil
    with pytest.raises(UnsafeCheckpointError) as err:
        _load_checkpoint(str(path), map_location='cpu')
    assert_refused(str(err.value), path)
    assert err.value.offending == 'posix.system'
    assert not marker.exists()


def test_getattr_is_limited_to_history_buffer(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'meta': GetattrTrick()}, str(path))
    with pytest.raises(UnsafeCheckpointError) as err:
        _load_checkpoint(str(path), map_location='cpu')
    assert 'builtins.getattr(collections.OrderedDict' in str(err.value)
    assert 'fromkeys' in str(err.value)


def test_init_model_and_inferencer_refuse(evil):
    from mmseg.apis import MMSegInferencer, init_model
    path, marker = evil
    with pytest.raises(UnsafeCheckpointError) as err:
        init_model(str(TINY), str(path), device='cpu')
    assert_refused(str(err.value), path)
    with pytest.raises(UnsafeCheckpointError) as err:
        MMSegInferencer(model=str(TINY), weights=str(path), device='cpu')
    assert_refused(str(err.value), path)
    assert not marker.exists()


def test_pretrained_init_cfg_refuses(evil, voc, tmp_path):
    path, marker = evil
    cfg = tiny_runner_cfg(tmp_path / 'work', voc, net='fcn32s',
                          max_iters=1,
                          custom_hooks=[dict(type='FCNWeightsHook')])
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone.')
    with pytest.raises(UnsafeCheckpointError) as err:
        Runner.from_cfg(cfg).train()
    assert_refused(str(err.value), path)
    assert not marker.exists()


@pytest.mark.parametrize('entry', ['test', 'resume', 'load_from'])
def test_tools_refuse_in_one_line(evil, voc, tmp_path, entry):
    path, marker = evil
    work = tmp_path / 'work'
    if entry == 'test':
        args = ['tools/test.py', TINY, path, '--work-dir', work]
    else:
        args = ['tools/train.py', TINY, '--work-dir', work]
        args += (['--resume', path] if entry == 'resume' else [])
    options = data_root_options(voc)
    if entry == 'load_from':
        options.append(f'load_from={path}')
    proc = run_tool(*args, '--cfg-options', *options, check=False)
    assert proc.returncode != 0
    errors = [ln for ln in proc.stderr.splitlines() if 'error:' in ln]
    assert len(errors) == 1, proc.stderr[-3000:]
    assert errors[0].startswith('error: ')
    assert_refused(errors[0], path)
    assert 'Traceback' not in proc.stderr
    assert 'weights_only=False' not in proc.stdout + proc.stderr
    assert not marker.exists()
    assert not list(work.glob('*.pth'))


def test_safe_loading_stays_off_on_another_mmengine(monkeypatch):
    """The allowlist is MMEngine 0.10's: elsewhere MMEngine's own loader
    stays, with a warning."""
    from mmengine.runner.checkpoint import CheckpointLoader

    from fcn_plugin.utils import safe_checkpoint
    assert CheckpointLoader._schemes[''] is safe_checkpoint.load_from_local
    monkeypatch.setattr(CheckpointLoader, '_schemes', dict(mmengine=print))
    monkeypatch.setattr(safe_checkpoint.mmengine, '__version__', '0.11.0')
    with pytest.warns(UserWarning, match='found mmengine 0.11.0'):
        assert safe_checkpoint.install() is False
    assert CheckpointLoader._schemes == dict(mmengine=print)
    monkeypatch.setattr(safe_checkpoint.mmengine, '__version__', '0.10.7')
    assert safe_checkpoint.install() is True
    assert CheckpointLoader._schemes[''] is safe_checkpoint.load_from_local
