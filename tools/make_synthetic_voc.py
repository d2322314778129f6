"""Write a synthetic PASCAL VOC data set (no download needed).

Example::

    python tools/make_synthetic_voc.py --out data/synthetic_voc --num 40

writes ``OUT/VOC2012/{JPEGImages, SegmentationClass, SegmentationClassAug,
ImageSets/Segmentation/{train,val,trainaug,aug,sbd_train,seg11valid}.txt}``,
which ``configs/_base_/datasets/synthetic_voc.py`` reads.
"""
import argparse
from typing import Optional, Sequence

from fcn_plugin.datasets.synthetic import CLASS_STYLES, make_synthetic_voc
from fcn_plugin.errors import run_tool


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic VOC2012-layout data set.')
    parser.add_argument(
        '--out', required=True, help='folder to create VOC2012/ in')
    parser.add_argument(
        '--num',
        type=int,
        required=True,
        help='number of images (a quarter, at least one, '
        'is val)')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=(64, 96),
        metavar=('H', 'W'),
        help='image size')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--classes',
        type=int,
        nargs='+',
        default=list(CLASS_STYLES),
        help=f'VOC class indices to draw, from {sorted(CLASS_STYLES)}')
    parser.add_argument(
        '--num-val',
        type=int,
        help='number of val images, the last ids (default: a quarter)')
    parser.add_argument(
        '--objects',
        type=int,
        nargs=2,
        default=(1, 3),
        metavar=('LEAST', 'MOST'),
        help='objects per image (default: 1 3)')
    parser.add_argument(
        '--object-size',
        type=float,
        nargs=2,
        default=(0.15, 0.3),
        metavar=('LEAST', 'MOST'),
        help='half-size of an object as a fraction of the image size '
        '(default: 0.15 0.3)')
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error(f'--num must be at least 1, got {args.num}')
    if args.num_val is not None and not 1 <= args.num_val < args.num:
        parser.error(f'--num-val must be between 1 and --num - 1, got '
                     f'{args.num_val}')
    if not 1 <= args.objects[0] <= args.objects[1]:
        parser.error(f'--objects must be LEAST MOST with 1 <= LEAST <= '
                     f'MOST, got {args.objects}')
    if not 0 < args.object_size[0] <= args.object_size[1]:
        parser.error(f'--object-size must be LEAST MOST with 0 < LEAST <= '
                     f'MOST, got {args.object_size}')
    if min(args.size) < 1:
        parser.error(f'--size must be positive, got {args.size}')
    bad = sorted(set(args.classes) - set(CLASS_STYLES))
    if bad:
        parser.error(f'--classes {bad} are not drawable; choose from '
                     f'{sorted(CLASS_STYLES)}')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    root = make_synthetic_voc(
        args.out,
        args.num,
        size=tuple(args.size),
        seed=args.seed,
        classes=args.classes,
        num_val=args.num_val,
        num_objects=tuple(args.objects),
        object_size=tuple(args.object_size))
    print(f'wrote {args.num} images to {root}')


if __name__ == '__main__':
    run_tool(main)
