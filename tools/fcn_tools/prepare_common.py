"""What the data preparation tools share.

``tools/prepare_voc.py`` (:mod:`fcn_tools.prepare_voc`),
``tools/prepare_pascal_context.py`` (:mod:`fcn_tools.prepare_context`)
and ``tools/prepare_siftflow.py`` (:mod:`fcn_tools.prepare_siftflow`)
read id lists and folders of the official releases, refuse missing or
malformed inputs with a :class:`DataError` that names them, write every
output file atomically (a rerun skips finished files) and take the same
options for downloads (``--download``, ``--<name>-url``, ``--<name>-md5``)
and for the work (``--link``, ``--nproc``).
"""
import argparse
import contextlib
import os
import os.path as osp
import re
import shutil
import warnings
from pathlib import Path
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Tuple)

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from scipy.io import loadmat

from fcn_plugin.utils.atomic_io import atomic_path, atomic_write
from .download import download

#: How ``--link`` reuses an input file (see :func:`place`).
LINK_MODES = ('symlink', 'hardlink', 'copy')
_SHOWN = 5


class DataError(ValueError):
    """An input tree, list or file is missing or malformed."""


# ------------------------------------------------------------- arguments


def add_common_args(parser: argparse.ArgumentParser,
                    sources: Dict[str, dict], download_help: str, out: str,
                    out_help: str) -> None:
    """Add the options every tool has after its inputs.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        sources (dict): Name -> ``url``, ``filename`` and optionally
            ``md5`` of each file ``--download`` fetches.
        download_help (str): What ``--download DIR`` fetches.
        out (str): The default of ``--out``.
        out_help (str): What ``--out`` is.

    ``--download DIR``, then ``--<name>-url`` of each source,
    ``--<name>-md5`` of each source with a checksum and ``--out``.
    """
    parser.add_argument('--download', metavar='DIR', help=download_help)
    for name, source in sources.items():
        parser.add_argument(
            f'--{name}-url',
            default=source['url'],
            help=f'where --download gets {source["filename"]} (a mirror)')
    for name, source in sources.items():
        if source.get('md5'):
            parser.add_argument(
                f'--{name}-md5',
                default=source['md5'],
                help=f'MD5 of {source["filename"]} (only for a mirror '
                'that serves another file)')
    parser.add_argument('--out', default=out, help=out_help)


def add_job_args(parser: argparse.ArgumentParser, link_help: str) -> None:
    """Add ``--link`` (one of :data:`LINK_MODES`; ``link_help`` says
    which files it places) and ``--nproc``."""
    parser.add_argument(
        '--link', choices=LINK_MODES, default='symlink', help=link_help)
    parser.add_argument(
        '--nproc', type=int, default=1, help='number of worker processes')


def parse_tool_args(parser: argparse.ArgumentParser,
                    argv: Optional[Sequence[str]],
                    inputs: Sequence[str],
                    given: str,
                    what: str = '',
                    required: Optional[Sequence[str]] = None
                    ) -> argparse.Namespace:
    """Parse a tool's options (:func:`add_common_args`,
    :func:`add_job_args`) and check them.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        argv (Sequence[str], optional): The arguments; None: ``sys.argv``.
        inputs (Sequence[str]): The input options that ``--download``
            replaces, by their names (``voc`` for ``--voc``).
        given (str): The inputs to give instead of ``--download``, as the
            messages name them.
        what (str): What ``given`` is, for the message that asks for it.
        required (Sequence[str], optional): Those of ``inputs`` needed
            without ``--download``; None: all.

    Returns:
        argparse.Namespace: The options. ``--nproc`` below 1, one of
        ``inputs`` with ``--download`` or, without it, a missing one of
        ``required`` ends the program with a usage error instead.
    """
    args = parser.parse_args(argv)
    if args.nproc < 1:
        parser.error(f'--nproc must be at least 1, got {args.nproc}')
    if args.download:
        if any(getattr(args, name) for name in inputs):
            options = ' and '.join(f'--{name}' for name in inputs)
            parser.error(f'--download DIR gets {options} itself; give '
                         f'either --download or {given}')
    elif not all(getattr(args, name) for name in required or inputs):
        parser.error(f'give {given}{what}, or --download DIR to fetch them')
    return args


def parse_and_fetch(
    argv: Optional[Sequence[str]],
    parse_args: Callable[[Optional[Sequence[str]]], argparse.Namespace],
    fetch_sources: Callable[[argparse.Namespace], None]
) -> argparse.Namespace:
    """A tool's options: ``parse_args(argv)``, pointed at the inputs
    ``fetch_sources`` has downloaded if ``--download`` is given."""
    args = parse_args(argv)
    if args.download:
        fetch_sources(args)
    return args


# -------------------------------------------------------------- download


def download_sources(
        args: argparse.Namespace,
        sources: Dict[str, dict],
        names: Optional[Sequence[str]] = None
) -> Iterator[Tuple[str, Path, str]]:
    """Download a tool's ``sources`` into the folder ``args.download``.

    Each comes from ``args.<name>_url`` and is checked against
    ``args.<name>_md5`` where the tool has that option (see
    :func:`add_common_args`).

    Args:
        args (argparse.Namespace): The tool's options.
        sources (dict): Name -> ``url``, ``filename`` (and ``md5``).
        names (Sequence[str], optional): The sources to fetch, in this
            order; None: all, in the order of ``sources``.

    Yields:
        tuple[str, Path, str]: The name, the downloaded file and its URL,
        each before the next download starts.

    Raises:
        DownloadError: A download or checksum failed.
    """
    root = Path(args.download)
    root.mkdir(parents=True, exist_ok=True)
    for name in names or list(sources):
        filename = sources[name]['filename']
        url = getattr(args, f'{name}_url')
        md5 = getattr(args, f'{name}_md5', None)
        print(f'{filename} <- {url}', flush=True)
        yield name, download(url, root / filename, md5), url


def deleted_download(path: Path, url: str, what: str,
                     name: str) -> DataError:
    """Delete the downloaded ``path`` (from ``url``, the source ``name``),
    which is not ``what``; the error that says so."""
    path.unlink()
    return DataError(f'{url} is not {what}; it was deleted, check '
                     f'--{name}-url and run again')


@contextlib.contextmanager
def archive_content(folder: Path, archive: Path, url: str,
                    name: str) -> Iterator[None]:
    """Check, in the ``with`` block, that ``folder`` (``archive`` from
    ``url``, the source ``name``, unpacked) holds what it should: a
    :class:`DataError` raised there is given the reason (no published
    checksum) and what to do."""
    try:
        yield
    except DataError as err:
        raise DataError(f'{err} ({archive.name} from {url} is not the '
                        'expected archive and has no published checksum: '
                        f'delete {archive} and {folder}, check '
                        f'--{name}-url and run again)') from None


# ---------------------------------------------------------------- inputs


def need_dir(path: Path, what: str) -> Path:
    """``path``, which must be a folder (``what`` names it in the error)."""
    if not path.is_dir():
        raise DataError(f'{what} folder {path} does not exist')
    return path


def find_voc_folder(voc: Path, year: str, option: str, release: str) -> Path:
    """The ``year`` folder (e.g. ``VOC2012``) given a VOCdevkit or that
    folder, as the tool's ``option`` names it; ``release`` is the archive
    whose VOCdevkit to pass."""
    if (voc / year).is_dir():
        return voc / year
    if (voc / 'JPEGImages').is_dir():
        return voc
    raise DataError(f'{option} {voc} holds neither {year}/ nor JPEGImages/; '
                    f'pass the VOCdevkit folder of {release}')


def read_ids(path: Path, what: str) -> List[str]:
    """Read a list of image ids (one per line), refusing empty lists."""
    if not path.is_file():
        raise DataError(f'{what} list {path} does not exist')
    ids = [line.strip() for line in path.read_text().splitlines()]
    ids = list(dict.fromkeys(i for i in ids if i))
    if not ids:
        raise DataError(f'{what} list {path} is empty')
    return ids


def read_split(path: Path, what: str, pattern: 're.Pattern',
               example: str, hint: str) -> List[str]:
    """Read one of a reference's split lists, refusing anything but ids.

    Args:
        path (Path): The list.
        what (str): Its name in messages, e.g. ``'SIFT Flow test'``.
        pattern (re.Pattern): What an id looks like (``fullmatch``).
        example (str): An id, for messages.
        hint (str): What to do, appended to every message.

    Returns:
        list[str]: The ids, in the list's order.

    Raises:
        DataError: The list is missing, empty or holds something else.
    """
    dataset = what.rsplit(' ', 1)[0]
    try:
        ids = read_ids(path, what)
    except UnicodeDecodeError:
        raise DataError(f'{path} is not a list of {dataset} ids (binary '
                        f'data); {hint}') from None
    except DataError as err:
        raise DataError(f'{err}; {hint}') from None
    bad = [i for i in ids if not pattern.fullmatch(i)]
    if bad:
        raise DataError(f'{path} is not a list of {dataset} ids: {len(bad)} '
                        f'of its {len(ids)} entries are not ids like '
                        f'{example} (e.g. {bad[0][:40]!r}); {hint}')
    return ids


def names_in(folder: Path, suffix: str) -> Dict[str, Path]:
    """Id -> path of the files ``<id><suffix>`` in ``folder``."""
    return {
        entry.name[:-len(suffix)]: Path(entry.path)
        for entry in os.scandir(folder)
        if entry.name.endswith(suffix) and not entry.name.startswith('.')
    }


def id_sample(ids: Sequence[str]) -> str:
    """The first few of ``ids`` for a message, then ``and N more``."""
    more = len(ids) - _SHOWN
    tail = f' and {more} more' if more > 0 else ''
    return f'{", ".join(ids[:_SHOWN])}{tail}'


def require(ids: Sequence[str], available: Dict[str, Path], what: str,
            where: Path, source: Path) -> None:
    """Refuse ids of the list ``source`` that ``available`` lacks."""
    missing = [i for i in ids if i not in available]
    if missing:
        raise DataError(f'{len(missing)} ids of {source} have no {what} in '
                        f'{where}: {id_sample(missing)}')


def compare_counts(counts: Dict[str, int],
                   expected: Dict[str, int],
                   looks: str,
                   official: Optional[bool] = None) -> List[str]:
    """Compare sizes with the official ones when the input looks official.

    Args:
        counts (dict): Name -> size found (a key for each of ``expected``).
        expected (dict): Name -> official size.
        looks (str): What the input looks like, the warning's start.
        official (bool, optional): Whether the input looks official;
            None: whether any count reaches its official size.

    Returns:
        list[str]: One ``name: expected E, got G`` entry per mismatch
        (empty for small inputs that are clearly not the official data).
        The mismatches are also warned about.
    """
    if official is None:
        official = any(counts[k] >= v for k, v in expected.items())
    if not official:
        return []
    bad = [
        f'{k}: expected {v}, got {counts[k]}' for k, v in expected.items()
        if counts[k] != v
    ]
    if bad:
        warnings.warn(
            f'{looks} but some counts differ (incomplete download or wrong '
            'list?): ' + '; '.join(bad),
            stacklevel=3)
    return bad


# ---------------------------------------------------------------- labels


def format_value(value) -> str:
    """A label value for a message: ``3`` for 3.0, else its ``repr``."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def read_mat_map(src: str, field: str, dataset: str, archive: str,
                 use: str) -> Tuple[Optional[np.ndarray], str]:
    """Read the label map ``field`` of the ``.mat`` file ``src``.

    Args:
        src (str): The ``.mat`` file.
        field (str): The variable holding the map.
        dataset (str): The dataset, for messages.
        archive (str): Where a damaged file is replaced from.
        use (str): Where valid label files are, for messages.

    Returns:
        tuple[np.ndarray | None, str]: The 2-d numeric map, or None and
        why ``src`` is not a valid label file.
    """
    try:
        mat = loadmat(src)
    except Exception as err:  # scipy raises several types
        return None, (f'cannot read {src} ({err}): a damaged file; replace '
                      f'it from {archive}')
    if field not in mat:
        fields = sorted(k for k in mat if not k.startswith('__'))
        return None, (f'{src} has no {field} (its fields: '
                      f'{", ".join(fields) or "none"}): not a {dataset} '
                      f'label file; {use}')
    raw = np.asarray(mat[field])
    if raw.ndim != 2 or raw.size == 0 or raw.dtype.kind not in 'uif':
        return None, (f'{src}: {field} is not a label map (shape '
                      f'{raw.shape}, {raw.dtype}); {use}')
    return raw, ''


def whole_in(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Which of ``values`` are whole numbers in ``low..high``."""
    valid = (values >= low) & (values <= high)
    if values.dtype.kind == 'f':
        valid &= np.isfinite(values) & (values == np.round(values))
    return valid


# ------------------------------------------------------------------ jobs


def place(src: str, dst: str, mode: str) -> None:
    """Put ``src`` at ``dst`` (atomically) by one of :data:`LINK_MODES`."""
    with atomic_path(dst, durable=False) as tmp:
        if mode == 'symlink':
            os.symlink(osp.abspath(src), tmp)
        elif mode == 'hardlink':
            try:
                os.link(src, tmp)
            except OSError:  # other file system: copy instead
                shutil.copyfile(src, tmp)
        else:
            shutil.copyfile(src, tmp)


def place_job(job: Tuple[str, str, str, str]) -> None:
    """Do one ``('place', src, dst, link_mode)`` job (see :func:`place`)."""
    _, src, dst, mode = job
    try:
        place(src, dst, mode)
    except Exception as err:
        raise RuntimeError(f'cannot write {dst} from {src}: {err}') from err


def clean_partials(folder: Path) -> None:
    """Remove temporary files an interrupted run left behind."""
    for entry in folder.glob('.*'):
        if entry.name.endswith('.tmp') and not entry.is_dir():
            entry.unlink()
        elif entry.name.startswith('.partial.') and entry.is_dir():
            shutil.rmtree(entry)


def pending(jobs: List[tuple]) -> List[tuple]:
    """The jobs whose output (``job[2]``) does not exist yet."""
    return [job for job in jobs if not osp.exists(job[2])]


def run_jobs(jobs: List[tuple],
             nproc: int,
             title: str,
             worker: Callable[[tuple], Any] = place_job) -> List[Any]:
    """Run ``worker`` (a module-level function) on every job, in ``nproc``
    processes, with a progress bar; its results in the jobs' order."""
    if not jobs:
        return []
    print(f'{title}: {len(jobs)} files')
    if nproc == 1 or len(jobs) < 2:
        return track_progress(worker, jobs)
    else:
        return track_parallel_progress(
            worker,
            jobs,
            nproc=min(nproc, len(jobs)),
            chunksize=max(1, min(64,
                                 len(jobs) // (4 * nproc))))


def job_errors(results: Iterable[Optional[str]], what: str) -> str:
    """The first error of a worker's ``results`` (None or '' where a job
    went well), then how many more ``what`` there are; '' if none."""
    errors = [e for e in results if e]
    if not errors:
        return ''
    more = f' ({len(errors) - 1} more {what})' if len(errors) > 1 else ''
    return f'{errors[0]}{more}'


def place_files(files: Dict[str, Path], ids: Iterable[str], folder: Path,
                suffix: str, mode: str, nproc: int, title: str) -> int:
    """Place ``files[i]`` at ``folder/<i><suffix>`` for each of ``ids``
    not there yet (``mode`` of :data:`LINK_MODES`); how many were."""
    jobs = pending([('place', str(files[i]), str(folder / f'{i}{suffix}'),
                     mode) for i in ids])
    run_jobs(jobs, nproc, title)
    return len(jobs)


def make_dirs(folders: Sequence[Path]) -> List[Path]:
    """Create ``folders``; the ones created, parents first."""
    created: List[Path] = []
    for folder in folders:
        missing, path = [], folder
        while not path.exists():
            missing.append(path)
            path = path.parent
        folder.mkdir(parents=True, exist_ok=True)
        created += reversed(missing)
    return created


def undo(paths: Iterable[str], created: List[Path],
         folders: Iterable[Path]) -> None:
    """Remove what a failed run wrote: the files ``paths``, the temporary
    files in ``folders`` and the new folders ``created`` (those that are
    empty then)."""
    for path in paths:
        if osp.lexists(path):
            os.remove(path)
    for folder in folders:
        clean_partials(folder)
    for path in reversed(created):
        try:
            path.rmdir()
        except OSError:  # not empty: not only ours
            pass


# ---------------------------------------------------------------- splits


def write_split(path: Path, ids: List[str]) -> bool:
    """Write a split list atomically unless it holds ``ids`` already;
    whether it was written."""
    text = ''.join(f'{i}\n' for i in ids)
    if path.is_file() and path.read_text() == text:
        return False
    atomic_write(path, text)
    return True


def finish(splits: Dict[str, List[str]], folder: Path, out: Path,
           written: Dict[str, int]) -> Dict[str, int]:
    """Write the split lists to ``folder/<name>.txt`` (how many were, in
    ``written['splits']``) and report the splits' sizes and what was
    written to ``out``; ``written``."""
    written['splits'] = sum(
        write_split(folder / f'{name}.txt', ids)
        for name, ids in splits.items())
    for name, ids in splits.items():
        print(f'{name}: {len(ids)} ids')
    print(f'done: {out} ({written})')
    return written
