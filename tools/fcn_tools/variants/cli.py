"""Original vs simplified FCN-8s (and the ablations between), side by side.

The command line of ``tools/compare_variants.py``.

For each of ``--variants`` (configs of the same backbone and head, see
``fcn_tools/variants/catalog.py`` and docs/study.md):

1. cost, at the full VGG16 widths (``--widths tiny`` for a smoke run):
   parameters, GFLOPs of one inference at ``--shape`` (375x500, a VOC
   image), inference and training-step time as ratios to the original,
   all variants timed in one interleaved loop (the benchmark's), and the
   peak RSS of a training step at ``--memory-shape`` (500x500), one fresh
   process per variant (the benchmark's method);
2. accuracy: each variant's demo-width config trained from scratch on the
   study's synthetic VOC set (112 images of 128x128, drawn by the demo's
   code) with the same schedule (``tools/train.py``)
   and tested (``tools/test.py``): mIoU, mIoU@band1, mIoU@band3, for
   every seed of ``--seeds``.

It prints one table and writes ``variants.json`` and ``variants.md`` to
``--work-dir``. The load average before and after each part is recorded:
the machine may be shared.

Examples::

    python tools/compare_variants.py
    python tools/compare_variants.py --variants original simplified \\
        --seeds 0 1 --work-dir work_dirs/variants
    python tools/compare_variants.py --widths tiny --repeats 1 \\
        --train-scale 0.02 --num-images 6 --num-test 2 --size 40 40
"""
import argparse
import json
from pathlib import Path
from typing import List, Optional

import torch

from ..benchmark.cases import parse_shape
from ..benchmark.report import machine_info
from ..benchmark.timing import default_threads
from .catalog import (REFERENCE, ROOT, VARIANTS, build_model, config_path,
                      model_cfg)
from .cost import load_average, measure_cost
from .report import by_variant, markdown, merge_results
from .training import KEYS, STUDY_DATA, synthetic_set, train_and_test

PARTS = ('cost', 'memory', 'training')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Original vs simplified FCN-8s: cost and accuracy.')
    parser.add_argument(
        '--variants', nargs='+', choices=list(VARIANTS),
        default=list(VARIANTS),
        help=f'variants to measure; {REFERENCE!r} (the ratios\' reference) '
        'is added when the cost is measured')
    parser.add_argument(
        '--skip', nargs='*', choices=PARTS, default=[],
        help='parts not to run')
    parser.add_argument(
        '--widths', choices=('full', 'tiny'), default='full',
        help='trunk widths of the cost measures (default: VGG16)')
    parser.add_argument(
        '--shape', default='1x3x375x500',
        help='NxCxHxW of the timed and counted batch')
    parser.add_argument(
        '--memory-shape', default='1x3x500x500',
        help='NxCxHxW of the training step whose peak RSS is measured')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument(
        '--threads', type=int, default=default_threads(),
        help='torch.set_num_threads (default: the cores available)')
    parser.add_argument(
        '--seeds', type=int, nargs='+', default=[0],
        help='training seeds; each variant is trained once per seed')
    parser.add_argument(
        '--data-root', default=None,
        help='train and test on this VOC2012 folder instead of writing the '
        'study\'s synthetic set to WORK_DIR/data')
    parser.add_argument(
        '--data-seed', type=int, default=0,
        help='seed of the synthetic VOC set')
    parser.add_argument(
        '--train-scale', type=float, default=1.,
        help='factor on every config\'s iterations (1: the study schedule)')
    parser.add_argument(
        '--num-images', type=int, default=None,
        help='synthetic set size (default: the study\'s, 112)')
    parser.add_argument(
        '--num-test', type=int, default=None,
        help='test images among them (default: the study\'s, 16)')
    parser.add_argument(
        '--size', type=int, nargs=2, default=None, metavar=('H', 'W'),
        help='synthetic image size (default: the study\'s, 128 128)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the cost measures\' batch')
    parser.add_argument('--work-dir', default='work_dirs/variants')
    parser.add_argument(
        '--merge', nargs='+', default=None, metavar='JSON',
        help='measure nothing: join the variants.json files of earlier '
        'runs (e.g. cost and training run apart) into one table')
    args = parser.parse_args(argv)
    if REFERENCE not in args.variants and 'cost' not in args.skip:
        args.variants.insert(0, REFERENCE)
    args.variants = list(dict.fromkeys(args.variants))
    if args.repeats < 1 or args.warmup < 0:
        parser.error('--repeats must be >= 1 and --warmup >= 0')
    if args.train_scale <= 0:
        parser.error(f'--train-scale must be positive, got '
                     f'{args.train_scale}')
    num_images = args.num_images or STUDY_DATA['num']
    num_test = args.num_test or STUDY_DATA['num_val']
    if not 1 <= num_test < num_images:
        parser.error(f'--num-test must be between 1 and --num-images - 1 '
                     f'({num_images - 1}), got {num_test}')
    if args.size is not None and min(args.size) < 1:
        parser.error(f'--size must be positive, got {args.size}')
    for option in ('shape', 'memory_shape'):
        try:
            parse_shape(getattr(args, option))
        except ValueError as err:
            parser.error(f'--{option.replace("_", "-")}: {err}')
    return args


def data_settings(args: argparse.Namespace) -> dict:
    """The synthetic set: the study's, with the tool's overrides."""
    return dict(
        num_images=args.num_images or STUDY_DATA['num'],
        num_test=args.num_test or STUDY_DATA['num_val'],
        size=list(args.size or STUDY_DATA['size']))


def check_same_widths(names: List[str]) -> None:
    """The same budget means the same trunk: refuse configs whose conv
    widths differ."""
    widths = {
        n: tuple(model_cfg(n)['backbone'].get('stage_channels', ()))
        for n in names
    }
    if len(set(widths.values())) > 1:
        raise ValueError(
            'the variants\' configs train trunks of different widths (' +
            ', '.join(f'{config_path(n).relative_to(ROOT)}: {w}'
                      for n, w in widths.items()) +
            '); give them the same backbone.stage_channels')


def run_training(args: argparse.Namespace, work: Path, results: dict,
                 out_json: Path) -> dict:
    check_same_widths(args.variants)
    if args.data_root:
        voc = Path(args.data_root)
        settings = dict(data_root=str(voc))
    else:
        settings = data_settings(args)
        voc = synthetic_set(work, args.data_seed, **settings)
        settings['data_seed'] = args.data_seed
    split = voc / 'ImageSets' / 'Segmentation' / 'val.txt'
    if not split.is_file():
        raise FileNotFoundError(
            f'{split} does not exist: --data-root must be a VOC2012 folder '
            'with ImageSets/Segmentation/{train,val}.txt (e.g. from '
            'tools/make_synthetic_voc.py)')
    out = dict(
        settings,
        num_test=len(split.read_text().split()),
        seeds=args.seeds,
        scale=args.train_scale,
        keys=list(KEYS),
        load_before=load_average(),
        runs={})
    results['training'] = out
    for name in args.variants:
        out['runs'][name] = []
        for seed in args.seeds:
            print(f'[variants] training {name} (seed {seed}) ...',
                  flush=True)
            result = train_and_test(name, work / 'runs' / f'{name}_s{seed}',
                                    voc, seed, args.train_scale,
                                    args.threads)
            result['seed'] = seed
            out['runs'][name].append(result)
            print(f'[variants] {name} seed {seed}: ' + ', '.join(
                f'{k} {result[k]:.2f}' for k in ('mIoU', 'mIoU@band1',
                                                 'mIoU@band3')) +
                  f' ({result["wall_seconds"]:.0f} s)', flush=True)
            out_json.write_text(json.dumps(results, indent=2))  # partial
    out['load_after'] = load_average()
    return out


def main(argv: Optional[List[str]] = None) -> dict:
    """The command line of ``tools/compare_variants.py``; the results."""
    args = parse_args(argv)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    out_json, out_md = work / 'variants.json', work / 'variants.md'
    if args.merge:
        return write_table(merge_results(read_parts(args.merge)), out_json,
                           out_md)
    torch.set_num_threads(args.threads)
    from fcn_plugin.models import net_name_of
    results = dict(
        machine=machine_info('cpu', args.threads),
        args=vars(args),
        variants=args.variants,
        reference=REFERENCE,
        nets={n: net_name_of(build_model(n))
              for n in args.variants})
    if 'cost' not in args.skip:
        print(f'[variants] cost of {", ".join(args.variants)} '
              f'({args.widths} widths) ...', flush=True)
        results['cost'] = measure_cost(
            args.variants, REFERENCE, args.widths,
            parse_shape(args.shape),
            None if 'memory' in args.skip else parse_shape(
                args.memory_shape), args.repeats, args.warmup,
            args.threads, args.seed)
        out_json.write_text(json.dumps(results, indent=2))  # partial
    if 'training' not in args.skip:
        run_training(args, work, results, out_json)
    return write_table(results, out_json, out_md)


def read_parts(paths: List[str]) -> List[dict]:
    """The variants.json files of earlier runs."""
    parts = []
    for path in paths:
        try:
            part = json.loads(Path(path).read_text())
        except (OSError, ValueError) as err:
            raise ValueError(f'--merge: cannot read {path}: {err}') from err
        if 'variants' not in part or 'args' not in part:
            raise ValueError(f'--merge: {path} is not a variants.json of '
                             'tools/compare_variants.py')
        parts.append(part)
    return parts


def write_table(results: dict, out_json: Path, out_md: Path) -> dict:
    """Print the table and write the JSON and Markdown files."""
    results['table'] = by_variant(results)
    table = markdown(results)
    print(table)
    out_json.write_text(json.dumps(results, indent=2))
    out_md.write_text(table + '\n')
    print(f'[variants] wrote {out_json} and {out_md}')
    return results
