"""A tiny VOC folder and one short training run, shared by the tool tests.

The nets are the tiny-width FCNs of ``tests/data/tiny_fcn*_voc.py`` (exact
VGG16 geometry, a few channels), so each tool runs in seconds on a CPU.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from ..runner_utils import write_tiny_voc

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / 'tests' / 'data'
#: Images of the tiny set's val split (one more is its train split).
NUM_IMAGES = 3


def run_tool(*args, check=True, **kwargs) -> subprocess.CompletedProcess:
    """Run ``python tools/<args>`` from the repository root."""
    proc = subprocess.run([sys.executable, *map(str, args)],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def data_root_options(voc: Path) -> list:
    """--cfg-options values pointing every dataloader at ``voc``."""
    return [
        f'{split}_dataloader.dataset.data_root={voc}'
        for split in ('train', 'val', 'test')
    ]


@pytest.fixture(scope='session')
def tiny_voc(tmp_path_factory) -> Path:
    return write_tiny_voc(
        tmp_path_factory.mktemp('data'),
        num=NUM_IMAGES + 1,
        size=(23, 31),
        num_val=NUM_IMAGES)


@pytest.fixture(scope='session')
def trained(tmp_path_factory, tiny_voc) -> Path:
    """Work dir of ``tools/train.py`` on the tiny FCN-8s: 4 iterations,
    checkpoints and validation every 2."""
    work = tmp_path_factory.mktemp('work')
    run_tool('tools/train.py', DATA / 'tiny_fcn8s_voc.py', '--work-dir', work,
             '--cfg-options', *data_root_options(tiny_voc))
    return work
