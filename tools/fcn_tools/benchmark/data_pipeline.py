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

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from ..synthetic import make_synthetic_voc
from .cases import CONFIG_DIR

#: Dataset configs of the two training recipes, and stand-ins built from
#: MMSeg transforms for when a config is absent: the paper's (native
#: size, no augmentation) and the modern MMSeg VOC one
#: (``pascal_voc12_aug.py``: random resize 0.5-2, crop 512, flip,
#: photometric distortion).
PIPELINES: Dict[str, Tuple[str, List[dict]]] = {
    'paper': ('_base_/datasets/pascal_voc12_fcn.py', [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs'),
    ]),
    'modern': ('_base_/datasets/pascal_voc12_aug_fcn.py', [
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


def synthetic_infos(root: Path,
                    num: int,
                    size: Tuple[int, int] = (375, 500),
                    seed: int = 0) -> List[dict]:
    """Write ``num`` synthetic VOC images and labels; their data infos.

    The files come from :func:`fcn_tools.synthetic.make_synthetic_voc`
    (JPEG quality 90, files of VOC-like size, palette PNG labels).

    Returns:
        list[dict]: Data infos as MMSeg datasets produce them.
    """
    voc = make_synthetic_voc(
        root, num, size=size, seed=seed, official_only=True)
    return [
        dict(
            img_path=str(img),
            seg_map_path=str(voc / 'SegmentationClass' / f'{img.stem}.png'),
            label_map=None,
            reduce_zero_label=False,
            seg_fields=[],
            sample_idx=i)
        for i, img in enumerate(sorted((voc / 'JPEGImages').glob('*.jpg')))
    ]


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
