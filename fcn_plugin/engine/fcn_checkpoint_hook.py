"""MMEngine's ``CheckpointHook`` with crash-safe checkpoint files."""
import os
import os.path as osp
import shlex
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional, Union

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook
from mmseg.registry import HOOKS

from fcn_plugin.utils.atomic_io import (NoSpaceError, atomic_write,
                                        stale_tmp_files)
from .mmengine_patches import RECORD_NAME

#: MMEngine's message-hub key for the steps of the kept checkpoints.
KEEP_KEY = 'keep_ckpt_ids'


class CheckpointNoSpaceError(NoSpaceError):
    """A checkpoint save found the disk full; the earlier files are intact.

    Raised by :class:`FCNCheckpointHook` in place of the
    :class:`~fcn_plugin.utils.atomic_io.NoSpaceError` of the failed write.
    Its message is one line: the file that was being written, that nothing
    partial was left, then ``advice``: the last complete checkpoint (or
    that there is none yet) and how to go on.

    Args:
        code (int): ``errno`` of the failed write (``errno.ENOSPC``).
        strerror (str): Its text, e.g. ``No space left on device``.
        filename (str): The file that was being written.
        advice (str): What is intact and the command that resumes.
    """

    def __init__(self,
                 code: int,
                 strerror: str,
                 filename: str,
                 advice: str = '') -> None:
        super().__init__(code, strerror, filename)
        self.advice = advice

    def __str__(self) -> str:
        return (f'checkpoint save failed: cannot write {self.filename}: '
                f'[Errno {self.errno}] {self.strerror}; no partial file '
                f'remains. {self.advice}')


def recorded_checkpoint(work_dir: str) -> Optional[str]:
    """The existing checkpoint ``work_dir/last_checkpoint`` names, or None.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str | None: The recorded checkpoint path, or None when there is no
        record, it is empty, or the file it names is gone.
    """
    record = osp.join(work_dir, RECORD_NAME)
    try:
        with open(record) as f:
            path = f.read().strip()
    except OSError:
        return None
    return path if path and osp.isfile(path) else None


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
    - removes (and reports) temporary files a killed save left behind;
    - stops a save that finds the disk full with one
      :class:`CheckpointNoSpaceError` whose message names the file being
      written, the last complete checkpoint (the one ``last_checkpoint``
      names, left intact) and the ``tools/train.py ... --resume`` command
      that goes on from it.

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
        with self._explain_no_space(runner):
            super().after_train_iter(runner, batch_idx, data_batch, outputs)
        self._after_save(runner, saved, runner.iter + 1)

    def after_train_epoch(self, runner) -> None:
        """Save as MMEngine does, then drop the outdated checkpoint."""
        saved = self.last_ckpt
        with self._explain_no_space(runner):
            super().after_train_epoch(runner)
        self._after_save(runner, saved, runner.epoch + 1)

    def after_val_epoch(self, runner, metrics) -> None:
        """Save the best as MMEngine does, then drop outdated files."""
        saved = self.last_ckpt
        with self._explain_no_space(runner):
            super().after_val_epoch(runner, metrics)
        self._after_save(runner, saved,
                         runner.epoch if self.by_epoch else runner.iter)

    @contextmanager
    def _explain_no_space(self, runner) -> Iterator[None]:
        """Turn a full disk in a save into a :class:`CheckpointNoSpaceError`.

        The atomic writes have left every earlier file as it was; the
        error adds which checkpoint that is and how to resume from it.
        """
        try:
            yield
        except CheckpointNoSpaceError:
            raise
        except NoSpaceError as err:
            raise CheckpointNoSpaceError(
                err.errno, err.strerror, err.filename,
                no_space_advice(runner)) from err

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


def no_space_advice(runner) -> str:
    """What is intact after a save found the disk full, and how to go on.

    Args:
        runner (Runner): The runner whose save failed.

    Returns:
        str: Names the last complete checkpoint (recorded in the work
        dir's ``last_checkpoint``, else the one the run resumed from), or
        says there is none yet, and gives the ``tools/train.py`` command
        that resumes (``--resume`` or ``--resume PATH``) after space is
        freed, or in a work dir on another disk.
    """
    work_dir = runner.work_dir
    record = osp.join(work_dir, RECORD_NAME)
    config = getattr(runner.cfg, 'filename', None) or 'CONFIG'
    train = f'python tools/train.py {shlex.quote(str(config))}'
    elsewhere = (f'or set a work_dir on another disk and run `{train} '
                 '--work-dir OTHER_DIR')
    intact = recorded_checkpoint(work_dir)
    if intact is not None:
        return (f'The last complete checkpoint, {intact} (named by '
                f'{record}), is intact. To go on from it, free space on the '
                f'disk of {work_dir} and run `{train} --work-dir '
                f'{shlex.quote(work_dir)} --resume`, {elsewhere} --resume '
                f'{shlex.quote(intact)}` (with the other options of this '
                'run).')
    load_from = runner.cfg.get('load_from', None)
    if runner.cfg.get('resume', False) and load_from and osp.isfile(
            load_from):
        return (f'No checkpoint was saved in {work_dir} yet; the one this '
                f'run resumed from, {load_from}, is intact. To go on from '
                f'it, free space on the disk of {work_dir} and run `{train} '
                f'--work-dir {shlex.quote(work_dir)} --resume '
                f'{shlex.quote(load_from)}`, {elsewhere} --resume '
                f'{shlex.quote(load_from)}` (with the other options of this '
                'run).')
    return (f'No checkpoint of this run was saved yet (none is recorded in '
            f'{record}), so there is nothing to resume: free space on the '
            f'disk of {work_dir} and start again with `{train} --work-dir '
            f'{shlex.quote(work_dir)}`, {elsewhere}` (with the other options '
            'of this run).')
