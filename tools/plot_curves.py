"""Plot training loss and validation metrics of a work dir into a PNG.

Reads the MMEngine logs ``WORK_DIR/<timestamp>/vis_data/scalars.json``
(every run and resume of the work dir, in order).

Examples:
    python tools/plot_curves.py work_dirs/fcn32s
    python tools/plot_curves.py work_dirs/fcn8s --val-keys mIoU fwIoU \\
        --out fcn8s_curves.png --log-loss
"""
import argparse
from pathlib import Path

from fcn_tools.curves import plot_curves
from fcn_tools.errors import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot training loss and validation mIoU over iterations')
    parser.add_argument('work_dir', help='work dir of tools/train.py')
    parser.add_argument(
        '--out', help='output PNG (default: WORK_DIR/curves.png)')
    parser.add_argument(
        '--loss-keys',
        nargs='+',
        default=['loss'],
        help='training scalars to plot (default: loss)')
    parser.add_argument(
        '--val-keys',
        nargs='+',
        default=['mIoU'],
        help='validation scalars to plot, e.g. mIoU fwIoU mIoU@band5')
    parser.add_argument(
        '--log-loss', action='store_true', help='logarithmic loss axis')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    out = Path(args.out or Path(args.work_dir) / 'curves.png')
    curves = plot_curves(args.work_dir, out, args.loss_keys, args.val_keys,
                         args.log_loss)
    summary = ', '.join(f'{key}: {len(steps)} points'
                        for key, (steps, _) in curves.items())
    print(f'{out} ({summary})')


if __name__ == '__main__':
    run_tool(main)
