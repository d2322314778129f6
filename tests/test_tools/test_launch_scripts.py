"""The torchrun and Slurm launch scripts pass the right arguments.

No GPU or cluster here: ``PYTHON`` and ``srun`` are replaced by a script
that records its command line.
"""
import os
import stat
import subprocess
from pathlib import Path

from .conftest import ROOT


def recorder(path: Path) -> Path:
    """An executable that writes its arguments, one per line, to
    ``<path>.args``."""
    path.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done '
                    f'> "{path}.args"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def run_script(name: str, args, env) -> None:
    subprocess.run(['bash', str(ROOT / 'tools' / name), *args],
                   env={
                       **os.environ,
                       **env
                   },
                   check=True,
                   capture_output=True)


def test_dist_train_uses_torchrun(tmp_path):
    fake = recorder(tmp_path / 'python')
    run_script(
        'dist_train.sh', ['cfg.py', '2', '--amp', '--resume'],
        dict(
            PYTHON=str(fake),
            PORT='29999',
            NNODES='2',
            NODE_RANK='1',
            MASTER_ADDR='10.0.0.1'))
    argv = Path(f'{fake}.args').read_text().split('\n')
    assert argv[:2] == ['-m', 'torch.distributed.run']
    for opt in ('--nnodes=2', '--node_rank=1', '--master_addr=10.0.0.1',
                '--nproc_per_node=2', '--master_port=29999'):
        assert opt in argv
    i = argv.index(str(ROOT / 'tools' / 'train.py'))
    assert argv[i + 1:i +
                6] == ['cfg.py', '--launcher', 'pytorch', '--amp', '--resume']


def test_dist_test_uses_torchrun(tmp_path):
    fake = recorder(tmp_path / 'python')
    run_script('dist_test.sh', ['cfg.py', 'ckpt.pth', '4', '--tta'],
               dict(PYTHON=str(fake)))
    argv = Path(f'{fake}.args').read_text().split('\n')
    assert argv[:2] == ['-m', 'torch.distributed.run']
    assert '--nproc_per_node=4' in argv and '--master_port=29500' in argv
    i = argv.index(str(ROOT / 'tools' / 'test.py'))
    assert argv[i + 1:i +
                6] == ['cfg.py', 'ckpt.pth', '--launcher', 'pytorch', '--tta']


def test_slurm_scripts_use_srun(tmp_path):
    srun = recorder(tmp_path / 'srun')
    env = dict(
        PATH=f'{tmp_path}:{os.environ["PATH"]}', GPUS='8', PYTHON='python3')
    run_script('slurm_train.sh', ['gpu', 'job', 'cfg.py', '--amp'], env)
    argv = Path(f'{srun}.args').read_text().split('\n')
    assert argv[:4] == ['-p', 'gpu', '--job-name=job', '--gres=gpu:4']
    assert '--ntasks=8' in argv
    i = argv.index(str(ROOT / 'tools' / 'train.py'))
    assert argv[i - 2:i] == ['python3', '-u']
    assert argv[i + 1:i + 4] == ['cfg.py', '--launcher=slurm', '--amp']

    run_script('slurm_test.sh', ['gpu', 'job', 'cfg.py', 'c.pth', '--tta'],
               env)
    argv = Path(f'{srun}.args').read_text().split('\n')
    i = argv.index(str(ROOT / 'tools' / 'test.py'))
    assert argv[i + 1:i +
                5] == ['cfg.py', 'c.pth', '--launcher=slurm', '--tta']
