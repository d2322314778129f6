"""bf16 against fp32 on a config's test set: pixel agreement and mIoU.

Runs the config's ``test_dataloader`` once through two copies of the
checkpointed model, fp32 and bf16 (``PrecisionEncoderDecoder``), and
prints the share of pixels where their label maps agree and the mIoU of
each against the ground truth (MMSeg's ``IoUMetric`` convention: classes
absent from both prediction and labels are left out). Exits with status 1
unless the agreement and the mIoU difference meet the bounds.

Example:
    python tools/deployment/check_precision.py \
        configs/demo/fcn8s_vgg16-tiny_1xb2-0.6k_synthetic-voc-224x224.py \
        work_dirs/demo/fcn8s/iter_600.pth --cfg-options \
        test_dataloader.dataset.data_root=work_dirs/demo/data/VOCdevkit/VOC2012
"""
import argparse
import copy
import os.path as osp
import sys
from typing import List, Optional

import numpy as np
import torch
from mmengine.config import Config, DictAction

import fcn_plugin  # noqa: F401  (registers the plugin, safe loading)
from fcn_plugin.models.segmentors import set_precision

# The tools' helper package, fcn_tools, is in tools/, this folder's parent.
sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))
from fcn_tools.errors import run_tool  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='bf16 vs fp32 on the test set of a config')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--min-agreement',
        type=float,
        default=0.995,
        help='least share of pixels with the same label (default 0.995)')
    parser.add_argument(
        '--max-miou-drop',
        type=float,
        default=0.3,
        help='largest |mIoU(bf16) - mIoU(fp32)| in points (default 0.3)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    return parser.parse_args(argv)


def miou(hist: np.ndarray) -> float:
    """mIoU in points of a (classes x classes) confusion matrix."""
    inter = np.diag(hist)
    union = hist.sum(0) + hist.sum(1) - inter
    present = union > 0
    return float((inter[present] / union[present]).mean() * 100)


def confusion(pred: torch.Tensor, gt: torch.Tensor, num_classes: int,
              ignore_index: int) -> np.ndarray:
    """Confusion counts (gt rows, prediction columns) of one image."""
    valid = gt != ignore_index
    idx = gt[valid].long() * num_classes + pred[valid].long()
    return torch.bincount(
        idx, minlength=num_classes**2).reshape(num_classes,
                                               num_classes).numpy()


def main(argv: Optional[List[str]] = None) -> None:
    from mmengine.runner import Runner
    from mmseg.apis import init_model
    args = parse_args(argv)
    for path, what in ((args.config, 'config'), (args.checkpoint,
                                                 'checkpoint')):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} file not found: {path}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    low_cfg = copy.deepcopy(cfg)
    set_precision(low_cfg.model, 'bf16')
    models = dict(
        fp32=init_model(cfg, args.checkpoint, device='cpu'),
        bf16=init_model(low_cfg, args.checkpoint, device='cpu'))
    head = models['fp32'].decode_head
    num_classes, ignore = head.num_classes, head.ignore_index
    loader = Runner.build_dataloader(cfg.test_dataloader)
    hists = {k: np.zeros((num_classes, num_classes)) for k in models}
    same = total = 0
    with torch.no_grad():
        for data in loader:
            # test_step writes its prediction into the batch's data
            # samples: take each model's label maps before the next runs.
            preds = {
                k: [s.pred_sem_seg.data[0].clone() for s in m.test_step(data)]
                for k, m in models.items()
            }
            for i, sample in enumerate(data['data_samples']):
                gt = sample.gt_sem_seg.data[0]
                ref, low = preds['fp32'][i], preds['bf16'][i]
                same += int((ref == low).sum())
                total += ref.numel()
                for k, pred in (('fp32', ref), ('bf16', low)):
                    hists[k] += confusion(pred, gt, num_classes, ignore)
    if total == 0:
        raise ValueError(f'{args.config}: the test set is empty')
    agreement = same / total
    scores = {k: miou(h) for k, h in hists.items()}
    drop = abs(scores['bf16'] - scores['fp32'])
    print(f'{len(loader.dataset)} test images, {total} pixels')
    print(f'argmax agreement bf16 vs fp32: {agreement:.4%} '
          f'(bound >= {args.min_agreement:.2%})')
    print(f'mIoU fp32 {scores["fp32"]:.2f}, bf16 {scores["bf16"]:.2f}, '
          f'difference {drop:.2f} points (bound <= {args.max_miou_drop})')
    if agreement < args.min_agreement or drop > args.max_miou_drop:
        raise ValueError(
            f'bf16 differs from fp32 beyond the bounds on {args.config}: '
            f'agreement {agreement:.4%}, mIoU difference {drop:.2f}')


if __name__ == '__main__':
    run_tool(main)
