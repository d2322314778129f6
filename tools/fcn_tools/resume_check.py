"""Find and check the checkpoint a ``--resume`` run starts from.

Used by ``tools/train.py`` (``--resume``) and ``tools/test.py`` (the
checkpoint to test), before the Runner is built.
"""
import glob
import os.path as osp
import re
import zipfile
from typing import List, Optional

from mmengine.runner import find_latest_checkpoint

from fcn_plugin.errors import WeightFileError

#: Checkpoints of MMEngine's ``CheckpointHook`` (``filename_tmpl``).
_STEP_FILE = re.compile(r'^(iter|epoch)_(\d+)\.pth$')


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` is not a complete PyTorch checkpoint, or None.

    Only the structure is read (the zip directory written last by
    ``torch.save``), so the check is cheap for large files and finds the
    usual damage: a file truncated by a killed or failed write.

    Args:
        path (str): A checkpoint file.

    Returns:
        str | None: A short reason, or None if the file looks complete.
    """
    if not osp.isfile(path):
        return 'no such file'
    if osp.getsize(path) == 0:
        return 'the file is empty'
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError) as err:
            return f'damaged zip archive ({err})'
        if not any(n == 'data.pkl' or n.endswith('/data.pkl')
                   for n in names):
            return 'a zip archive without the data.pkl of torch.save'
        return None
    with open(path, 'rb') as f:
        head = f.read(4)
    if head.startswith(b'PK'):
        return 'truncated: the end of the zip archive is missing (the ' \
               'write was interrupted)'
    if head[:1] == b'\x80':  # the legacy (pre-1.6) pickle format
        return None
    return 'not a PyTorch checkpoint'


def step_checkpoints(work_dir: str) -> List[str]:
    """``iter_N.pth`` / ``epoch_N.pth`` files in ``work_dir``, newest last."""
    found = []
    for path in glob.glob(osp.join(glob.escape(work_dir), '*.pth')):
        match = _STEP_FILE.match(osp.basename(path))
        if match:
            found.append((int(match.group(2)), path))
    return [path for _, path in sorted(found)]


def _earlier_hint(work_dir: str, bad: str) -> str:
    good = [
        p for p in step_checkpoints(work_dir)
        if (not osp.exists(bad) or not osp.samefile(p, bad))
        and checkpoint_problem(p) is None
    ]
    if good:
        return (f'; resume from the newest complete one with '
                f'--resume {good[-1]}')
    return '; no complete iter_N.pth / epoch_N.pth is left in ' \
        f'{work_dir}: start again without --resume'


def check_resume_file(path: str, work_dir: Optional[str] = None) -> None:
    """Fail with one clear message if ``path`` cannot be resumed from.

    Args:
        path (str): The checkpoint to resume from.
        work_dir (str, optional): Where to look for an earlier complete
            checkpoint to suggest. Defaults to the folder of ``path``.

    Raises:
        WeightFileError: Naming ``path``, what is wrong with it and the
            newest complete checkpoint to resume from instead.
    """
    problem = checkpoint_problem(path)
    if problem is None:
        return
    work_dir = work_dir or osp.dirname(osp.abspath(path))
    raise WeightFileError(f'cannot resume from {path}: {problem}' +
                          _earlier_hint(work_dir, path))


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``work_dir/last_checkpoint`` names, checked.

    The record is read by MMEngine's own
    :func:`~mmengine.runner.find_latest_checkpoint`, as ``--resume`` does.

    Returns:
        str | None: The checkpoint path, or None when ``work_dir`` has no
        ``last_checkpoint`` record (nothing to resume).

    Raises:
        WeightFileError: If the record is empty or names a missing or
            incomplete file.
    """
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None
    path = find_latest_checkpoint(work_dir)
    if not path:
        raise WeightFileError(f'cannot resume: {record} is empty' +
                              _earlier_hint(work_dir, record))
    check_resume_file(path, work_dir)
    return path
