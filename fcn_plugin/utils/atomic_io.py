"""Crash-safe writing of local files: a temporary name, then a rename.

Every file the plugin and its tools write where a half-written file would
do harm (checkpoints, the ``last_checkpoint`` record, converted weights,
prepared dataset files) goes through :func:`atomic_path`: the data is
written under a hidden temporary name next to the target and renamed over
it (``os.replace``, atomic within one file system). A process killed while
writing leaves at most a ``.NAME.*.tmp`` file (see :func:`stale_tmp_files`);
the target is either the old file or the complete new one.

A write refused for lack of space (a full disk or quota) raises
:class:`NoSpaceError`, which names the target and says that it was left as
it was; the temporary file is removed, so nothing partial remains.
"""
import errno
import os
import os.path as osp
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Union

#: Suffix of the temporary files a killed write leaves behind.
TMP_SUFFIX = '.tmp'

PathLike = Union[str, Path]

#: ``errno`` values of a write refused for lack of space: the disk, or the
#: user's quota on it, is full.
NO_SPACE_ERRNOS = frozenset(
    code for code in (errno.ENOSPC, getattr(errno, 'EDQUOT', None))
    if code is not None)


class NoSpaceError(OSError):
    """An atomic write found no space left; its target is as it was.

    Raised by :func:`atomic_path` and :func:`atomic_write` in place of the
    ``OSError`` of the failed write (``errno.ENOSPC``, ``errno.EDQUOT``),
    with the same ``errno`` and ``strerror`` and the target as
    ``filename``; the temporary file has been removed. Built as
    ``NoSpaceError(errno, strerror, filename)``, like any ``OSError``. Its
    message reads ``cannot write TARGET: [Errno 28] No space left on
    device; TARGET is unchanged and no partial file remains``.
    """

    def __str__(self) -> str:
        return (f'cannot write {self.filename}: [Errno {self.errno}] '
                f'{self.strerror}; {self.filename} is unchanged and no '
                'partial file remains')


def fsync_file(fileobj) -> None:
    """Flush ``fileobj`` and push its data to the disk."""
    fileobj.flush()
    os.fsync(fileobj.fileno())


def sync_dir(folder: PathLike) -> None:
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


@contextmanager
def atomic_path(path: PathLike, durable: bool = True) -> Iterator[str]:
    """A temporary path to write, renamed over ``path`` on success.

    The temporary path is in the folder of ``path`` (created if needed)
    and does not exist yet, so anything can create it: ``open``,
    ``torch.save``, ``PIL.Image.save``, ``os.symlink``. When the block
    ends normally it is renamed over ``path``; when it raises, it is
    removed and ``path`` is left as it was.

    Args:
        path (str | Path): The file to (over)write.
        durable (bool): Also sync the folder, so that the rename survives
            a power loss (one more disk flush per file). Defaults to True.

    Yields:
        str: The temporary path to write.

    Raises:
        NoSpaceError: The disk (or quota) was full; ``path`` is as it was
            and the temporary file is removed.

    Example:
        >>> with atomic_path('out/model.pth') as tmp:
        ...     torch.save(checkpoint, tmp)
    """
    path = osp.abspath(os.fspath(path))
    folder, name = osp.split(path)
    tmp = osp.join(folder, f'.{name}.{uuid.uuid4().hex[:12]}{TMP_SUFFIX}')
    try:
        os.makedirs(folder, exist_ok=True)
        yield tmp
        os.replace(tmp, path)
    except BaseException as err:
        if osp.lexists(tmp):
            os.remove(tmp)
        if (isinstance(err, OSError) and not isinstance(err, NoSpaceError)
                and err.errno in NO_SPACE_ERRNOS):
            raise NoSpaceError(err.errno, err.strerror, path) from err
        raise
    if durable:
        sync_dir(folder)


def atomic_write(path: PathLike,
                 data: Union[bytes, str],
                 encoding: str = 'utf-8') -> None:
    """Write ``data`` to ``path`` so that readers never see half a file.

    The data is synced to the disk before the rename, so after a power
    loss ``path`` is the old or the new file, not an empty one.

    Args:
        path (str | Path): The file to (over)write.
        data (bytes | str): The content; ``str`` is encoded with
            ``encoding``.
        encoding (str): Encoding of text data. Defaults to 'utf-8'.

    Raises:
        NoSpaceError: The disk (or quota) was full; ``path`` is as it was.
    """
    if isinstance(data, str):
        data = data.encode(encoding)
    with atomic_path(path) as tmp:
        with open(tmp, 'wb') as f:
            f.write(data)
            fsync_file(f)


def stale_tmp_files(folder: PathLike) -> List[str]:
    """Temporary files left in ``folder`` by writes that were killed."""
    if not osp.isdir(folder):
        return []
    return sorted(
        osp.join(folder, name) for name in os.listdir(folder)
        if name.startswith('.') and name.endswith(TMP_SUFFIX))
