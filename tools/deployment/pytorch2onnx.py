"""Export an FCN (config + checkpoint) to ONNX, optionally verified.

The graph takes the image as MMSeg's data preprocessor receives it,
(N, 3, H, W) float, 0-255, channel order as loaded (BGR for the FCN
configs), subtracts the mean inside, and returns the full-size logits
(N, C, H, W) or, with ``--output labels``, the (N, H, W) int64 label map.
With ``--dynamic`` one file serves any batch and any height and width >= 1:
the Caffe crops read their sizes from the traced shapes.

Why the TorchScript exporter (``torch.onnx.export(..., dynamo=False)``):
it traces one call; every crop size is a traced tensor shape, so the
dynamic axes hold through the crops (``caffe_crop`` leaves traced sizes
as they are; ``int()`` on them would freeze them). ``dynamo=True`` goes
through ``torch.export``, measured with torch 2.14.1: with a batch-1
example it stops with ``ValueRangeError: Invalid ranges [2:1]`` (a
dynamic dimension of example size 1 is specialised to 1); with a batch-2
example it exports, but specialises height and width to the example's,
so the file takes one image size. fc6/fc7 are exported as convolutions
(see ``fcn_tools.deploy.export.plain_fc``) and ``channels_last`` is a memory
layout ONNX has no notion of: every config option exports the same
function.

``--verify`` runs ONNX Runtime on the file at the export size and at two
other sizes (one with ``--dynamic`` off: the file takes one size) and
compares with the PyTorch model run through MMSeg's ``test_step``.

Examples:
    python tools/deployment/pytorch2onnx.py configs/fcn8s_vgg16_voc.py \
        fcn8s.pth fcn8s.onnx --dynamic --verify
    python tools/deployment/pytorch2onnx.py CONFIG CKPT out.onnx \
        --shape 375 500 --output labels
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction

import fcn_plugin  # noqa: F401  (registers the plugin, safe loading)

# The tools' helper package, fcn_tools, is in tools/, this folder's parent.
sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))
from fcn_tools.deploy.export import (DEFAULT_OPSET, OUTPUTS,  # noqa: E402
                                     export_onnx)
from fcn_tools.deploy.runtime import (META_CLASSES, META_NET,  # noqa: E402
                                      OrtSegmentor)
from fcn_tools.errors import run_tool  # noqa: E402

#: Sizes --verify adds to the export size (odd, unlike most test sizes).
VERIFY_SIZES = ((37, 501), (1, 1))
#: Largest ONNX Runtime vs PyTorch difference --verify accepts, as a share
#: of the logit range (for labels: of the pixels).
VERIFY_TOLERANCE = 1e-4


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export an FCN segmentor to ONNX')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('out', help='output .onnx file')
    parser.add_argument(
        '--shape',
        nargs=2,
        type=int,
        default=[500, 500],
        metavar=('H', 'W'),
        help='height and width of the example input (the only size of a '
        'file exported without --dynamic)')
    parser.add_argument(
        '--dynamic',
        action='store_true',
        help='dynamic batch, height and width')
    parser.add_argument(
        '--opset', type=int, default=DEFAULT_OPSET, help='ONNX opset')
    parser.add_argument(
        '--output',
        choices=OUTPUTS,
        default='logits',
        help='logits (N, C, H, W) or the label map (N, H, W)')
    parser.add_argument(
        '--verify',
        action='store_true',
        help='compare ONNX Runtime with PyTorch at the export size and at '
        'two other sizes')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    args = parser.parse_args(argv)
    if min(args.shape) < 1:
        parser.error(f'--shape must be positive, got {args.shape}')
    if not 7 <= args.opset <= 23:
        parser.error(f'--opset must be in 7..23, got {args.opset}')
    return args


def load_model(config: str, checkpoint: str,
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the segmentor of ``config`` on CPU with the checkpoint."""
    from mmseg.apis import init_model
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint file not found: {checkpoint}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return init_model(cfg, checkpoint, device='cpu')


@torch.no_grad()
def torch_logits(model: torch.nn.Module, img: np.ndarray) -> np.ndarray:
    """(N, C, H, W) logits of MMSeg's ``test_step`` on ``img``."""
    from mmseg.structures import SegDataSample
    n, _, h, w = img.shape
    samples = [
        SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
        for _ in range(n)
    ]
    data = dict(inputs=list(torch.from_numpy(img)), data_samples=samples)
    out = model.test_step(data)
    return np.stack([s.seg_logits.data.float().numpy() for s in out])


def compare(model: torch.nn.Module, ort: OrtSegmentor,
            sizes: Sequence[Tuple[int, int]]) -> float:
    """Print ONNX Runtime vs PyTorch per size; return the worst relative
    difference (max |difference| / logit range)."""
    worst = 0.
    rng = np.random.default_rng(0)
    for h, w in sizes:
        img = (rng.random((1, 3, h, w)) * 255).astype(np.float32)
        ref = torch_logits(model, img)
        ref_labels = ref.argmax(axis=1)
        if ort.output_name == 'logits':
            got = ort(img)
            diff = float(np.abs(got - ref).max())
            span = float(ref.max() - ref.min()) or 1.
            worst = max(worst, diff / span)
            same = float((got.argmax(axis=1) == ref_labels).mean())
            print(f'{h}x{w}: max |ORT - PyTorch| = {diff:.3g} '
                  f'({diff / span:.2e} of the logit range), argmax equal '
                  f'on {same:.2%} of pixels')
        else:
            same = float((ort(img) == ref_labels).mean())
            worst = max(worst, 1. - same)
            print(f'{h}x{w}: labels equal on {same:.2%} of pixels')
    return worst


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    model = load_model(args.config, args.checkpoint, args.cfg_options)
    h, w = args.shape
    meta = export_onnx(
        model,
        args.out,
        shape=(1, 3, h, w),
        dynamic=args.dynamic,
        opset=args.opset,
        output=args.output,
        config_name=args.config)
    kind = 'any batch and size' if args.dynamic else f'1x3x{h}x{w} only'
    print(f'wrote {args.out}: {meta[META_NET]}, {meta[META_CLASSES]} '
          f'classes, {args.output}, {kind}, opset {args.opset}')
    if not args.verify:
        return
    ort = OrtSegmentor(args.out)
    sizes = [(h, w)]
    if args.dynamic:
        sizes += [s for s in VERIFY_SIZES if s != (h, w)][:2]
    else:
        print('static file: verified at the export size only (export with '
              '--dynamic to serve other sizes)')
    worst = compare(model, ort, sizes)
    print(f'verify: worst difference {worst:.2e} of the logit range')
    if worst > VERIFY_TOLERANCE:
        raise ValueError(
            f'{args.out} differs from PyTorch by {worst:.2e} of the logit '
            f'range (tolerance {VERIFY_TOLERANCE:g}); rerun with FCN_DEBUG=1 '
            'and report it')


if __name__ == '__main__':
    run_tool(main)
