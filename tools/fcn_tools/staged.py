"""Training and testing runs of the tools, as a user starts them.

Shared by the staged demo (:mod:`fcn_tools.demo`) and the variant study
(:mod:`fcn_tools.variants.training`): both write a synthetic VOC set with
``tools/make_synthetic_voc.py``, train with ``tools/train.py`` and test
with ``tools/test.py``, each in a subprocess started from the repository
root with a fixed number of threads, and read the results off the files
MMEngine writes (``last_checkpoint``, the test run's JSON log).
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

#: The repository (the tools run from there).
ROOT = Path(__file__).resolve().parents[2]
#: Torch threads of the training and test runs: a fixed number, so that
#: the sums, and the tables, do not depend on the number of cores.
THREADS = 2
#: What a synthetic set's ``settings.json`` records (the options of
#: ``tools/make_synthetic_voc.py``).
DATA_KEYS = ('num', 'num_val', 'size', 'objects', 'object_size', 'seed')


def run(cmd: List[str],
        threads: int = THREADS,
        log: Optional[Path] = None) -> None:
    """Run ``cmd`` from the repository root.

    Args:
        cmd (list[str]): The command (``[python, tool, ...]``).
        threads (int): OpenMP threads, unless ``OMP_NUM_THREADS`` is set
            (the same number everywhere gives the same sums everywhere).
        log (Path, optional): File for the output; None shows it (after
            the command line).

    Raises:
        RuntimeError: The command failed; the message names the tool and
            where its output is.
    """
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', str(threads))
    name = Path(cmd[1]).name
    if log is None:
        print('+', ' '.join(cmd), flush=True)
        proc = subprocess.run(cmd, cwd=ROOT, env=env)
        if proc.returncode:
            raise RuntimeError(f'{name} failed (exit status '
                               f'{proc.returncode}); its output is above')
        return
    with open(log, 'w') as f:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode:
        tail = log.read_text(errors='replace').strip().splitlines()[-1:]
        raise RuntimeError(
            f'{name} failed (exit status {proc.returncode}); see {log}' +
            (f': {tail[0]}' if tail else ''))


def write_synthetic_set(data: Path, settings: Dict[str, object]) -> Path:
    """A synthetic VOC set in ``data``, (re)written unless it matches.

    Args:
        data (Path): Folder of the set; ``data/settings.json`` records the
            settings it was written with.
        settings (dict): :data:`DATA_KEYS`: ``num`` images, ``num_val``
            of them the val (test) split, ``size`` (H, W), ``objects``
            and ``object_size`` (least, most) and ``seed``.

    Returns:
        Path: The VOC2012 folder.
    """
    settings = {k: settings[k] for k in DATA_KEYS}
    settings = json.loads(json.dumps(settings))
    stamp = data / 'settings.json'
    voc = data / 'VOCdevkit' / 'VOC2012'
    if stamp.is_file() and json.loads(stamp.read_text()) == settings:
        return voc
    if data.exists():
        shutil.rmtree(data)
    run([
        sys.executable, 'tools/make_synthetic_voc.py', '--out',
        str(data / 'VOCdevkit'), '--num',
        str(settings['num']), '--num-val',
        str(settings['num_val']), '--size', *map(str, settings['size']),
        '--objects', *map(str, settings['objects']), '--object-size',
        *map(str, settings['object_size']), '--seed',
        str(settings['seed'])
    ])
    stamp.write_text(json.dumps(settings))
    return voc


def stage_schedule(config: Path, scale: float) -> Tuple[int, List[str]]:
    """A run's training iterations (its config's, times ``scale``) and the
    ``--cfg-options`` that shrink its schedule to them (none at 1)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(config))
    iters = cfg.train_cfg.max_iters
    if scale == 1:
        return iters, []
    iters = max(5, round(iters * scale))
    interval = max(1, iters // 5)
    options = [
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={interval}',
        f'default_hooks.checkpoint.interval={iters}',
        f'default_hooks.logger.interval={interval}'
    ]
    for k, scheduler in enumerate(cfg.param_scheduler):
        if 'end' in scheduler:
            options.append(f'param_scheduler.{k}.end={iters}')
    return iters, options


def last_checkpoint(work_dir: Path) -> str:
    """The checkpoint a finished run's ``last_checkpoint`` record names."""
    from mmengine.runner import find_latest_checkpoint
    path = find_latest_checkpoint(str(work_dir))
    if not path:
        raise FileNotFoundError(f'{work_dir} has no last_checkpoint record: '
                                'the training run saved no checkpoint')
    if not Path(path).is_file():
        raise FileNotFoundError(f'{work_dir}: last_checkpoint names {path}, '
                                'which does not exist')
    return path


def read_test_metrics(work_dir: Path) -> Dict[str, float]:
    """The metrics MMEngine's LoggerHook wrote for the newest test run."""
    logs = sorted(work_dir.glob('*/*.json'), key=lambda p: p.stat().st_mtime)
    for log in reversed(logs):
        for line in reversed(log.read_text().splitlines()):
            record = json.loads(line)
            if 'mIoU' in record:
                return record
    raise RuntimeError(f'no test metrics found under {work_dir}')
