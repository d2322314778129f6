"""Segment images with a trained model: overlay and label PNGs.

For every input image, writes ``OUT_DIR/overlay/<name>.png`` (the
prediction painted over the image by MMSeg's ``SegLocalVisualizer``) and
``OUT_DIR/label/<name>.png`` (a palette PNG whose pixel values are the
class indices, like VOC's ``SegmentationClass``).

Examples:
    python tools/infer.py CONFIG CKPT demo.jpg --out-dir out/
    python tools/infer.py CONFIG CKPT images/ --out-dir out/ --device cuda
"""
import argparse
import sys
from pathlib import Path

import mmcv
import numpy as np
from mmengine.config import DictAction
from mmseg.visualization import SegLocalVisualizer
from tqdm import tqdm

from fcn_plugin.visualization import (list_images, load_segmentor, pred_label,
                                      predict, save_label_png)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Segment images: overlay and palette label PNGs')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        'input', help='an image, a folder of images or a .txt image list')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument(
        '--device', default='cpu', help='torch device, e.g. cpu or cuda:0')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.5,
        help='opacity of the painted prediction, in (0, 1]')
    parser.add_argument(
        '--with-labels',
        action='store_true',
        help='write the class names onto the overlay')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    args = parser.parse_args()
    if not 0 < args.opacity <= 1:
        parser.error(f'--opacity must be in (0, 1], got {args.opacity}')
    return args


def read_rgb(path: Path) -> np.ndarray:
    """Read an image as RGB, or exit with a message naming the file."""
    try:
        image = mmcv.imread(str(path), channel_order='rgb')
    except Exception as err:  # cv2 raises on undecodable bytes
        sys.exit(f'error: cannot read image {path}: {err}')
    if image is None:
        sys.exit(f'error: cannot read image {path}')
    return image


def main() -> None:
    args = parse_args()
    try:
        images = list_images(args.input)
        model = load_segmentor(args.config, args.checkpoint, args.device,
                               args.cfg_options)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
    out_dir = Path(args.out_dir)
    (out_dir / 'overlay').mkdir(parents=True, exist_ok=True)
    (out_dir / 'label').mkdir(parents=True, exist_ok=True)
    meta = model.dataset_meta
    visualizer = SegLocalVisualizer(name='fcn_infer', alpha=args.opacity)
    visualizer.dataset_meta = dict(
        classes=meta['classes'], palette=meta['palette'])
    for path in tqdm(images, desc='infer', unit='img'):
        image = read_rgb(path)
        sample = predict(model, mmcv.rgb2bgr(image))
        visualizer.add_datasample(
            path.stem,
            image,
            sample,
            draw_gt=False,
            out_file=str(out_dir / 'overlay' / f'{path.stem}.png'),
            with_labels=args.with_labels)
        save_label_png(
            pred_label(sample), meta['palette'],
            str(out_dir / 'label' / f'{path.stem}.png'))
    print(f'{len(images)} image(s): overlays in {out_dir / "overlay"}, '
          f'labels in {out_dir / "label"}')


if __name__ == '__main__':
    main()
