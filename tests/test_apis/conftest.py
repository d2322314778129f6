"""Configs at tiny widths, random-weight checkpoints and odd-size images.

Every config under ``configs/`` (``_base_`` excepted) is used as a config
user would: loaded from its file, narrowed with the same dotted overrides
``--cfg-options`` takes, and given a checkpoint file.
"""
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image

from ..conftest import CONFIGS, TINY_WIDTHS, randomize

#: Every config a user runs: the paper's, the MMSeg-named and the demos.
USER_CONFIGS = sorted(
    p for p in CONFIGS.rglob('*.py') if '_base_' not in p.parts)
#: pool3 / pool4 / fc7 widths of the tiny trunk, by head type.
TINY_HEAD_CHANNELS = {
    'FCN32sHead': 9,
    'FCN16sHead': (7, 9),
    'FCN8sHead': (6, 7, 9),
}
#: Odd (H, W) sizes the predictions must come back at.
SIZES = [(37, 501), (1, 1)]


def config_id(path: Path) -> str:
    return str(path.relative_to(CONFIGS))


def tiny_options(config: Path) -> Dict[str, object]:
    """Dotted overrides that narrow a config's net (same geometry)."""
    head = Config.fromfile(str(config)).model.decode_head.type
    options = {f'model.backbone.{k}': v for k, v in TINY_WIDTHS.items()}
    options['model.decode_head.in_channels'] = TINY_HEAD_CHANNELS[head]
    options['model.backbone.init_cfg'] = None  # no VGG16 file needed
    return options


def tiny_config(config: Path) -> Config:
    """The config file with :func:`tiny_options` merged in."""
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(tiny_options(config))
    return cfg


def write_checkpoint(cfg: Config, path: Path, seed: int = 0) -> Path:
    """Save random weights of ``cfg``'s net with VOC's class names."""
    from mmseg.datasets import PascalVOCDataset
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    model = randomize(MODELS.build(cfg.model), seed)
    meta = PascalVOCDataset.METAINFO
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(
                dataset_meta=dict(
                    classes=list(meta['classes']),
                    palette=[list(c) for c in meta['palette']]))), path)
    return path


@pytest.fixture(scope='session')
def images(tmp_path_factory) -> List[Path]:
    """Random RGB PNGs (lossless: every decoder reads the same pixels)."""
    folder = tmp_path_factory.mktemp('images')
    rng = np.random.default_rng(0)
    paths = []
    for h, w in SIZES:
        path = folder / f'img_{h}x{w}.png'
        Image.fromarray(rng.integers(0, 256, (h, w, 3), np.uint8)).save(path)
        paths.append(path)
    return paths
