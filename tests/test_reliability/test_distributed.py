"""tools/dist_train.sh on a machine without CUDA: two gloo processes."""
import os
import socket
import subprocess
import sys

import pytest

from ..test_tools.conftest import ROOT, data_root_options
from .conftest import CONFIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_dist_train_two_processes(voc, tmp_path):
    work = tmp_path / 'work'
    proc = subprocess.run(
        [
            'bash', ROOT / 'tools' / 'dist_train.sh', CONFIG, '2',
            '--work-dir', work, '--cfg-options', *data_root_options(voc),
            'train_cfg.max_iters=2'
        ],
        cwd=ROOT,
        env={
            **os.environ, 'PYTHON': sys.executable,
            'PORT': str(free_port())
        },
        capture_output=True,
        text=True,
        timeout=600)
    log = proc.stdout + proc.stderr
    # on failure: how far the ranks got (log tail, files) and the error
    assert proc.returncode == 0, (
        f'{proc.stdout[-1500:]}\nfiles: '
        f'{sorted(p.name for p in work.glob("*"))}\n{proc.stderr[-2500:]}')
    assert 'Distributed training: True' in log
    assert sorted(p.name for p in work.glob('*.pth')) == ['iter_2.pth']
    # both ranks ran the two iterations (ProbeHook.after_run)
    for rank in (0, 1):
        assert (work / f'rank{rank}.done').read_text() == '2'


# A one-process gloo group through cpu_dist, with a CPU DDP model held in a
# reference cycle as the Runner holds it; prints the gloo threads left
# after the context (ends normally, or raises), then exits.
GLOO_THREADS = r'''
import os, sys
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
import torch
from fcn_tools.dist_env import cpu_dist


def gloo_threads():
    names = []
    for task in os.listdir('/proc/self/task'):
        with open(f'/proc/self/task/{task}/comm') as f:
            names.append(f.read().strip())
    return sorted(n for n in names if 'gloo' in n)


class Holder:
    def __init__(self):
        self.model = MMDistributedDataParallel(
            torch.nn.Linear(3, 2), device_ids=None)
        self.itself = self  # a cycle, as runner <-> hooks


def body(fail):
    holder = Holder()
    holder.model(torch.ones(4, 3)).sum().backward()
    print('inside', gloo_threads(), flush=True)
    if fail:
        raise RuntimeError('stop')


fail = sys.argv[1] == 'raise'
try:
    with cpu_dist('pytorch', Config()):
        body(fail)
except RuntimeError:
    pass
print('after', gloo_threads(), flush=True)
'''


@pytest.mark.skipif(
    not os.path.isdir('/proc/self/task'), reason='lists threads in /proc')
@pytest.mark.parametrize('end', ['return', 'raise'])
def test_cpu_dist_joins_gloo_threads(end):
    """After ``cpu_dist`` no gloo thread is left to interpreter exit, even
    with the DDP model in a reference cycle or a traceback holding it."""
    proc = subprocess.run(
        [sys.executable, '-c', GLOO_THREADS, end],
        cwd=ROOT,
        env={
            **os.environ, 'PYTHONPATH': f'{ROOT}{os.pathsep}{ROOT / "tools"}',
            'MASTER_ADDR': '127.0.0.1',
            'MASTER_PORT': str(free_port()),
            'RANK': '0',
            'LOCAL_RANK': '0',
            'WORLD_SIZE': '1'
        },
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = dict(
        line.split(' ', 1) for line in proc.stdout.splitlines()
        if line.startswith(('inside ', 'after ')))
    assert 'gloo' in lines['inside'], proc.stdout
    assert lines['after'] == '[]', proc.stdout
