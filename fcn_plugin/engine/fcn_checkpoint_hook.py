"""MMEngine's ``CheckpointHook`` with crash-safe checkpoint files."""
import os
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmseg.registry import HOOKS
from .atomic_io import AtomicLocalBackend, atomic_write, stale_tmp_files


@HOOKS.register_module()
class FCNCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose files survive a kill at any moment.

    Training `FCN <https://arxiv.org/abs/1605.06211>`_ takes days; a run
    killed while saving must still resume. MMEngine's hook writes
    ``iter_N.pth`` in place, then rewrites the ``last_checkpoint`` record,
    and removes the outdated checkpoint (``max_keep_ckpts``) *before*
    saving the new one, so a kill can leave a truncated checkpoint, an
    empty record, or no complete checkpoint at all. This hook, with the
    same arguments:

    - writes every checkpoint (``iter_N.pth``, ``best_*.pth``) and the
      ``last_checkpoint`` record to a temporary file that is renamed into
      place (:class:`~fcn_plugin.engine.atomic_io.AtomicLocalBackend`);
    - removes an outdated checkpoint only after the new one and the
      record are written;
    - removes (and reports) temporary files a killed save left behind.

    Use it in place of ``CheckpointHook``::

        default_hooks = dict(checkpoint=dict(
            type='FCNCheckpointHook', by_epoch=False, interval=4000))

    Remote ``out_dir`` / ``backend_args`` are used as given (without the
    atomic writes).
    """

    def __init__(self, *args, backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        out_dir = kwargs.get('out_dir')
        local = out_dir is None or '://' not in str(out_dir)
        if (backend_args is None and local
                and kwargs.get('file_client_args') is None):
            backend_args = dict(backend='fcn_atomic_local')
        super().__init__(*args, backend_args=backend_args, **kwargs)

    @property
    def atomic(self) -> bool:
        """Whether the checkpoint files are written atomically."""
        return isinstance(getattr(self, 'file_backend', None),
                          AtomicLocalBackend)

    def before_train(self, runner) -> None:
        """Set up as MMEngine does; remove files of killed saves."""
        super().before_train(runner)
        if not (self.atomic and is_main_process()):
            return
        for folder in {self.out_dir, runner.work_dir}:
            for path in stale_tmp_files(folder):
                os.remove(path)
                runner.logger.warning(
                    f'removed {path}, left by a checkpoint save that was '
                    'interrupted')

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        """Save, record as latest, then drop the outdated checkpoint."""
        if not self.atomic:
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        outdated = None
        if self.max_keep_ckpts > 0 and (not self.keep_ckpt_ids or
                                        self.keep_ckpt_ids[-1] != step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write(osp.join(runner.work_dir, 'last_checkpoint'),
                     self.last_ckpt)
        if outdated is not None:
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(outdated))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
