"""Tiny checkpoints of the tiny-width test configs, for the tool tests."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ..conftest import randomize

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / 'tests' / 'data'
#: Skips a test on CPUs without bf16 instructions (the bf16 model refuses
#: to build there; tests/test_deployment/test_bf16.py checks that).
needs_bf16 = pytest.mark.skipif(
    not torch.cpu._is_avx512_bf16_supported()
    and not torch.cpu._is_amx_tile_supported(),
    reason='no bf16 instructions on this CPU')


def run(*args, check=True) -> subprocess.CompletedProcess:
    """Run ``python <args>`` from the repository root."""
    proc = subprocess.run([sys.executable, *map(str, args)],
                          cwd=ROOT,
                          capture_output=True,
                          text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def save_random_checkpoint(config: Path, path: Path, seed: int = 1) -> Path:
    """A checkpoint of ``config``'s model with random weights (the score
    layers would start at zero), saved as MMEngine saves one."""
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    model = randomize(MODELS.build(Config.fromfile(str(config)).model), seed)
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path


@pytest.fixture(scope='session')
def tiny_checkpoints(tmp_path_factory) -> dict:
    """{net: (config, checkpoint)} for fcn32s / fcn16s / fcn8s and
    fcn32s-alexnet."""
    folder = tmp_path_factory.mktemp('ckpt')
    out = {}
    for net in ('fcn32s', 'fcn16s', 'fcn8s', 'fcn32s-alexnet'):
        config = DATA / f'tiny_{net.replace("-", "_")}_voc.py'
        out[net] = (config,
                    save_random_checkpoint(config, folder / f'{net}.pth'))
    return out
