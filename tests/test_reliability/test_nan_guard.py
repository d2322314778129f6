"""FCNNanGuardHook stops a run whose loss explodes, keeping the good
checkpoint."""
import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub, MMLogger

from fcn_plugin.engine import FCNNanGuardHook, NonFiniteLossError
from .conftest import load, train


def test_huge_lr_stops_with_iteration_and_hint(voc, tmp_path):
    work = tmp_path / 'work'
    proc = train(
        work, voc, 'optim_wrapper.optimizer.lr=10.0', check=False)
    assert proc.returncode == 1
    (line, ) = [ln for ln in proc.stderr.splitlines() if 'error:' in ln]
    assert 'the loss is not finite at iteration 3' in line
    assert f'The last checkpoint, {work / "iter_2.pth"}, is kept' in line
    assert 'Lower the learning rate' in line and 'lr=1e-10' in line
    assert 'Traceback' not in proc.stderr
    assert sorted(p.name for p in work.glob('*.pth')) == ['iter_2.pth']
    assert (work / 'last_checkpoint').read_text() == str(work / 'iter_2.pth')
    state = load(work / 'iter_2.pth')['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values())


def test_nan_weights_stop_keeps_older_checkpoints(voc, tmp_path):
    # max_keep_ckpts=1: MMEngine alone would delete iter_2.pth before the
    # refused save of iter_4.pth, leaving no checkpoint at all
    work = tmp_path / 'work'
    proc = train(
        work,
        voc,
        'default_hooks.checkpoint.max_keep_ckpts=1',
        env=dict(PROBE_NAN_WEIGHTS_AFTER_ITER='4'),
        check=False)
    assert proc.returncode == 1
    (line, ) = [ln for ln in proc.stderr.splitlines() if 'error:' in ln]
    assert 'the weights are not finite at iteration 4' in line
    assert 'the checkpoint is not saved' in line
    assert f'The last checkpoint, {work / "iter_2.pth"}, is kept' in line
    assert 'Traceback' not in proc.stderr
    assert sorted(p.name for p in work.glob('*.pth')) == ['iter_2.pth']
    assert not list(work.glob('.*.tmp'))
    assert (work / 'last_checkpoint').read_text() == str(work / 'iter_2.pth')
    state = load(work / 'iter_2.pth')['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values())


def fake_runner(name, work_dir):
    return SimpleNamespace(
        iter=7,
        work_dir=str(work_dir),
        message_hub=MessageHub.get_instance(name),
        logger=MMLogger.get_instance(name, log_level='CRITICAL'))


def test_loss_check(tmp_path):
    hook, runner = FCNNanGuardHook(), fake_runner('nan_guard_loss', tmp_path)
    kept = tmp_path / 'iter_6.pth'
    kept.write_bytes(b'checkpoint')
    (tmp_path / 'last_checkpoint').write_text(str(kept))
    hook.after_train_iter(runner, 7, outputs=dict(loss=torch.tensor(1.5)))
    with pytest.raises(NonFiniteLossError, match='iteration 8 .*loss=inf'):
        hook.after_train_iter(
            runner, 7, outputs=dict(loss=torch.tensor(math.inf), acc=1.0))
    with pytest.raises(NonFiniteLossError, match=f'{kept}, is kept'):
        hook.after_train_iter(runner, 7, outputs=dict(loss=math.nan))
    # a record of a file that is gone claims nothing
    kept.unlink()
    with pytest.raises(NonFiniteLossError) as err:
        hook.after_train_iter(runner, 7, outputs=dict(loss=math.nan))
    assert 'is kept' not in str(err.value)


def test_nan_weights_are_never_saved(tmp_path):
    hook = FCNNanGuardHook()
    runner = fake_runner('nan_guard_save', tmp_path)
    good = dict(state_dict=dict(w=torch.ones(2), n=torch.tensor(3)))
    hook.before_save_checkpoint(runner, good)
    bad = dict(state_dict=dict(w=torch.tensor([1., float('nan')])))
    with pytest.raises(NonFiniteLossError, match='weights are not finite'):
        hook.before_save_checkpoint(runner, bad)
    FCNNanGuardHook(check_weights=False).before_save_checkpoint(runner, bad)


def test_summed_loss_at_a_modern_lr_points_to_the_mean_loss_base(tmp_path):
    """The Caffe summed loss under an MMSeg schedule: say what to change."""
    from mmseg.models.losses import CrossEntropyLoss

    from fcn_plugin.engine.nan_guard_hook import MEAN_LOSS_BASE
    from ..conftest import ROOT
    assert (ROOT / MEAN_LOSS_BASE).is_file()
    hook = FCNNanGuardHook()
    for reduction, lr, named in (('sum', 0.01, True), ('sum', 1e-10, False),
                                 ('mean', 0.01, False)):
        runner = fake_runner(f'nan_guard_{reduction}_{lr}', tmp_path)
        head = SimpleNamespace(loss_decode=CrossEntropyLoss(
            reduction=reduction))
        runner.model = SimpleNamespace(decode_head=head)
        runner.optim_wrapper = SimpleNamespace(
            get_lr=lambda lr=lr: dict(lr=[lr]))
        with pytest.raises(NonFiniteLossError) as err:
            hook.after_train_iter(runner, 7, outputs=dict(loss=math.nan))
        msg = str(err.value)
        assert (MEAN_LOSS_BASE in msg) == named, (reduction, lr)
        assert ('the lr is 0.01' in msg) == named
        assert 'Lower the learning rate' in msg
