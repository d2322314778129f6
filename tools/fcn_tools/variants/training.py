"""The same training budget for every variant, then its test metrics.

Each variant's demo-width config is trained from scratch on the study's
synthetic VOC set (:data:`STUDY_DATA`) with ``tools/train.py`` (its
schedule, optionally scaled as the demo's ``--scale`` does) and tested
with ``tools/test.py``; the metrics are those MMEngine's ``LoggerHook``
logs for the test run. The data writer, the runs, the schedule scaling
and the reading of the metrics are the demo's (:mod:`fcn_tools.staged`).
"""
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Dict, List

from ..staged import (last_checkpoint, read_test_metrics, run, stage_schedule,
                      write_synthetic_set)
from .catalog import ROOT, config_path

#: The study's synthetic set, written by the demo's code: the settings its
#: table (docs/study.md) was measured with, pinned here so that the table
#: stays reproducible whatever data the staged demo uses.
STUDY_DATA = dict(num=112, num_val=16, size=(128, 128), objects=(2, 4),
                  object_size=(0.18, 0.36))
#: The test metrics kept (percent).
KEYS = ('aAcc', 'mIoU', 'mAcc', 'fwIoU', 'mIoU@band1', 'mIoU@band3')


def _child_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def synthetic_set(work: Path, seed: int, num_images: int, num_test: int,
                  size: List[int]) -> Path:
    """The study's synthetic VOC set, drawn as :data:`STUDY_DATA` says
    (written once per settings)."""
    return write_synthetic_set(
        work / 'data',
        dict(
            STUDY_DATA,
            num=num_images,
            num_val=num_test,
            size=list(size),
            seed=seed))


def train_and_test(name: str, work: Path, voc: Path, seed: int,
                   scale: float, threads: int) -> Dict[str, object]:
    """Train variant ``name`` from scratch, test it, return its metrics.

    Args:
        name (str): The variant.
        work (Path): Its work dir (replaced).
        voc (Path): The VOC2012 folder of the synthetic set.
        seed (int): ``randomness.seed`` of the run.
        scale (float): Factor on the config's iterations (1: as is).
        threads (int): OpenMP threads of the runs.

    Returns:
        dict: The test metrics (:data:`KEYS`), and the run's iterations,
        wall and CPU seconds (training and test).
    """
    from mmengine.config import Config
    source = config_path(name)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    # Train and test the config as it is now, resolved into one file: the
    # run does not depend on the config tree staying as it was.
    config = work / f'{name}.py'
    Config.fromfile(str(source)).dump(str(config))
    common = [
        f'{split}_dataloader.dataset.data_root={voc}'
        for split in ('train', 'val', 'test')
    ] + [f'randomness.seed={seed}']
    iters, schedule = stage_schedule(config, scale)
    start, cpu_start = time.time(), _child_cpu_seconds()
    run([
        sys.executable, 'tools/train.py',
        str(config), '--work-dir',
        str(work / 'train'), '--cfg-options', *common, *schedule
    ], threads, work / 'train.log')
    checkpoint = last_checkpoint(work / 'train')
    run([
        sys.executable, 'tools/test.py',
        str(config), checkpoint, '--work-dir',
        str(work / 'test'), '--cfg-options', *common
    ], threads, work / 'test.log')
    record = read_test_metrics(work / 'test')
    missing = [k for k in KEYS if k not in record]
    if missing:
        raise RuntimeError(f'{work / "test"}: the test run logged no '
                           f'{", ".join(missing)}')
    result: Dict[str, object] = {k: float(record[k]) for k in KEYS}
    result.update(
        config=str(source.relative_to(ROOT)),
        iters=iters,
        wall_seconds=round(time.time() - start, 1),
        cpu_seconds=round(_child_cpu_seconds() - cpu_start, 1),
        checkpoint=checkpoint)
    return result
