"""End-to-end demo on the synthetic VOC set: the paper's staged training.

Writes a synthetic VOC data set, trains FCN-32s, then FCN-16s from it, then
FCN-8s from that (each with ``tools/train.py``), tests all three with
``tools/test.py`` (aAcc, mIoU, mAcc, fwIoU, boundary-band mIoU), and writes
into the work dir:

- ``fcn*/``: checkpoints and logs of each stage;
- ``test_fcn8s/show/``: an overlay for every test image (``--show-dir``);
- ``compare/``: one grid per image: input | ground truth | 32s | 16s | 8s;
- ``curves.png``: training loss and validation mIoU of FCN-8s;
- ``summary.json``: the test metrics of the three nets.

Runs in a few minutes on 2 CPU cores; exits non-zero unless FCN-8s clearly
learned (mIoU above ``--min-miou``).

Example:
    python tools/demo.py --work-dir work_dirs/demo
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {
    net: ROOT / 'configs' / 'demo' / f'{net}_vgg16-tiny_synthetic.py'
    for net in ('fcn32s', 'fcn16s', 'fcn8s')
}
#: Training iterations of each stage (FCN-32s learns the most).
STAGE_ITERS = {'fcn32s': 200, 'fcn16s': 150, 'fcn8s': 300}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--num-images', type=int, default=96, help='synthetic set size')
    parser.add_argument(
        '--scale',
        type=float,
        default=1.,
        help='multiply every stage\'s iterations (e.g. 0.1 for a smoke run)')
    parser.add_argument(
        '--min-miou',
        type=float,
        default=40.,
        help='fail unless FCN-8s reaches this test mIoU (%%)')
    return parser.parse_args()


def run(cmd: List[str]) -> None:
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def last_checkpoint(work_dir: Path) -> str:
    path = (work_dir / 'last_checkpoint').read_text().strip()
    if not osp.isfile(path):
        raise FileNotFoundError(f'{work_dir}: last_checkpoint names {path}, '
                                'which does not exist')
    return path


def test_metrics(work_dir: Path) -> Dict[str, float]:
    """The metrics MMEngine's LoggerHook wrote for the newest test run."""
    logs = sorted(work_dir.glob('*/*.json'), key=lambda p: p.stat().st_mtime)
    for log in reversed(logs):
        for line in reversed(log.read_text().splitlines()):
            record = json.loads(line)
            if 'mIoU' in record:
                return record
    raise RuntimeError(f'no test metrics found under {work_dir}')


def main() -> int:
    args = parse_args()
    work = Path(args.work_dir).resolve()
    data = work / 'data' / 'VOCdevkit'
    py = sys.executable
    start = time.time()
    if not (data / 'VOC2012' / 'ImageSets').is_dir():
        run([py, 'tools/make_synthetic_voc.py', '--out', str(data),
             '--num', str(args.num_images)])
    voc = str(data / 'VOC2012')
    common = ['train_dataloader.dataset.data_root=' + voc,
              'val_dataloader.dataset.data_root=' + voc,
              'test_dataloader.dataset.data_root=' + voc]
    checkpoints: Dict[str, str] = {}
    previous: Optional[str] = None
    for net, cfg in CONFIGS.items():
        iters = max(int(STAGE_ITERS[net] * args.scale), 2)
        options = common + [f'train_cfg.max_iters={iters}',
                            f'train_cfg.val_interval={iters}',
                            f'default_hooks.checkpoint.interval={iters}']
        if previous:
            options.append(f'load_from={previous}')
        run([py, 'tools/train.py', str(cfg), '--work-dir', str(work / net),
             '--cfg-options', *options])
        previous = checkpoints[net] = last_checkpoint(work / net)

    summary = {}
    for net, cfg in CONFIGS.items():
        test_dir = work / f'test_{net}'
        show = ['--show-dir', str(test_dir / 'show')] if net == 'fcn8s' else []
        run([py, 'tools/test.py', str(cfg), checkpoints[net], '--work-dir',
             str(test_dir), *show, '--cfg-options', *common])
        summary[net] = test_metrics(test_dir)
    run([py, 'tools/compare.py'] + [
        x for net in CONFIGS for x in (str(CONFIGS[net]), checkpoints[net])
    ] + ['--out-dir', str(work / 'compare'), '--split', 'val', '--limit',
         '8', '--cfg-options', *common])
    run([py, 'tools/plot_curves.py', str(work / 'fcn8s'), '--out',
         str(work / 'curves.png')])
    (work / 'summary.json').write_text(json.dumps(summary, indent=2))

    keys = ('aAcc', 'mIoU', 'mAcc', 'fwIoU', 'mIoU@band1', 'mIoU@band3')
    print('\nSynthetic VOC test set (%):')
    print('| net | ' + ' | '.join(keys) + ' |')
    print('|---' * (len(keys) + 1) + '|')
    for net, metrics in summary.items():
        print(f'| {net} | ' + ' | '.join(
            f'{metrics.get(k, float("nan")):.2f}' for k in keys) + ' |')
    print(f'\nwork dir: {work} ({time.time() - start:.0f} s)')
    miou = summary['fcn8s']['mIoU']
    if miou < args.min_miou:
        print(f'FCN-8s reached only {miou:.2f} mIoU (< {args.min_miou})')
        return 1
    print(f'FCN-8s learned: {miou:.2f} mIoU (chance is far below '
          f'{args.min_miou:.0f})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
