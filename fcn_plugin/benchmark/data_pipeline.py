"""Throughput of the data pipeline on synthetic VOC-sized JPEGs.

Measured per image from the file on disk to the batch the model gets:
JPEG/PNG decode, augmentation, ``PackSegInputs``, ``pseudo_collate`` and
the model's ``SegDataPreProcessor`` (cast, mean subtraction, padding), in
the main process (``num_workers=0`` unless asked otherwise), i.e. what
one CPU core delivers.
"""
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from PIL import Image
from torch.utils.data import DataLoader

from .cases import CONFIG_DIR

#: Dataset configs of the two training recipes, and stand-ins built from
#: MMSeg transforms for when a config is absent: the paper's (native
#: size, no augmentation) and the modern MMSeg VOC one
#: (``pascal_voc12_aug.py``: random resize 0.5-2, crop 512, flip,
#: photometric distortion).
PIPELINES: Dict[str, Tuple[str, List[dict]]] = {
    'paper': ('_base_/datasets/voc_fcn_paper.py', [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs'),
    ]),
    'modern': ('_base_/datasets/voc_aug_modern.py', [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(
            type='RandomResize',
            scale=(2048, 512),
            ratio_range=(0.5, 2.0),
            keep_ratio=True),
        dict(type='RandomCrop', crop_size=(512, 512), cat_max_ratio=0.75),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PhotoMetricDistortion'),
        dict(type='PackSegInputs'),
    ]),
}


def write_synthetic_voc(root: Path,
                        num: int,
                        size: Tuple[int, int] = (375, 500),
                        seed: int = 0) -> List[dict]:
    """Write ``num`` VOC-like JPEG images and palette-free PNG labels.

    Images are smooth colour regions plus noise, saved at JPEG quality 90
    (files of VOC-like size); labels hold a few classes and a 255 border.

    Returns:
        list[dict]: Data infos as MMSeg datasets produce them.
    """
    rng = np.random.default_rng(seed)
    h, w = size
    infos = []
    (root / 'JPEGImages').mkdir(parents=True, exist_ok=True)
    (root / 'SegmentationClass').mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(num):
        label = np.zeros((h, w), np.uint8)
        for cls in rng.integers(1, 21, 3):
            cy, cx = rng.integers(0, h), rng.integers(0, w)
            r = rng.integers(h // 8, h // 3)
            label[(yy - cy)**2 + (xx - cx)**2 < r * r] = cls
        img = (label[..., None] * np.array([11, 7, 13]) + 40).astype(float)
        img += rng.normal(0, 25, (h, w, 3))
        img = np.clip(img, 0, 255).astype(np.uint8)
        label[:2] = 255
        name = f'2008_{i:06d}'
        img_path = root / 'JPEGImages' / f'{name}.jpg'
        seg_path = root / 'SegmentationClass' / f'{name}.png'
        Image.fromarray(img).save(img_path, quality=90)
        Image.fromarray(label, mode='L').save(seg_path)
        infos.append(
            dict(
                img_path=str(img_path),
                seg_map_path=str(seg_path),
                label_map=None,
                reduce_zero_label=False,
                seg_fields=[],
                sample_idx=i))
    return infos


def _find_pipeline(cfg: Config) -> Optional[list]:
    if 'train_pipeline' in cfg:
        return list(cfg.train_pipeline)
    dataset = cfg.get('train_dataloader', {}).get('dataset', {})
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']  # RepeatDataset and the like
    if 'datasets' in dataset:  # ConcatDataset
        dataset = dataset['datasets'][0]
    return list(dataset['pipeline']) if 'pipeline' in dataset else None


def load_pipeline(name: str) -> Tuple[List[dict], str]:
    """The training pipeline of a recipe and where it came from."""
    rel, fallback = PIPELINES[name]
    path = CONFIG_DIR / rel
    if path.is_file():
        pipeline = _find_pipeline(Config.fromfile(str(path)))
        if pipeline:
            return pipeline, f'configs/{rel}'
    return fallback, 'built-in stand-in (config absent)'


class _Pipelined(torch.utils.data.Dataset):

    def __init__(self, infos: List[dict], pipeline: List[dict]) -> None:
        from mmcv.transforms import Compose
        from mmengine.registry import init_default_scope
        init_default_scope('mmseg')
        self.infos = infos
        self.pipeline = Compose(pipeline)

    def __len__(self) -> int:
        return len(self.infos)

    def __getitem__(self, i: int) -> dict:
        info = dict(self.infos[i])
        info['seg_fields'] = []
        return self.pipeline(info)


def pipeline_throughput(infos: List[dict],
                        pipeline: List[dict],
                        data_preprocessor: torch.nn.Module,
                        repeats: int = 3,
                        warmup: int = 2,
                        num_workers: int = 0) -> Dict[str, float]:
    """Images per second from disk to preprocessed batch.

    Runs ``warmup`` images untimed, then ``repeats`` passes over all
    ``infos``; the rate of the median pass is reported.
    """
    loader = DataLoader(
        _Pipelined(infos, pipeline),
        batch_size=1,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=pseudo_collate)
    for i, data in enumerate(loader):
        if i >= warmup:
            break
        data_preprocessor(data, True)
    passes = []
    for _ in range(max(repeats, 1)):
        start = time.perf_counter()
        for data in loader:
            data_preprocessor(data, True)
        passes.append(time.perf_counter() - start)
    passes.sort()
    seconds = passes[len(passes) // 2]
    return dict(
        images=len(infos),
        seconds_per_pass=seconds,
        images_per_s=len(infos) / seconds)
