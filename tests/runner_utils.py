"""A tiny synthetic VOC folder and Runner configs for CPU tests.

The data come from the plugin's one synthetic-VOC writer
(:func:`fcn_tools.synthetic.make_synthetic_voc`); the Runner settings are
those of ``tests/data/tiny_voc_runtime.py``, the runtime the tool tests'
config files use.
"""
from pathlib import Path
from typing import Optional, Tuple, Union

from mmengine.config import Config

from fcn_tools.synthetic import make_synthetic_voc
from .conftest import model_cfg

#: The Runner settings shared by every tiny test run.
RUNTIME = Path(__file__).resolve().parent / 'data' / 'tiny_voc_runtime.py'


def write_tiny_voc(root: Union[str, Path],
                   num: int = 4,
                   size: Tuple[int, int] = (24, 32),
                   seed: int = 0,
                   num_val: Optional[int] = None) -> Path:
    """A VOC2012-layout folder of ``num`` synthetic images; its path.

    The last ``num_val`` ids (default: a quarter, at least one) are the
    ``val`` split, the others ``train``.
    """
    return make_synthetic_voc(
        root, num, size=size, seed=seed, official_only=True, num_val=num_val)


def tiny_runner_cfg(work_dir: Union[str, Path],
                    data_root: Union[str, Path],
                    net: str = 'fcn8s',
                    max_iters: int = 2,
                    ckpt_interval: int = 1,
                    **kwargs) -> Config:
    """A complete Runner config: tiny net, tiny data, a few CPU iters.

    Args:
        work_dir (str | Path): The Runner's work dir.
        data_root (str | Path): A VOC2012 folder, e.g. from
            :func:`write_tiny_voc`.
        net (str): 'fcn32s', 'fcn16s', 'fcn8s' or 'fcn8s-atonce'.
        max_iters (int): Training iterations (no validation in between).
        ckpt_interval (int): Iterations between checkpoints.
        **kwargs: Top-level settings that replace the runtime's.
    """
    cfg = Config.fromfile(str(RUNTIME))
    cfg.model = model_cfg(net)
    cfg.work_dir = str(work_dir)
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = str(data_root)
    cfg.train_cfg.update(max_iters=max_iters, val_interval=max_iters + 1)
    cfg.default_hooks.checkpoint.interval = ckpt_interval
    # MMEngine keeps one visualizer per name: one per work dir.
    cfg.visualizer.name = f'visualizer_{Path(work_dir).resolve()}'
    cfg.log_level = 'WARNING'
    for key, value in kwargs.items():
        cfg[key] = value
    return cfg
