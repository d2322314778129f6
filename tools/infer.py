"""Segment images with MMSeg's ``MMSegInferencer``: overlays and label PNGs.

For every input image, writes ``OUT_DIR/overlay/<name>.png`` (the
prediction painted over the image by the config's visualizer, MMSeg's
``SegLocalVisualizer``, through ``MMSegInferencer``) and
``OUT_DIR/label/<name>.png`` (a palette PNG whose pixel values are the
class indices, like VOC's ``SegmentationClass``). For a two-headed net
(SIFT Flow) the overlay shows both maps, semantic above geometric
(``TwoMapSegVisualizer``), and ``OUT_DIR/label_geo/<name>.png`` holds the
geometric classes in the dataset's ``geo_palette``. The input is an image,
a folder of images or a ``.txt`` list of image paths.

The NYUDv2 RGB-D nets read each image's depth (``--depth``: a 16-bit PNG of
millimetres, or a folder of them named like the images) or HHA map
(``--hha``); a net that reads HHA computes it from the depth when only
``--depth`` is given. Images of the prepared layout (``<root>/images/``)
find their maps in ``<root>/depth/`` and ``<root>/hha/`` without either.

Examples:
    python tools/infer.py CONFIG CKPT demo.jpg --out-dir out/
    python tools/infer.py CONFIG CKPT images/ --out-dir out/ --device cuda
    python tools/infer.py CONFIG CKPT images/ --out-dir out/ --precision bf16
    python tools/infer.py CONFIG net.onnx images/ --out-dir out/ \
        --backend onnxruntime
    python tools/infer.py configs/fcn32s_vgg16_nyud-rgb-hha.py CKPT \
        room.png --depth room_depth.png --out-dir out/
"""
import argparse
import os.path as osp
from pathlib import Path
from typing import Optional, Tuple

import mmcv
import numpy as np
from mmengine.config import Config, DictAction
from mmseg.apis import MMSegInferencer
from tqdm import tqdm

from fcn_plugin.apis import RGBDInferencer
from fcn_plugin.models.segmentors import PRECISIONS, set_precision
from fcn_tools.dataset_meta import config_dataset_meta
from fcn_tools.errors import error_message, run_tool
from fcn_tools.images import list_images
from fcn_tools.voc_palette import save_palette_png


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
        '--backend',
        choices=('pytorch', 'onnxruntime'),
        default='pytorch',
        help='onnxruntime: CKPT is an .onnx file exported from CONFIG by '
        'tools/deployment/pytorch2onnx.py (same label maps)')
    parser.add_argument(
        '--precision',
        choices=PRECISIONS,
        default='fp32',
        help='pytorch backend: bf16 casts the trunk weights once '
        '(docs/deployment.md)')
    parser.add_argument(
        '--depth',
        help='RGB-D nets: the depth map (16-bit PNG, millimetres) of the '
        'image, or a folder of depth maps named like the images')
    parser.add_argument(
        '--hha',
        help='RGB-D nets: the HHA map of the image, or a folder of them '
        'named like the images (computed from --depth when missing)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    args = parser.parse_args()
    if not 0 < args.opacity <= 1:
        parser.error(f'--opacity must be in (0, 1], got {args.opacity}')
    if args.backend == 'onnxruntime' and args.precision != 'fp32':
        parser.error('--precision applies to --backend pytorch only')
    if args.backend == 'onnxruntime' and (args.depth or args.hha):
        parser.error('--depth / --hha apply to --backend pytorch only')
    return args


def map_of(image: Path, where: Optional[str], setting: str,
           single: bool) -> Optional[str]:
    """The ``--depth`` / ``--hha`` file of ``image`` (None: not given)."""
    if where is None:
        return None
    if osp.isdir(where):
        path = osp.join(where, image.name)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{setting} {where} has no {image.name} for image {image}')
        return path
    if not osp.isfile(where):
        raise FileNotFoundError(f'{setting} {where} does not exist')
    if not single:
        raise ValueError(f'{setting} {where} is one file but the input holds '
                         'several images; give a folder of maps named like '
                         'the images')
    return where


def load_config(path: str, cfg_options: Optional[dict]) -> Config:
    """The config file with the command line's overrides merged in."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path} does not exist')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_inferencer(cfg: Config, checkpoint: str,
                     device: str) -> MMSegInferencer:
    """MMSeg's inferencer of ``cfg`` with the weights of ``checkpoint``.

    A checkpoint without class names (``meta['dataset_meta']``) gets those
    of the config's test set, not MMSeg's Cityscapes default.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
    inferencer = RGBDInferencer(model=cfg, weights=checkpoint, device=device)
    inferencer.show_progress = False  # the tool shows one bar for all
    model = inferencer.model
    num_classes = model.decode_head.num_classes
    if len(model.dataset_meta.get('classes') or ()) != num_classes:
        try:
            model.dataset_meta = config_dataset_meta(cfg, num_classes)
        except ValueError as err:
            raise ValueError(f'checkpoint {checkpoint} names no classes and '
                             f'{err}, or save the classes in '
                             'meta.dataset_meta') from None
    return inferencer


def segment(inferencer: MMSegInferencer,
            path: Path,
            opacity: float,
            maps: Optional[dict] = None) -> Tuple[np.ndarray, np.ndarray,
                                                  Optional[np.ndarray]]:
    """Segment one image file.

    The steps of ``MMSegInferencer.__call__`` (``preprocess``, ``forward``,
    ``visualize``), keeping the data sample: a two-headed net's
    (``TwoHeadEncoderDecoder``) geometric map is in it, beside the semantic
    one that ``__call__`` returns.

    Args:
        inferencer (MMSegInferencer): From :func:`build_inferencer`.
        path (Path): The image.
        opacity (float): Opacity of the painted prediction.
        maps (dict, optional): ``depth_path`` / ``hha_path`` of the image.

    Returns:
        tuple: The ``(H, W)`` uint8 class indices, the RGB overlay (both
        maps for a two-headed net) and the geometric class indices (None
        for a one-headed net), at the image's size.
    """
    inputs = [dict(img_path=str(path), **maps)] if maps else [str(path)]
    try:
        preds = [
            pred for data in inferencer.preprocess(inputs, batch_size=1)
            for pred in inferencer.forward(data)
        ]
        (overlay, ) = inferencer.visualize(
            inputs, preds, return_vis=True, opacity=opacity)
    except Exception as err:
        raise ValueError(
            f'cannot segment image {path}: {error_message(err)}') from err
    (pred, ) = preds
    maps = [
        pred.get(field).data[0].cpu().numpy().astype(np.uint8)
        if field in pred else None
        for field in ('pred_sem_seg', 'pred_geo_seg')
    ]
    return maps[0], overlay, maps[1]


def main() -> None:
    args = parse_args()
    images = list_images(args.input)
    cfg = load_config(args.config, args.cfg_options)
    if args.backend == 'onnxruntime':
        from fcn_tools.deploy.ort_infer import OrtImageSegmenter
        segmenter = OrtImageSegmenter(cfg, args.checkpoint)
        meta = segmenter.dataset_meta

        def run(path: Path) -> Tuple[np.ndarray, np.ndarray, None]:
            return (*segmenter.segment(path, args.opacity), None)
    else:
        set_precision(cfg.model, args.precision)
        inferencer = build_inferencer(cfg, args.checkpoint, args.device)
        # MMSegInferencer keeps classes and palette only; the geometric
        # palette of a two-headed net is its visualizer's
        meta = dict(inferencer.model.dataset_meta)
        meta.update(getattr(inferencer.visualizer, 'geo_meta', {}))

        def run(path: Path) -> Tuple[np.ndarray, np.ndarray,
                                     Optional[np.ndarray]]:
            maps = {
                key: value
                for key, value in (
                    ('depth_path', map_of(path, args.depth, '--depth',
                                          len(images) == 1)),
                    ('hha_path', map_of(path, args.hha, '--hha',
                                        len(images) == 1)))
                if value is not None
            }
            return segment(inferencer, path, args.opacity, maps)
    out_dir = Path(args.out_dir)
    (out_dir / 'overlay').mkdir(parents=True, exist_ok=True)
    (out_dir / 'label').mkdir(parents=True, exist_ok=True)
    geo_written = False
    for path in tqdm(images, desc='infer', unit='img'):
        label, overlay, geo = run(path)
        mmcv.imwrite(
            mmcv.rgb2bgr(overlay),
            str(out_dir / 'overlay' / f'{path.stem}.png'))
        save_palette_png(label, out_dir / 'label' / f'{path.stem}.png',
                         meta['palette'])
        if geo is not None:  # a two-headed net's geometric map
            (out_dir / 'label_geo').mkdir(exist_ok=True)
            save_palette_png(geo, out_dir / 'label_geo' / f'{path.stem}.png',
                             meta['geo_palette'])
            geo_written = True
    geo_dir = (f', geometric labels in {out_dir / "label_geo"}'
               if geo_written else '')
    print(f'{len(images)} image(s): overlays in {out_dir / "overlay"}, '
          f'labels in {out_dir / "label"}{geo_dir}')


if __name__ == '__main__':
    run_tool(main)
