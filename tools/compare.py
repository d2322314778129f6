"""Compare models side by side: input | ground truth | model 1 | ...

Writes one PNG grid per image into ``--out-dir``, with labelled columns.
With three models (config + checkpoint pairs, coarse to fine) the columns
are titled FCN-32s, FCN-16s and FCN-8s, as in the paper's figures.

Images come from a dataset split of the first config (``--split``, the
default, with its ground truth) or from ``--images`` (a file, a folder or
a .txt list), whose ground truth is looked up as ``<name>.png`` in
``--gt-dir`` if given.

Examples:
    python tools/compare.py \\
        configs/fcn32s_vgg16_voc.py work_dirs/fcn32s/iter_100000.pth \\
        configs/fcn16s_vgg16_voc.py work_dirs/fcn16s/iter_100000.pth \\
        configs/fcn8s_vgg16_voc.py work_dirs/fcn8s/iter_100000.pth \\
        --out-dir work_dirs/compare --split val --limit 20
"""
import argparse
import tempfile
from pathlib import Path
from typing import List, Optional, Tuple

import mmcv
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS
from tqdm import tqdm

from fcn_tools.errors import run_tool
from fcn_tools.grid import make_grid
from fcn_tools.images import list_images, read_label
from fcn_tools.predict import load_segmentor, pred_label, predict
from fcn_tools.voc_palette import colorize, save_palette_png

# (image, ground truth or None, reduce_zero_label)
Item = Tuple[Path, Optional[Path], bool]
PAPER_TITLES = ['FCN-32s', 'FCN-16s', 'FCN-8s']


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Picture grids: input | ground truth | each model')
    parser.add_argument(
        'models',
        nargs='+',
        metavar='CONFIG CHECKPOINT',
        help='config and checkpoint of each model, in column order')
    parser.add_argument('--out-dir', required=True, help='output folder')
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        '--split',
        choices=['train', 'val', 'test'],
        default='val',
        help='dataset split of the first config (its <split>_dataloader)')
    source.add_argument(
        '--images', help='an image, a folder or a .txt list of images')
    parser.add_argument(
        '--gt-dir', help='ground truth <name>.png for --images')
    parser.add_argument(
        '--titles', nargs='+', help='column title of each model')
    parser.add_argument(
        '--limit', type=int, help='use only the first N images')
    parser.add_argument(
        '--device', default='cpu', help='torch device, e.g. cpu or cuda:0')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of every config, key=value (e.g. the '
        'data_root of the split\'s dataset)')
    args = parser.parse_args()
    if len(args.models) % 2:
        parser.error('models must be CONFIG CHECKPOINT pairs, got '
                     f'{len(args.models)} paths')
    pairs = list(zip(args.models[::2], args.models[1::2]))
    for config, checkpoint in pairs:
        for path, what in ((config, 'config'), (checkpoint, 'checkpoint')):
            if not Path(path).is_file():
                raise FileNotFoundError(
                    f'{what} file {path} does not exist: give CONFIG '
                    'CHECKPOINT pairs of existing files')
    args.pairs = pairs
    if args.titles is None:
        args.titles = (
            PAPER_TITLES
            if len(pairs) == 3 else [Path(c).stem for c, _ in pairs])
    elif len(args.titles) != len(pairs):
        parser.error(f'--titles: {len(args.titles)} titles for '
                     f'{len(pairs)} models')
    if args.gt_dir and not args.images:
        parser.error('--gt-dir goes with --images')
    if args.gt_dir and not Path(args.gt_dir).is_dir():
        parser.error(f'--gt-dir: folder not found: {args.gt_dir}')
    if args.limit is not None and args.limit < 1:
        parser.error(f'--limit must be >= 1, got {args.limit}')
    return args


def split_items(config: str,
                split: str,
                cfg_options: Optional[dict] = None) -> List[Item]:
    """Images and label files of a dataset split of a config."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    loader = cfg.get(f'{split}_dataloader', None)
    if loader is None:
        raise ValueError(f'config {config} has no {split}_dataloader')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    try:
        dataset = DATASETS.build(loader.dataset)
    except (AssertionError, FileNotFoundError) as err:
        raise ValueError(f'config {config}: cannot build the {split} '
                         f'dataset: {err}') from None
    items = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        gt = info.get('seg_map_path')
        items.append((Path(info['img_path']), Path(gt) if gt else None,
                      bool(info.get('reduce_zero_label', False))))
    return items


def image_items(images: str, gt_dir: Optional[str]) -> List[Item]:
    """Images given by the user, with ``<name>.png`` labels if present."""
    items = []
    for path in list_images(images):
        gt = Path(gt_dir) / f'{path.stem}.png' if gt_dir else None
        items.append((path, gt if gt and gt.is_file() else None, False))
    return items


def run_model(config: str, checkpoint: str, items: List[Item], out_dir: Path,
              args: argparse.Namespace, title: str) -> dict:
    """Predict every image, saving label PNGs; return the model's meta."""
    model = load_segmentor(config, checkpoint, args.device, args.cfg_options)
    for path, _, _ in tqdm(items, desc=title, unit='img'):
        label = pred_label(predict(model, str(path)))
        save_palette_png(label, out_dir / f'{path.stem}.png',
                         model.dataset_meta['palette'])
    meta = dict(model.dataset_meta)
    del model
    return meta


def main() -> None:
    args = parse_args()
    items = (
        image_items(args.images, args.gt_dir) if args.images else
        split_items(args.pairs[0][0], args.split, args.cfg_options))
    if not items:
        raise ValueError('no images to compare')
    items = items[:args.limit]
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pred_dirs = []
        for k, ((config, ckpt),
                title) in enumerate(zip(args.pairs, args.titles)):
            pred_dir = Path(tmp) / str(k)
            pred_dir.mkdir()
            meta = run_model(config, ckpt, items, pred_dir, args, title)
            pred_dirs.append(pred_dir)
        palette = meta['palette']
        titles = ['input', 'ground truth'] + list(args.titles)
        for path, gt, reduce_zero in tqdm(items, desc='grids', unit='img'):
            image = mmcv.imread(str(path), channel_order='rgb')
            gt_img = (
                colorize(read_label(gt, reduce_zero), palette)
                if gt is not None else None)
            preds = [
                colorize(read_label(d / f'{path.stem}.png'), palette)
                for d in pred_dirs
            ]
            grid = make_grid([image, gt_img] + preds, titles)
            mmcv.imwrite(
                np.ascontiguousarray(grid[..., ::-1]),
                str(out_dir / f'{path.stem}.png'))
    print(f'{len(items)} grid(s) in {out_dir}')


if __name__ == '__main__':
    run_tool(main)
