"""Crash-safe writing of local files (temporary file + ``os.replace``).

A process killed while writing leaves at most a hidden ``.NAME.*.tmp``
file next to the target; the target itself is either the old file or the
complete new one, never a truncated one.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

#: Suffix of the temporary files :func:`atomic_write` leaves when killed.
TMP_SUFFIX = '.tmp'


def fsync_file(fileobj) -> None:
    """Flush ``fileobj`` and push its data to the disk."""
    fileobj.flush()
    os.fsync(fileobj.fileno())


def atomic_write(path: Union[str, Path], data: Union[bytes, str],
                 encoding: str = 'utf-8') -> None:
    """Write ``data`` to ``path`` so that readers never see half a file.

    The data goes to a temporary file in the same directory, is synced to
    the disk and then renamed over ``path`` (``os.replace`` is atomic on
    POSIX and Windows within one file system).

    Args:
        path (str | Path): The file to (over)write.
        data (bytes | str): The content; ``str`` is encoded with
            ``encoding``.
        encoding (str): Encoding of text data. Defaults to 'utf-8'.
    """
    path = osp.abspath(os.fspath(path))
    folder, name = osp.split(path)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode(encoding)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{name}.', suffix=TMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            fsync_file(f)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    _sync_dir(folder)


def _sync_dir(folder: str) -> None:
    """Make a rename in ``folder`` durable (best effort, POSIX only)."""
    if not hasattr(os, 'O_DIRECTORY'):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def stale_tmp_files(folder: Union[str, Path]) -> list:
    """Temporary files left in ``folder`` by writes that were killed."""
    if not osp.isdir(folder):
        return []
    return sorted(
        osp.join(folder, name) for name in os.listdir(folder)
        if name.startswith('.') and name.endswith(TMP_SUFFIX))


@register_backend('fcn_atomic_local')
class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose writes are atomic.

    Select it with ``backend_args=dict(backend='fcn_atomic_local')``;
    :class:`~fcn_plugin.engine.FCNCheckpointHook` does so for the
    checkpoints it saves.
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
