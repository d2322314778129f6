"""Tiny data and one uninterrupted reference run for the reliability tests.

Every run trains the tiny FCN-8s of ``tests/data`` (with dropout and a
random flip) through ``tools/train.py`` in a subprocess, as a user does.
"""
import json
import os
from pathlib import Path

import pytest
from mmengine.runner.checkpoint import _load_checkpoint

from ..runner_utils import write_tiny_voc
from ..test_tools.conftest import ROOT, data_root_options, run_tool

HERE = Path(__file__).resolve().parent
CONFIG = HERE / 'tiny_reliable.py'


def train(work_dir, voc, *options, resume=None, env=None, check=True):
    """``tools/train.py CONFIG --work-dir W [--resume [R]]`` with the
    probe hooks; ``options`` are extra ``--cfg-options``."""
    args = ['--work-dir', work_dir]
    if resume is True:
        args.append('--resume')
    elif resume is not None:
        args += ['--resume', resume]
    return run_tool(
        'tools/train.py',
        CONFIG,
        *args,
        '--cfg-options',
        *data_root_options(voc),
        *options,
        check=check,
        env={
            **os.environ, 'PYTHONPATH': str(ROOT),
            **(env or {})
        })


def train_losses(work_dir) -> dict:
    """``{iteration: loss}`` from every run's ``vis_data/scalars.json``."""
    losses = {}
    for path in sorted(Path(work_dir).glob('*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if 'loss' in record:
                losses[record['iter']] = record['loss']
    return losses


def load(path) -> dict:
    return _load_checkpoint(str(path), map_location='cpu')


@pytest.fixture(scope='session')
def voc(tmp_path_factory) -> Path:
    return write_tiny_voc(
        tmp_path_factory.mktemp('data'), num=3, size=(23, 31))


@pytest.fixture(scope='session')
def reference(tmp_path_factory, voc) -> Path:
    """Work dir of an uninterrupted 6-iteration run (checkpoints 2, 4, 6)."""
    work = tmp_path_factory.mktemp('reference')
    train(work, voc)
    return work
