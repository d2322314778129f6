"""MMEngine's ``CheckpointHook`` with crash-safe checkpoint files."""
import os
from collections import deque
from pathlib import Path
from typing import Any, Optional, Union

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook
from mmseg.registry import HOOKS

from fcn_plugin.utils.atomic_io import atomic_write, stale_tmp_files

#: MMEngine's message-hub key for the steps of the kept checkpoints.
KEEP_KEY = 'keep_ckpt_ids'


@register_backend('fcn_atomic_local')
class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose writes are atomic.

    Select it with ``backend_args=dict(backend='fcn_atomic_local')``;
    :class:`FCNCheckpointHook` does so for the checkpoints it saves.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically."""
        atomic_write(filepath, obj)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write the text ``obj`` to ``filepath`` atomically."""
        atomic_write(filepath, obj, encoding)


@HOOKS.register_module()
class FCNCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose files survive a kill at any moment.

    Training `FCN <https://arxiv.org/abs/1605.06211>`_ takes days; a run
    killed while saving must still resume. MMEngine's hook writes
    ``iter_N.pth`` in place, and removes the outdated checkpoint
    (``max_keep_ckpts``) *before* saving the new one, so a kill, or a
    save refused by :class:`~fcn_plugin.engine.FCNNanGuardHook`, can leave
    a truncated checkpoint or no complete checkpoint at all. This hook,
    with the same arguments:

    - writes every checkpoint (``iter_N.pth``, ``best_*.pth``) to a
      temporary file that is renamed into place
      (:class:`AtomicLocalBackend`); the ``last_checkpoint`` record is
      written the same way (:mod:`~fcn_plugin.engine.mmengine_patches`);
    - removes an outdated checkpoint only after the new one and the
      record are written (in its ``after_train_iter`` /
      ``after_train_epoch`` / ``after_val_epoch``, after MMEngine's save);
    - removes (and reports) temporary files a killed save left behind.

    The kept steps are recorded under MMEngine's own message-hub key
    (``keep_ckpt_ids``), so runs resume with either hook. Use it in place
    of ``CheckpointHook``::

        default_hooks = dict(checkpoint=dict(
            type='FCNCheckpointHook', by_epoch=False, interval=4000))

    Remote ``out_dir`` / ``backend_args`` are used as given (without the
    atomic writes).
    """

    def __init__(self,
                 *args,
                 max_keep_ckpts: int = -1,
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        out_dir = kwargs.get('out_dir')
        local = out_dir is None or '://' not in str(out_dir)
        if (backend_args is None and local
                and kwargs.get('file_client_args') is None):
            backend_args = dict(backend='fcn_atomic_local')
        # MMEngine would remove the outdated checkpoint before saving the
        # new one: it keeps them all, this hook removes them afterwards.
        super().__init__(
            *args, max_keep_ckpts=-1, backend_args=backend_args, **kwargs)
        self.keep_ckpts = max_keep_ckpts
        self.kept_steps: deque = deque()

    @property
    def atomic(self) -> bool:
        """Whether the checkpoint files are written atomically."""
        return isinstance(getattr(self, 'file_backend', None),
                          AtomicLocalBackend)

    def before_train(self, runner) -> None:
        """Set up as MMEngine does; tidy up after a killed run."""
        super().before_train(runner)
        if self.keep_ckpts > 0:
            # A checkpoint records the steps kept before it was saved; the
            # one a run resumed from is added back.
            steps = set(runner.message_hub.get_info(KEEP_KEY, None) or [])
            step = runner.epoch if self.by_epoch else runner.iter
            if step and self.file_backend.exists(
                    self.file_backend.join_path(
                        self.out_dir, self.filename_tmpl.format(step))):
                steps.add(step)
            self.kept_steps = deque(sorted(steps))
            self._drop_outdated(runner)
        if not (self.atomic and is_main_process()):
            return
        for folder in {self.out_dir, runner.work_dir}:
            for path in stale_tmp_files(folder):
                os.remove(path)
                runner.logger.warning(
                    f'removed {path}, left by a checkpoint save that was '
                    'interrupted')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        """Save as MMEngine does, then drop the outdated checkpoint."""
        saved = self.last_ckpt
        super().after_train_iter(runner, batch_idx, data_batch, outputs)
        self._after_save(runner, saved, runner.iter + 1)

    def after_train_epoch(self, runner) -> None:
        """Save as MMEngine does, then drop the outdated checkpoint."""
        saved = self.last_ckpt
        super().after_train_epoch(runner)
        self._after_save(runner, saved, runner.epoch + 1)

    def after_val_epoch(self, runner, metrics) -> None:
        """Save the best as MMEngine does, then drop outdated files."""
        saved = self.last_ckpt
        super().after_val_epoch(runner, metrics)
        self._after_save(runner, saved,
                         runner.epoch if self.by_epoch else runner.iter)

    def _after_save(self, runner, saved: Optional[str], step: int) -> None:
        """Record ``step`` if a checkpoint was saved; drop old ones."""
        if self.keep_ckpts <= 0 or self.last_ckpt == saved:
            return
        if not self.kept_steps or self.kept_steps[-1] != step:
            self.kept_steps.append(step)
        self._drop_outdated(runner)

    def _drop_outdated(self, runner) -> None:
        """Remove the checkpoints beyond ``max_keep_ckpts``, oldest first."""
        while len(self.kept_steps) > self.keep_ckpts:
            step = self.kept_steps.popleft()
            path = self.file_backend.join_path(self.out_dir,
                                               self.filename_tmpl.format(step))
            if is_main_process() and path != self.last_ckpt:
                if self.file_backend.isfile(path):
                    self.file_backend.remove(path)
                elif self.file_backend.isdir(path):
                    # checkpoints saved by deepspeed are directories
                    self.file_backend.rmtree(path)
        runner.message_hub.update_info(KEEP_KEY, list(self.kept_steps))
