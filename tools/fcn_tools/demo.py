"""End-to-end demo on the synthetic VOC set: the paper's staged training.

Writes a synthetic VOC data set (224x224 images, several objects with
corners and thin parts per image), then trains as the paper does:
FCN-32s from scratch, FCN-16s from FCN-32s, FCN-8s from FCN-16s, each
stage with the same schedule shape (``tools/train.py``; Adam, the
learning rate decayed linearly to zero, validation five times per stage;
1200 iterations for FCN-32s, 600 for each fine-tuning stage). It tests
the three nets with ``tools/test.py`` (aAcc, mIoU, mAcc, fwIoU and mIoU in
bands of 1 and 3 px around the objects' boundaries) and leaves in the work
dir:

- ``fcn32s/``, ``fcn16s/``, ``fcn8s/``: checkpoints and logs of each stage;
- ``test_<net>/pred/``: the predicted label maps of each net;
- ``test_fcn8s/show/``: an overlay for every test image (``--show-dir``);
- ``compare/``: one grid per test image: input | ground truth | 32s | 16s |
  8s, enlarged with nearest-neighbour;
- ``curves.png``: loss and validation mIoU of the three stages on one
  iteration axis;
- ``summary.json`` and ``report.html`` (one page with the table, the checks,
  the curves and every grid).

The demo checks the paper's point and exits non-zero unless all three nets
learned (each at least ``--min-miou``), the mIoU does not fall from 32s to
16s to 8s, and the boundary mIoU (band 1) rises by at least
``--min-band-gain`` points at each step.

Example:
    python tools/demo.py --work-dir work_dirs/demo
"""
import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .staged import (ROOT, last_checkpoint, read_test_metrics, run,
                     stage_schedule, write_synthetic_set)

NETS = ('fcn32s', 'fcn16s', 'fcn8s')
TITLES = dict(fcn32s='FCN-32s', fcn16s='FCN-16s', fcn8s='FCN-8s')
#: The stages' configs: FCN-32s from scratch over 1200 iterations, the two
#: fine-tuning stages with the same schedule over 600.
CONFIGS = {
    net: ROOT / 'configs' / 'demo' / name
    for net, name in (
        ('fcn32s', 'fcn32s_vgg16-tiny_1xb2-1.2k_synthetic-voc-224x224.py'),
        ('fcn16s', 'fcn16s_vgg16-tiny_1xb2-0.6k_synthetic-voc-224x224.py'),
        ('fcn8s', 'fcn8s_vgg16-tiny_1xb2-0.6k_synthetic-voc-224x224.py'))
}
#: The synthetic set (see tools/make_synthetic_voc.py): train + test ids.
#: Objects 90-180 px across, so that FCN-32s (32-px stride) can learn
#: their bulk while its boundaries stay visibly coarser than FCN-8s's.
DATA = dict(num=640, num_val=40, size=(224, 224), objects=(2, 4),
            object_size=(0.2, 0.4))
#: Grids show every pixel as ENLARGE x ENLARGE (nearest neighbour).
ENLARGE = 3
KEYS = ('aAcc', 'mIoU', 'mAcc', 'fwIoU', 'mIoU@band1', 'mIoU@band3')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the synthetic set and of the training (default 0)')
    parser.add_argument(
        '--num-images',
        type=int,
        default=DATA['num'],
        help=f'synthetic set size (default {DATA["num"]})')
    parser.add_argument(
        '--num-test',
        type=int,
        default=DATA['num_val'],
        help=f'test images among them (default {DATA["num_val"]})')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=DATA['size'],
        metavar=('H', 'W'),
        help='image size (default {} {})'.format(*DATA['size']))
    parser.add_argument(
        '--scale',
        type=float,
        default=1.,
        help='multiply every stage\'s iterations (e.g. 0.05 for a smoke '
        'run; the checks then need not hold)')
    parser.add_argument(
        '--min-miou',
        type=float,
        default=50.,
        help='each net must reach this test mIoU (%%)')
    parser.add_argument(
        '--min-band-gain',
        type=float,
        default=2.,
        help='mIoU@band1 must rise by this many points from 32s to 16s and '
        'from 16s to 8s')
    parser.add_argument(
        '--no-check',
        action='store_true',
        help='report the checks but exit 0 even if one fails')
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error(f'--scale must be positive, got {args.scale}')
    if not 1 <= args.num_test < args.num_images:
        parser.error(f'--num-test must be between 1 and --num-images - 1, '
                     f'got {args.num_test}')
    if min(args.size) < 1:
        parser.error(f'--size must be positive, got {args.size}')
    return args


def write_data(data: Path, args: argparse.Namespace) -> Path:
    """The demo's synthetic set (:data:`DATA`, with the sizes and seed of
    ``args``), (re)written unless it matches."""
    return write_synthetic_set(
        data,
        dict(
            DATA,
            num=args.num_images,
            num_val=args.num_test,
            size=list(args.size),
            seed=args.seed))


def train_stages(work: Path, common: List[str],
                 scale: float) -> Tuple[Dict[str, str], Dict[str, int]]:
    """Train 32s, then 16s from it, then 8s from that; the checkpoints
    and each stage's iterations."""
    checkpoints: Dict[str, str] = {}
    lengths: Dict[str, int] = {}
    previous = None
    for net in NETS:
        stage = work / net
        if stage.exists():  # a rerun starts the stage afresh
            shutil.rmtree(stage)
        lengths[net], schedule = stage_schedule(CONFIGS[net], scale)
        options = common + schedule
        if previous:
            options.append(f'load_from={previous}')
        run([
            sys.executable, 'tools/train.py',
            str(CONFIGS[net]), '--work-dir',
            str(stage), '--cfg-options', *options
        ])
        previous = checkpoints[net] = last_checkpoint(stage)
    return checkpoints, lengths


def test_nets(work: Path, common: List[str],
              checkpoints: Dict[str, str]) -> Dict[str, Dict[str, float]]:
    """Test every net, keeping its predicted label maps."""
    summary = {}
    for net in NETS:
        test_dir = work / f'test_{net}'
        if test_dir.exists():
            shutil.rmtree(test_dir)
        show = ['--show-dir', str(test_dir / 'show')] if net == 'fcn8s' else []
        run([
            sys.executable, 'tools/test.py',
            str(CONFIGS[net]), checkpoints[net], '--work-dir',
            str(test_dir), '--out',
            str(test_dir / 'pred'), *show, '--cfg-options', *common
        ])
        record = read_test_metrics(test_dir)
        summary[net] = {k: float(record[k]) for k in KEYS if k in record}
    return summary


def band_accuracy(pred, label) -> float:
    """Percent of the non-void pixels within 1 px of a boundary that
    ``pred`` labels right (NaN if there are none)."""
    from fcn_plugin.evaluation.trimap import trimap_bands
    band = trimap_bands(label, [1])[1] & (label != 255)
    if not band.any():
        return float('nan')
    return 100. * float((pred[band] == label[band]).mean())


def draw_grids(work: Path, voc: Path) -> List[Tuple[Path, str]]:
    """A grid per test image from the saved predictions, with captions."""
    import mmcv
    import numpy as np

    from .grid import make_grid
    from .voc_palette import colorize, read_label_indices
    out = work / 'compare'
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    ids = (voc / 'ImageSets/Segmentation/val.txt').read_text().split()
    titles = ['input', 'ground truth'] + [TITLES[n] for n in NETS]
    grids = []
    for name in ids:
        image = mmcv.imread(str(voc / 'JPEGImages' / f'{name}.jpg'),
                            channel_order='rgb')
        label = read_label_indices(voc / 'SegmentationClass' / f'{name}.png')
        preds = [
            read_label_indices(work / f'test_{n}' / 'pred' / f'{name}.png')
            for n in NETS
        ]
        grid = make_grid([image, colorize(label)] +
                         [colorize(p) for p in preds],
                         titles,
                         min_width=ENLARGE * image.shape[1])
        path = out / f'{name}.png'
        mmcv.imwrite(np.ascontiguousarray(grid[..., ::-1]), str(path))
        scores = ', '.join(f'{TITLES[n][4:]} {band_accuracy(p, label):.0f}%'
                           for n, p in zip(NETS, preds))
        grids.append((path, f'{name}: pixels within 1 px of a boundary '
                      f'labelled right: {scores}'))
    return grids


def checks(summary: Dict[str, Dict[str, float]], min_miou: float,
           min_gain: float) -> List[Tuple[str, bool]]:
    """The paper's claims on the test metrics, each with its outcome."""
    miou = {n: summary[n]['mIoU'] for n in NETS}
    band = {n: summary[n]['mIoU@band1'] for n in NETS}
    out = [(f'every net learned: mIoU >= {min_miou:g} (' + ', '.join(
        f'{TITLES[n]} {miou[n]:.2f}'
        for n in NETS) + ')', min(miou.values()) >= min_miou)]
    for coarse, fine in zip(NETS, NETS[1:]):
        out.append((f'mIoU does not fall from {TITLES[coarse]} to '
                    f'{TITLES[fine]} ({miou[coarse]:.2f} -> '
                    f'{miou[fine]:.2f})', miou[fine] >= miou[coarse]))
    for coarse, fine in zip(NETS, NETS[1:]):
        gain = band[fine] - band[coarse]
        out.append((f'boundary mIoU (band 1) rises by >= {min_gain:g} '
                    f'from {TITLES[coarse]} to {TITLES[fine]} '
                    f'({band[coarse]:.2f} -> {band[fine]:.2f}, '
                    f'{gain:+.2f})', gain >= min_gain))
    return out


def markdown_table(summary: Dict[str, Dict[str, float]]) -> str:
    lines = ['| net | ' + ' | '.join(KEYS) + ' |',
             '|---' * (len(KEYS) + 1) + '|']
    for net, metrics in summary.items():
        lines.append(f'| {TITLES[net]} | ' + ' | '.join(
            f'{metrics.get(k, float("nan")):.2f}' for k in KEYS) + ' |')
    return '\n'.join(lines)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    start = time.time()
    voc = write_data(work / 'data', args)
    common = [
        f'{split}_dataloader.dataset.data_root={voc}'
        for split in ('train', 'val', 'test')
    ] + [f'randomness.seed={args.seed}']
    checkpoints, lengths = train_stages(work, common, args.scale)
    summary = test_nets(work, common, checkpoints)

    from .curves import plot_staged_curves
    from .report import metrics_table, write_report
    grids = draw_grids(work, voc)
    plot_staged_curves([(TITLES[n], work / n) for n in NETS],
                       work / 'curves.png',
                       val_keys=('mIoU', 'mIoU@band1'))
    results = checks(summary, args.min_miou, args.min_band_gain)
    iters = ' / '.join(str(lengths[n]) for n in NETS)
    wall, cpu = time.time() - start, cpu_seconds()
    (work / 'summary.json').write_text(
        json.dumps(
            dict(
                metrics=summary,
                checks=[dict(check=t, passed=ok) for t, ok in results],
                seed=args.seed,
                scale=args.scale,
                iterations=lengths,
                wall_seconds=round(wall, 1),
                cpu_seconds=round(cpu, 1)),
            indent=2))
    num_test = len(grids)
    write_report(
        work / 'report.html', 'FCN-32s, FCN-16s and FCN-8s on synthetic VOC',
        f'Staged training as in the paper (FCN-32s from scratch, FCN-16s '
        f'from FCN-32s, FCN-8s from FCN-16s; {iters} iterations with the '
        f'same schedule shape), '
        f'tested on {num_test} synthetic images; narrow nets with the '
        f'VGG16 FCN geometry (seed {args.seed}).',
        metrics_table({TITLES[n]: summary[n]
                       for n in NETS}, KEYS), results,
        (work / 'curves.png', 'Training loss and validation mIoU (all '
         'pixels and within 1 px of a boundary) over the three stages; '
         'dashed lines mark where a stage starts from the previous one.'),
        grids)

    print(f'\nSynthetic VOC test set, {num_test} images (%):')
    print(markdown_table(summary))
    for text, ok in results:
        print(f'{"passed" if ok else "FAILED"}: {text}')
    print(f'\nwork dir: {work}\nreport: {work / "report.html"}\n'
          f'time: {wall:.0f} s wall, {cpu:.0f} CPU s')
    failed = [text for text, ok in results if not ok]
    if failed and not args.no_check:
        raise RuntimeError(f'{len(failed)} check(s) of the demo failed '
                           f'(see above and {work / "report.html"})')
    return 0
