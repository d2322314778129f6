"""Configs at tiny widths, random-weight checkpoints and odd-size images.

Every config under ``configs/`` (``_base_`` excepted) is used as a config
user would: loaded from its file, narrowed with the same dotted overrides
``--cfg-options`` takes, and given a checkpoint file.
"""
import copy
import functools
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image

from ..conftest import CONFIGS, randomize, tiny_output_widths, tiny_widths

#: Every config a user runs: the paper's, the MMSeg-named and the demos
#: (``ablations/`` holds experiments, some of which need larger inputs).
USER_CONFIGS = sorted(
    p for p in CONFIGS.rglob('*.py')
    if not {'_base_', 'ablations'} & set(p.relative_to(CONFIGS).parts))
#: Odd (H, W) sizes the predictions must come back at.
SIZES = [(37, 501), (1, 1)]


def config_id(path: Path) -> str:
    return str(path.relative_to(CONFIGS))


@functools.lru_cache(maxsize=None)
def _load(config: Path) -> Config:
    return Config.fromfile(str(config))


def _reads_maps(config: Path) -> bool:
    """Whether a config's net reads depth or HHA beside the image."""
    return any(
        step['type'] in ('LoadDepthFromFile', 'LoadHHAFromFile')
        for step in _load(config).get('test_pipeline') or [])


#: The configs whose nets read the image alone; the NYUDv2 RGB-D nets also
#: read a depth or HHA map (their inference: tests/test_datasets/
#: test_nyud_nets.py).
IMAGE_CONFIGS = [p for p in USER_CONFIGS if not _reads_maps(p)]


def tiny_options(config: Path,
                 quick_inference: bool = False) -> Dict[str, object]:
    """Dotted overrides that narrow a config's net (same geometry).

    With ``quick_inference`` also at most 21 classes and test images at
    most about 512 px wide (for the inference API tests, which need no
    labels).
    """
    model = _load(config).model
    trunk = model.backbone.type
    # widths of the backbone's possible outputs (VGG16: pool1..pool5 and
    # fc7; CaffeNet: pool1, pool2, pool5 and fc7)
    widths = tiny_output_widths(trunk)
    outs = [widths[i] for i in model.backbone.out_indices]
    index = model.decode_head.in_index
    options = {
        f'model.backbone.{k}': v
        for k, v in tiny_widths(trunk).items()
    }
    options['model.decode_head.in_channels'] = outs[index] if isinstance(
        index, int) else tuple(outs[i] for i in index)
    options['model.backbone.init_cfg'] = None  # no ImageNet file needed
    if not quick_inference:
        return options
    # At most VOC's 21 classes: the fixed upscore layers cost C x C per
    # pixel, and MMSeg's ADE20K / Cityscapes test Resize enlarges a
    # 37x501 image to 151x2048.
    options['model.decode_head.num_classes'] = min(
        model.decode_head.num_classes, 21)
    # ... and at most about 512 px wide (the same 1x scale for VOC-sized
    # images): the APIs are what is tested, not the dataset's resolution.
    cfg = _load(config)
    for key in ('test_pipeline', 'test_dataloader.dataset.pipeline'):
        pipeline = cfg
        for part in key.split('.'):
            pipeline = pipeline.get(part, {})
        for i, step in enumerate(pipeline or []):
            if step.get('type') == 'Resize' and 'scale' in step:
                options[f'{key}.{i}.scale'] = (512, 128)
    return options


def tiny_config(config: Path, quick_inference: bool = False) -> Config:
    """The config file with :func:`tiny_options` merged in."""
    cfg = copy.deepcopy(_load(config))
    cfg.merge_from_dict(tiny_options(config, quick_inference))
    return cfg


def write_checkpoint(cfg: Config, path: Path, seed: int = 0) -> Path:
    """Save random weights of ``cfg``'s net with VOC's class names (and the
    config dataset's geometric classes, for a two-headed net)."""
    from mmseg.datasets import PascalVOCDataset
    from mmseg.registry import DATASETS, MODELS
    init_default_scope('mmseg')
    model = randomize(MODELS.build(cfg.model), seed)
    meta = PascalVOCDataset.METAINFO
    dataset_meta = dict(
        classes=list(meta['classes']),
        palette=[list(c) for c in meta['palette']])
    dataset = DATASETS.get(cfg.test_dataloader.dataset.type)
    for key in ('geo_classes', 'geo_palette'):
        if key in getattr(dataset, 'METAINFO', {}):
            dataset_meta[key] = dataset.METAINFO[key]
    torch.save(
        dict(state_dict=model.state_dict(),
             meta=dict(dataset_meta=dataset_meta)), path)
    return path


@pytest.fixture(scope='session')
def images(tmp_path_factory) -> Dict[tuple, List[Path]]:
    """Two random RGB PNGs per size in :data:`SIZES`, in one folder.

    PNG is lossless, so every decoder reads the same pixels.
    """
    folder = tmp_path_factory.mktemp('images')
    rng = np.random.default_rng(0)
    out = {}
    for h, w in SIZES:
        out[(h, w)] = []
        for name in 'ab':
            path = folder / f'{name}_{h}x{w}.png'
            Image.fromarray(rng.integers(0, 256, (h, w, 3),
                                         np.uint8)).save(path)
            out[(h, w)].append(path)
    return out
