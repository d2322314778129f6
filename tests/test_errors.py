"""The tools' one-line error exit (fcn_tools.errors.run_tool)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from torch.utils.data import DataLoader, Dataset

from fcn_tools.errors import error_message, run_tool

ROOT = Path(__file__).resolve().parents[1]
LABEL_MESSAGE = ('label 2008_000007.png has values [50] outside 0..20 and '
                 '255; fix SegmentationClass')


class BadLabels(Dataset):
    """A dataset whose second item fails as a bad label file does."""

    def __len__(self) -> int:
        return 3

    def __getitem__(self, index: int) -> int:
        if index == 1:
            raise ValueError(LABEL_MESSAGE)
        return index


class MissingKey(Dataset):
    """A dataset whose items lack a key (KeyError in the worker)."""

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> int:
        return {}['seg_map_path']


def run(*args, debug=False) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop('FCN_DEBUG', None)
    if debug:
        env['FCN_DEBUG'] = '1'
    return subprocess.run([sys.executable, *map(str, args)],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True)


def exit_of(main, capsys):
    """Exit status and stderr lines of ``run_tool(main)``."""
    with pytest.raises(SystemExit) as exc:
        run_tool(main)
    return exc.value.code, capsys.readouterr().err.splitlines()


@pytest.mark.parametrize('tool, args, message', [
    ('tools/plot_curves.py', ['{tmp}/nowhere'], 'work dir not found'),
    ('tools/model_converters/vgg2mmseg.py', ['{tmp}/vgg.pth', '{tmp}/o.pth'],
     'vgg.pth'),
])
def test_tool_user_error_is_one_line(tool, args, message, tmp_path):
    proc = run(tool, *(a.format(tmp=tmp_path) for a in args))
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith('error: ') and message in lines[0]
    assert 'Traceback' not in proc.stderr


def test_debug_env_shows_the_traceback(tmp_path):
    proc = run('tools/plot_curves.py', tmp_path / 'nowhere', debug=True)
    assert proc.returncode == 1
    assert 'Traceback (most recent call last)' in proc.stderr
    assert 'FileNotFoundError: work dir not found' in proc.stderr


def test_dataloader_worker_error_is_the_original_message(capsys):
    loader = DataLoader(BadLabels(), batch_size=1, num_workers=1)
    with pytest.raises(ValueError) as exc:
        list(loader)
    # torch re-raises the worker's error with the worker's traceback
    assert 'DataLoader worker process 0' in str(exc.value)
    assert 'Traceback' in str(exc.value)
    assert error_message(exc.value) == LABEL_MESSAGE

    code, lines = exit_of(lambda: list(loader), capsys)
    assert code == 1
    assert lines == [f'error: {LABEL_MESSAGE}']


def test_dataloader_worker_key_error(capsys):
    loader = DataLoader(MissingKey(), num_workers=1)
    code, lines = exit_of(lambda: list(loader), capsys)
    assert code == 1
    assert lines == ["error: KeyError: 'seg_map_path'"]


def test_messages_are_one_line_and_never_empty(capsys):

    def multi_line():
        raise RuntimeError('first line\n  second line\n')

    assert exit_of(multi_line, capsys) == (
        1, ['error: first line second line'])
    assert error_message(KeyError('img_path')) == "KeyError: 'img_path'"
    assert error_message(FileNotFoundError()) == 'FileNotFoundError'


def test_interrupt_status_and_return_codes(capsys, monkeypatch):
    monkeypatch.delenv('FCN_DEBUG', raising=False)

    def interrupted():
        raise KeyboardInterrupt

    assert exit_of(interrupted, capsys) == (130, ['error: interrupted'])
    assert exit_of(lambda: 3, capsys) == (3, [])
    run_tool(lambda: 0)  # success: no exit, no output
    run_tool(lambda: {'result': 1})  # non-int results are not a status
    assert capsys.readouterr().err == ''
    # argparse's own usage errors pass through with their status 2
    assert exit_of(lambda: sys.exit(2), capsys) == (2, [])


def test_debug_env_reraises_in_process(monkeypatch):
    monkeypatch.setenv('FCN_DEBUG', '1')

    def failing():
        raise ValueError('bad setting')

    with pytest.raises(ValueError, match='bad setting'):
        run_tool(failing)
