"""Hooks for the reliability tests: kill the process at a chosen moment,
break the weights, and mark each rank that ran.

Imported by the test configs through ``custom_imports``; the moments are
chosen with environment variables, so one config serves every run.
"""
import os
import os.path as osp
import signal

import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from fcn_plugin.utils import atomic_io


def _env_iter(name: str) -> int:
    return int(os.environ.get(name, '0'))


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _break_weights(runner) -> None:
    model = getattr(runner.model, 'module', runner.model)
    with torch.no_grad():
        next(model.decode_head.parameters()).fill_(float('nan'))


@HOOKS.register_module()
class ProbeNanWeightsHook(Hook):
    """``PROBE_NAN_WEIGHTS_AFTER_ITER=N``: NaN weights right after
    iteration N, after the loss check and before its checkpoint is saved
    (an update that breaks the weights before the loss shows it)."""

    priority = 'NORMAL'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == _env_iter('PROBE_NAN_WEIGHTS_AFTER_ITER'):
            _break_weights(runner)


@HOOKS.register_module()
class ProbeHook(Hook):
    """``PROBE_KILL_AFTER_ITER=N``: SIGKILL after iteration N (after its
    checkpoint). ``PROBE_KILL_IN_SAVE_ITER=N``: SIGKILL in the middle of
    writing the checkpoint of iteration N. ``PROBE_NAN_AT_ITER=N``: NaN
    weights before iteration N. Always writes ``rank<R>.done`` into the
    work dir at the end of a run."""

    priority = 'LOWEST'

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == _env_iter('PROBE_NAN_AT_ITER'):
            _break_weights(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == _env_iter('PROBE_KILL_AFTER_ITER'):
            _kill()

    def before_save_checkpoint(self, runner, checkpoint):
        if runner.iter + 1 != _env_iter('PROBE_KILL_IN_SAVE_ITER'):
            return

        def write_half_then_die(fileobj):
            # the data is in the temporary file; die before the rename
            fileobj.flush()
            size = fileobj.tell()
            fileobj.truncate(size // 2)
            fileobj.flush()
            _kill()

        atomic_io.fsync_file = write_half_then_die

    def after_run(self, runner):
        with open(osp.join(runner.work_dir, f'rank{runner.rank}.done'),
                  'w') as f:
            f.write(str(runner.iter))
