"""tools/dist_train.sh on a machine without CUDA: two gloo processes."""
import os
import socket
import subprocess
import sys

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
    assert proc.returncode == 0, log[-3000:]
    assert 'Distributed training: True' in log
    assert sorted(p.name for p in work.glob('*.pth')) == ['iter_2.pth']
    # both ranks ran the two iterations (ProbeHook.after_run)
    for rank in (0, 1):
        assert (work / f'rank{rank}.done').read_text() == '2'
