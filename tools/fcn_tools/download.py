"""Resumable, checksummed downloads and all-or-nothing archive extraction.

Used by ``tools/prepare_voc.py --download``,
``tools/prepare_pascal_context.py --download`` and
``tools/prepare_siftflow.py --download``. A file is fetched into
``<name>.part`` (continued with an HTTP ``Range`` request when a partial
file is left from an earlier run), checked against its MD5 and only then
renamed to ``<name>``. An archive is unpacked into a hidden temporary
folder, marked complete and moved into place in one rename, so a folder
that exists is either a finished extraction or not ours. Tar archives and
(by their ``.zip`` name) zip archives follow the same rules.

The checksums are torchvision's (``check_integrity``, ``calculate_md5``,
as its ``VOCSegmentation`` and ``SBDataset`` check the same archives).
Its ``download_url`` is not used: it writes straight to the final name,
so it can neither resume a partial file nor leave a damaged one
recognisable, and it checks no free space.
"""
import errno
import http.client
import os
import shutil
import socket
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path
from typing import IO, Iterable, List, Optional, Sequence, Tuple, Union

from torchvision.datasets.utils import calculate_md5, check_integrity

#: Stamp file written into an extracted folder once it is complete.
COMPLETE_STAMP = '.extracted'
CHUNK = 1 << 20
_NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_MB = 1 << 20


class DownloadError(RuntimeError):
    """A download, checksum or extraction failed; the message says why."""


def _size(num: float) -> str:
    return f'{num / _MB:.1f} MB'


def _check_room(folder: Path, need: int, what: str) -> None:
    free = shutil.disk_usage(folder).free
    if need > free:
        raise DownloadError(
            f'not enough free space in {folder} for {what}: needs '
            f'{_size(need)}, {_size(free)} free; free some space (or choose '
            'another folder) and run again')


def _no_room(err: OSError, where: Path, what: str) -> DownloadError:
    return DownloadError(f'no space left in {where} while {what} '
                         f'({err.strerror}); free some space and run again')


class _Progress:
    """One status line per file: a live counter on a terminal, else a line
    every 10 %."""

    def __init__(self, name: str, done: int, total: Optional[int],
                 stream: IO[str]) -> None:
        self.name, self.done, self.total = name, done, total
        self.stream = stream
        self.live = stream.isatty()
        self.last_time = 0.
        self.last_decile = -1

    def update(self, num: int) -> None:
        self.done += num
        if self.live:
            now = time.monotonic()
            if now - self.last_time >= 0.2:
                self.last_time = now
                self.stream.write(f'\r{self._line()}')
                self.stream.flush()
        elif self.total:
            decile = self.done * 10 // self.total
            if decile > self.last_decile:
                self.last_decile = decile
                self.stream.write(self._line() + '\n')
                self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write(f'\r{self._line()}\n')
            self.stream.flush()

    def _line(self) -> str:
        if self.total:
            return (f'{self.name}: {_size(self.done)} / {_size(self.total)} '
                    f'({100 * self.done // self.total}%)')
        return f'{self.name}: {_size(self.done)}'


def _open(url: str, offset: int, timeout: float):
    headers = {'User-Agent': 'fcn_plugin-prepare_voc'}
    if offset:
        headers['Range'] = f'bytes={offset}-'
    request = urllib.request.Request(url, headers=headers)
    return urllib.request.urlopen(request, timeout=timeout)


def _fetch(url: str, part: Path, timeout: float, stream: IO[str]) -> None:
    """Write (the rest of) ``url`` into ``part``."""
    offset = part.stat().st_size if part.is_file() else 0
    try:
        response = _open(url, offset, timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # nothing left to fetch
            return
        raise DownloadError(f'cannot download {url}: HTTP {err.code} '
                            f'{err.reason}') from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, 'reason', err)
        raise DownloadError(f'cannot download {url}: {reason}; check the '
                            'address and the network, then run '
                            'again') from None
    with response:
        if offset and response.status != 206:
            offset = 0  # the server ignores ranges: start over
        length = response.headers.get('Content-Length')
        total = offset + int(length) if length is not None else None
        if length is not None:
            _check_room(part.parent, int(length), f'{part.name[:-5]}')
        progress = _Progress(part.name[:-5], offset, total, stream)
        try:
            with open(part, 'ab' if offset else 'wb') as f:
                for block in iter(lambda: response.read(CHUNK), b''):
                    f.write(block)
                    progress.update(len(block))
        except OSError as err:
            if err.errno in _NO_ROOM:
                raise _no_room(err, part.parent,
                               f'downloading {url}') from None
            if not isinstance(err, (socket.timeout, ConnectionError)):
                raise DownloadError(f'cannot write {part}: {err}') from None
            progress.close()
            raise DownloadError(
                f'download of {url} broke off after '
                f'{_size(progress.done)} ({err}); run again to resume '
                'it') from None
        except http.client.HTTPException as err:
            progress.close()
            raise DownloadError(
                f'download of {url} broke off after '
                f'{_size(progress.done)} ({type(err).__name__}); run again '
                'to resume it') from None
        progress.close()
    got = part.stat().st_size
    if total is not None and got < total:
        raise DownloadError(f'download of {url} broke off after '
                            f'{_size(got)} of {_size(total)}; run again to '
                            'resume it')


def download(url: str,
             dest: Path,
             md5: Optional[str] = None,
             timeout: float = 60.,
             stream: IO[str] = sys.stderr) -> Path:
    """Download ``url`` to ``dest`` (resuming), then check its MD5.

    An existing ``dest`` is only checked. The data goes to
    ``dest.part`` first; a partial file left by an interrupted run is
    continued with a ``Range`` request (started over if the server ignores
    it). A file whose checksum differs is deleted.

    Args:
        url (str): ``http(s)://`` or ``file://`` address.
        dest (Path): File to create.
        md5 (str, optional): Expected hex MD5; None skips the check.
        timeout (float): Seconds without data before giving up.
        stream (IO[str]): Where progress is shown.

    Returns:
        Path: ``dest``.

    Raises:
        DownloadError: The server or network failed, the disk is full or
            the checksum differs. A partial file stays for a rerun unless
            it is known to be wrong.
    """
    dest = Path(dest)
    if dest.is_file():
        if not check_integrity(dest, md5 or None):
            raise DownloadError(f'{dest} exists but its MD5 is not {md5} '
                                '(a different or damaged file): delete it '
                                'and run again')
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + '.part')
    if part.is_file():
        print(f'resuming {dest.name} from {_size(part.stat().st_size)}',
              file=stream)
    _fetch(url, part, timeout, stream)
    if md5:
        got = calculate_md5(part, chunk_size=CHUNK)
        if got != md5:
            part.unlink()
            raise DownloadError(f'{url} has MD5 {got}, expected {md5} (a '
                                'damaged or different file); it was deleted, '
                                'run again to download it anew')
    os.replace(part, dest)
    return dest


def _members(entries: Iterable[Tuple[str, int]], archive: Path,
             top: Optional[str]) -> int:
    """Check that every entry (name, size) lies under ``top/`` (None:
    anywhere); return the data size."""
    total = 0
    for raw, size in entries:
        name = raw
        while name.startswith('./'):
            name = name[2:]
        if top is None:
            if name.startswith('/') or '..' in name.split('/'):
                raise DownloadError(f'{archive} holds {raw!r}, '
                                    'outside its folder: not the expected '
                                    'archive')
        elif name != top and not name.startswith(top + '/'):
            raise DownloadError(f'{archive} holds {raw!r} outside '
                                f'{top}/: not the expected archive')
        total += size
    return total


def _open_archive(
        archive: Path) -> Union[zipfile.ZipFile, tarfile.TarFile]:
    """A zip file (by its ``.zip`` name) or a tar file, opened."""
    if archive.name.lower().endswith('.zip'):
        return zipfile.ZipFile(archive)
    return tarfile.open(archive)


def _entries(
        opened: Union[zipfile.ZipFile, tarfile.TarFile]
) -> List[Tuple[str, int]]:
    """(name, size) of every entry of an open zip or tar file."""
    if isinstance(opened, zipfile.ZipFile):
        return [(m.filename, m.file_size) for m in opened.infolist()]
    return [(m.name, m.size) for m in opened.getmembers()]


def extract(archive: Path,
            root: Path,
            top: str,
            inner: Optional[Sequence[str]] = None) -> Path:
    """Unpack a tar or zip archive whose entries all lie under ``top/``.

    ``root/top`` appears only once the whole archive is unpacked (it is
    built in a hidden folder, marked with :data:`COMPLETE_STAMP` and moved
    into place); a complete folder is left as it is.

    Args:
        archive (Path): A ``.tar``, ``.tgz``, ``.tar.gz`` or ``.zip``
            file.
        root (Path): Folder to unpack into.
        top (str): The archive's top folder, e.g. ``VOCdevkit``; with
            ``inner``, the folder to unpack into instead.
        inner (Sequence[str], optional): For an archive without a top
            folder (e.g. PASCAL-Context's ``trainval.tar.gz``, holding
            ``trainval/`` and ``labels.txt``): the entries its root must
            hold; it is unpacked into ``root/top``.

    Returns:
        Path: ``root/top``.

    Raises:
        DownloadError: The archive is damaged or has another layout, the
            disk is full, or ``root/top`` exists without being a complete
            extraction.
    """
    target = root / top
    if (target / COMPLETE_STAMP).is_file():
        return target
    if target.exists():
        raise DownloadError(
            f'{target} exists but is not a complete extraction of '
            f'{archive.name} (no {COMPLETE_STAMP} in it): move it away and '
            'run again')
    tmp = root / f'.{top}.extracting'
    if tmp.exists():
        shutil.rmtree(tmp)
    print(f'extracting {archive.name}', file=sys.stderr)
    try:
        with _open_archive(archive) as opened:
            _check_room(root, _members(_entries(opened), archive,
                                       None if inner else top),
                        f'the contents of {archive.name}')
            into = tmp / top if inner else tmp
            into.mkdir(parents=True)
            if isinstance(opened, zipfile.ZipFile):
                opened.extractall(into)
            elif hasattr(tarfile, 'data_filter'):
                opened.extractall(into, filter='data')
            else:  # Python without extraction filters
                opened.extractall(into)
        lacking = [n for n in inner or ()
                   if not (tmp / top / n).exists()]
        if lacking:
            raise DownloadError(f'{archive} has no {", ".join(lacking)} '
                                'at its root: not the expected archive '
                                '(incomplete?); delete it and run again')
        if not (tmp / top).is_dir():
            raise DownloadError(f'{archive} has no {top}/ folder: not the '
                                'expected archive')
        (tmp / top / COMPLETE_STAMP).write_text(f'{archive.name}\n')
        os.replace(tmp / top, target)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError,
            zlib.error) as err:
        raise DownloadError(f'cannot extract {archive}: {err} (a damaged '
                            'archive); delete it and run again') from None
    except OSError as err:
        if err.errno in _NO_ROOM:
            raise _no_room(err, root, f'extracting {archive.name}') from None
        raise DownloadError(f'cannot extract {archive} into {root}: '
                            f'{err}') from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target
