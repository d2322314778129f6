"""The only places where the plugin relies on MMEngine 0.10 internals.

Everything else in :mod:`fcn_plugin.engine` uses MMEngine's public hook
points (``before_run``, ``after_load_checkpoint``, ``before_train_iter``,
``after_train_iter``, ``before_save_checkpoint``, ...), its public config
(``runner.cfg``), file-backend and checkpoint-loader registries. Two needs
have no public hook point; both live here, written against MMEngine 0.10.x
(checked at import: another version gets a warning and the workarounds
are left off, so MMEngine then behaves as it does without the plugin):

1. **The ``last_checkpoint`` record is written atomically.**
   ``CheckpointHook._save_checkpoint_with_step`` rewrites
   ``WORK_DIR/last_checkpoint`` with a plain ``open(path, 'w')``, which
   empties the file before writing it; a kill (or power loss) in between
   leaves an empty record and ``--resume`` has nothing to resume from.
   :func:`install` gives the ``mmengine.hooks.checkpoint_hook`` module an
   ``open`` whose ``'w'`` writes to a file named ``last_checkpoint`` go
   through :func:`fcn_plugin.utils.atomic_io.atomic_write` (temporary file,
   fsync, rename). Nothing else in that module opens files, and every
   other call is passed to the built-in ``open`` unchanged.
2. **Batches are loaded right after a reseed.** ``IterBasedTrainLoop.run``
   takes every batch from ``loop.dataloader_iterator`` -- also the batches
   it skips on resume -- with no hook call between loading a batch and
   running it. :func:`wrap_train_batches` wraps that iterator so that
   :class:`~fcn_plugin.engine.FCNIterSeedHook` can reseed before each
   batch is loaded (random transforms then draw the same numbers in a
   resumed run as in an uninterrupted one).
"""
import builtins
import os
import os.path as osp
import warnings
from typing import Any, Callable, Iterator, Optional

import mmengine
import mmengine.hooks.checkpoint_hook as checkpoint_hook_module

from fcn_plugin.utils.atomic_io import atomic_write

#: The MMEngine minor version these patches are written against.
SUPPORTED = (0, 10)
#: The file ``CheckpointHook`` records the latest checkpoint in.
RECORD_NAME = 'last_checkpoint'


def _minor(version: str) -> tuple:
    try:
        return tuple(int(part) for part in version.split('.')[:2])
    except ValueError:
        return ()


#: Whether the installed MMEngine is the one the patches are written for.
SUPPORTED_VERSION = _minor(mmengine.__version__) == SUPPORTED


class _AtomicRecord:
    """A write-only text file that appears at once when closed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.parts = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def __enter__(self) -> '_AtomicRecord':
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            atomic_write(self.path, ''.join(self.parts))


def _checkpoint_hook_open(file, mode: str = 'r', *args, **kwargs) -> Any:
    """``open`` of ``mmengine.hooks.checkpoint_hook``: see item 1 above."""
    if (mode == 'w' and not args and not kwargs
            and isinstance(file, (str, os.PathLike))
            and osp.basename(os.fspath(file)) == RECORD_NAME):
        return _AtomicRecord(os.fspath(file))
    return builtins.open(file, mode, *args, **kwargs)


def install() -> bool:
    """Apply the patches (once); warn and do nothing on another MMEngine.

    Returns:
        bool: Whether the patches are in place.
    """
    if not SUPPORTED_VERSION:
        warnings.warn(
            f'fcn_plugin: mmengine {mmengine.__version__} is installed, but '
            'the plugin is written for mmengine 0.10.x '
            '(requirements/stack.txt): the last_checkpoint record is not '
            'written atomically and FCNIterSeedHook reseeds the steps only '
            '(random transforms of a resumed run may differ). Install '
            'mmengine==0.10.7.',
            stacklevel=2)
        return False
    checkpoint_hook_module.open = _checkpoint_hook_open
    return True


def wrap_train_batches(loop: Any,
                       wrap: Callable[[Iterator], Iterator]) -> Optional[
                           Iterator]:
    """Wrap the batch iterator of an iteration-based train loop.

    Args:
        loop: The runner's train loop.
        wrap (Callable): Takes the loop's batch iterator, returns the
            iterator the loop uses from now on.

    Returns:
        Iterator | None: The new iterator, or None when the loop has no
        batch iterator to wrap (epoch-based loops, other MMEngine
        versions).
    """
    batches = getattr(loop, 'dataloader_iterator', None)
    if not SUPPORTED_VERSION or batches is None:
        return None
    wrapped = wrap(batches)
    loop.dataloader_iterator = wrapped
    return wrapped
