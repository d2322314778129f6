"""Benchmark the FCN plugin against the bare network it implements.

The command line of ``tools/benchmark.py``.

In one process, on VOC-sized inputs, for each of ``--nets``:

1. inference: ``model.test_step`` on a packed data dict (what MMEngine's
   test loop runs per image) vs a bare ``nn.Sequential`` FCN with
   hard-coded Caffe crops after a hand-written mean subtraction. The plugin
   runs as its config builds it (fc6/fc7 as im2col + GEMM, NHWC); a third
   side, the plain plugin (``fc_gemm=False, channels_last=False``), runs the
   bare net's very kernels and so isolates what MMSeg adds;
2. training: ``model.train_step(data, optim_wrapper)`` vs bare forward,
   summed cross-entropy, backward and ``torch.optim.SGD`` step;
3. achieved GFLOP/s of the plugin's inference (FLOPs from
   ``FlopCounterMode``) vs the GFLOP/s of a ``torch.mm`` timed in the same
   interleaved loop;
4. peak memory of one training step at ``--memory-shape``, each side in a
   fresh child process (see :mod:`fcn_tools.benchmark.memory`);

and once:

5. data pipeline images/s (paper and modern recipes, synthetic VOC JPEGs,
   decode to preprocessed batch) vs the fastest net's training images/s;
6. inference backends of each net side by side (``deploy``): PyTorch fp32
   (the plugin), PyTorch bf16 (``PrecisionEncoderDecoder``) and ONNX
   Runtime fp32 (the ``pytorch2onnx.py --dynamic`` file), each against an
   fp32 and a bf16 ``torch.mm`` of the same loop (see
   :mod:`fcn_tools.benchmark.deploy`). ``--skip nets data trunks`` runs
   only these rows; ``--deploy-nets`` picks other nets for them (FCN-AlexNet
   among them);
7. nets side by side (``trunks``, :mod:`fcn_tools.benchmark.trunks`), one
   group of ``--trunk-cases`` after the other: parameters, GFLOPs and
   inference and training-step times at ``--trunk-shape`` in one
   interleaved loop, as ratios to the group's reference, and the peak
   memory of a training step at ``--memory-shape``, each shape the
   group's own unless given. Group ``backbones`` (the default cases):
   FCN-AlexNet beside FCN-VGG16 (FCN-32s), the paper's backbone comparison,
   at 500x500 (the paper's). Group ``nyud`` (``--trunk-cases
   nyud-rgb-hha``): the late-fusion RGB-HHA net (two VGG16 streams, 6
   input channels) beside the single-stream RGB net (3 channels), 40
   classes, at 425x560 (the NYUDv2 crop). ``--skip nets data deploy`` runs
   only these rows.

Timed calls are interleaved (plugin, plain, bare, ..., then reversed) so that
drift of a shared machine cancels; ratios are medians of adjacent pairs.

Example::

    python tools/benchmark.py --nets fcn32s fcn16s fcn8s --repeats 3 \
        --out work_dirs/benchmark/cpu.json
"""
import argparse
import gc
import json
import os
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import DictAction
from mmengine.runner import set_random_seed

from .cases import (AMP_DTYPES, MODEL_CONFIGS, TRUNK_CASES, TRUNK_GROUPS,
                    build_pair, group_cases, model_cfg, parse_shape)
from .checks import numeric_checks
from .data_pipeline import (PIPELINES, load_pipeline, pipeline_throughput,
                            synthetic_infos)
from .deploy import bench_deploy, format_deploy
from .flops import count_flops, matmul_fn
from .memory import run_child
from .overhead import extra_ops
from .report import format_table, machine_info
from .timing import default_threads, interleaved, median, paired_ratio
from .trunks import bench_trunks, format_trunks

#: Nets with a bare twin (:class:`~fcn_tools.reference_fcn.BareFCN`).
NETS = ('fcn32s', 'fcn16s', 'fcn8s', 'fcn8s-atonce')
PARTS = ('checks', 'overhead', 'memory', 'data', 'nets', 'deploy', 'trunks')
#: torch.mm calls per timed matmul slot (one mm is ~0.1 s on 2 cores).
MM_CALLS = 5
#: The nets' memory measure without ``--memory-shape``: a 500x500 step.
NET_MEMORY_SHAPE = '1x3x500x500'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plugin vs bare FCN: time, FLOP rate, memory, data.')
    parser.add_argument(
        '--nets', nargs='+', choices=NETS,
        default=['fcn32s', 'fcn16s', 'fcn8s'])
    parser.add_argument(
        '--shape', default='1x3x375x500',
        help='NxCxHxW of the timed batch (default: a VOC image)')
    parser.add_argument(
        '--memory-shape', default=None,
        help='NxCxHxW of the training step whose peak memory is measured '
        f'(default: {NET_MEMORY_SHAPE} for the nets, each trunk group\'s '
        'shape for its cases)')
    parser.add_argument(
        '--deploy-nets', nargs='+', choices=list(MODEL_CONFIGS),
        default=None,
        help='nets of the inference-backend rows (default: --nets)')
    parser.add_argument(
        '--trunk-cases', nargs='+', choices=list(TRUNK_CASES),
        default=group_cases('backbones'),
        help='nets of the side-by-side comparisons; each group runs on its '
        'own with its reference always measured: backbones (FCN-VGG16 '
        'FCN-32s; the default cases), nyud (nyud-rgb, the single-stream '
        'RGB net)')
    parser.add_argument(
        '--trunk-shape', default=None,
        help='NxCxHxW of the comparisons\' counted and timed batch, C of '
        'the colour image (a case fed more modalities gets its own C) '
        '(default: each group\'s: ' + ', '.join(
            f'{g.name} 1x3x{g.shape[0]}x{g.shape[1]}'
            for g in TRUNK_GROUPS.values()) + ')')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--amp', choices=sorted(AMP_DTYPES), default=None,
        help='run both sides under torch.autocast with this dtype')
    parser.add_argument(
        '--channels-last', action='store_true',
        help='run the bare net and the plain plugin in channels_last too '
        '(the plugin follows its config)')
    parser.add_argument(
        '--model-options', nargs='+', action=DictAction, default=None,
        help='override the plugin\'s model settings by dotted key, e.g. '
        'backbone.fc_gemm=False (the plain side always has the bare '
        'net\'s kernels)')
    parser.add_argument(
        '--tiny', action='store_true',
        help='narrow widths (same geometry) for a smoke run')
    parser.add_argument(
        '--threads', type=int, default=default_threads(),
        help='torch.set_num_threads (default: the cores available)')
    parser.add_argument(
        '--mm-size', default='4096,4608,512',
        help='m,k,n of the reference torch.mm (a 3x3x512 conv GEMM)')
    parser.add_argument(
        '--data-images', type=int, default=16,
        help='synthetic VOC JPEGs per data pipeline pass')
    parser.add_argument(
        '--data-size', default='375x500', help='HxW of the synthetic JPEGs')
    parser.add_argument(
        '--data-workers', type=int, default=0,
        help='DataLoader workers of the pipeline measure (0: one core)')
    parser.add_argument(
        '--skip', nargs='*', choices=PARTS, default=[],
        help='parts not to run (their ratios are null)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--out', default='work_dirs/benchmark/benchmark.json',
        help='JSON file of all measurements')
    return parser.parse_args(argv)


def timed(t: Dict[str, List[float]], cpu: Dict[str, List[float]],
          images: int) -> dict:
    """Medians and paired ratios (plugin / bare, plain / bare) of a loop."""
    return dict(
        plugin_s=median(t['plugin']),
        plain_s=median(t['plain']),
        bare_s=median(t['bare']),
        ratio=paired_ratio(t['plugin'], t['bare']),
        plain_ratio=paired_ratio(t['plain'], t['bare']),
        cpu_time_ratio=paired_ratio(cpu['plugin'], cpu['bare']),
        plain_cpu_time_ratio=paired_ratio(cpu['plain'], cpu['bare']),
        images_per_s=images / median(t['plugin']),
        times=t,
        cpu_times=cpu)


def bench_net(net: str, args: argparse.Namespace, shape, mm,
              mm_flops: int) -> Dict[str, dict]:
    """Numeric checks, FLOPs, inference and training times of one net."""
    pair = build_pair(net, shape, args.tiny, args.device, args.amp,
                      args.channels_last, args.seed, args.model_options)
    out: Dict[str, dict] = {}
    if 'checks' not in args.skip:
        out['checks'] = numeric_checks(pair, args.amp or 'bf16')

    pair.set_mode(False)
    flops = {
        side: count_flops(fn)
        for side, fn in (('plugin', pair.plugin_infer),
                         ('plain', pair.plain_infer), ('bare',
                                                       pair.bare_infer))
    }

    def matmul() -> None:
        for _ in range(MM_CALLS):
            mm()

    cpu: Dict[str, List[float]] = {}
    t = interleaved(
        dict(
            plugin=pair.plugin_infer,
            plain=pair.plain_infer,
            bare=pair.bare_infer,
            matmul=matmul), args.repeats, args.warmup, args.device, cpu)
    out['inference'] = timed(t, cpu, shape[0])
    flops['matmul'] = MM_CALLS * mm_flops

    def gflops_per_s(side: str, seconds: Dict[str, List[float]]) -> list:
        return [flops[side] / s / 1e9 for s in seconds[side]]

    mm_rate = gflops_per_s('matmul', t)
    rates = {side: gflops_per_s(side, t) for side in ('plugin', 'bare')}
    out['flops'] = dict(
        plugin=flops['plugin'],
        plain=flops['plain'],
        bare=flops['bare'],
        plugin_gflops_per_s=median(rates['plugin']),
        bare_gflops_per_s=median(rates['bare']),
        matmul_gflops_per_s=median(mm_rate),
        ratio=paired_ratio(rates['plugin'], mm_rate),
        bare_ratio=paired_ratio(rates['bare'], mm_rate),
        # Per CPU-second as well: on a shared machine a short matmul slot and
        # a long network call lose different shares of wall time to others.
        cpu_time_ratio=paired_ratio(
            gflops_per_s('plugin', cpu), gflops_per_s('matmul', cpu)))

    # Extra ops are counted with the bare net's kernels (plain plugin).
    if 'overhead' not in args.skip:
        out['overhead'] = dict(
            inference=extra_ops(pair.plain_infer, pair.bare_infer))

    pair.set_mode(True)
    if 'overhead' not in args.skip:
        out['overhead']['train_step'] = extra_ops(pair.plain_train,
                                                  pair.bare_train)
    last = {}

    def step(side: str, fn) -> Callable[[], None]:

        def run() -> None:
            result = fn()
            last[side] = result['loss'] if isinstance(result,
                                                      dict) else result

        return run

    cpu = {}
    t = interleaved(
        dict(
            plugin=step('plugin', pair.plugin_train),
            plain=step('plain', pair.plain_train),
            bare=step('bare', pair.bare_train)), args.repeats, args.warmup,
        args.device, cpu)
    out['train_step'] = timed(t, cpu, shape[0])
    out['train_step']['last_loss'] = {
        k: float(v.detach())
        for k, v in last.items()
    }
    del pair
    gc.collect()

    if 'memory' not in args.skip:
        mem_shape = list(parse_shape(args.memory_shape or NET_MEMORY_SHAPE))
        sides = {
            side: run_child(side, net, mem_shape, args.tiny, args.device,
                            args.amp, args.channels_last, args.threads,
                            args.model_options)
            for side in ('plugin', 'bare')
        }
        sides['ratio'] = sides['plugin']['peak_mb'] / sides['bare'][
            'peak_mb']
        sides['step_ratio'] = sides['plugin']['step_mb'] / max(
            sides['bare']['step_mb'], 1e-6)
        sides['shape'] = mem_shape
        out['memory'] = sides
    return out


def bench_data(args: argparse.Namespace, net_results: dict) -> dict:
    """Pipeline images/s vs the fastest net's training images/s."""
    from mmseg.registry import MODELS
    fastest = max(
        net_results, key=lambda n: net_results[n]['train_step'][
            'images_per_s'])
    model_rate = net_results[fastest]['train_step']['images_per_s']
    preprocessor = MODELS.build(
        model_cfg(fastest, args.tiny)['data_preprocessor'])
    h, w = (int(v) for v in args.data_size.lower().split('x'))
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        infos = synthetic_infos(
            Path(tmp), args.data_images, (h, w), args.seed)
        for name in PIPELINES:
            pipeline, source = load_pipeline(name)
            r = pipeline_throughput(infos, pipeline, preprocessor,
                                    args.repeats, args.warmup,
                                    args.data_workers)
            r.update(
                source=source,
                vs_net=fastest,
                model_images_per_s=model_rate,
                ratio=r['images_per_s'] / model_rate)
            out[name] = r
    return out


def trunk_groups(names: List[str]) -> Dict[str, List[str]]:
    """The selected cases by group, each group measured on its own.

    Args:
        names (list[str]): Cases of :data:`~.cases.TRUNK_CASES`.

    Returns:
        dict[str, list[str]]: Group (:data:`~.cases.TRUNK_GROUPS`, in
        their order) -> its selected cases; ``bench_trunks`` adds the
        group's reference.
    """
    return {
        group: [n for n in names if TRUNK_CASES[n].group == group]
        for group in TRUNK_GROUPS
        if any(TRUNK_CASES[n].group == group for n in names)
    }


def worst_ratios(results: dict) -> Dict[str, Optional[float]]:
    nets = results['nets'].values()

    def pick(fn, values):
        values = [v for v in values if v is not None]
        return fn(values) if values else None

    return dict(
        inference=pick(max, [r['inference']['ratio'] for r in nets]),
        train_step=pick(max, [r['train_step']['ratio'] for r in nets]),
        gflops_vs_matmul=pick(min, [r['flops']['ratio'] for r in nets]),
        peak_memory=pick(
            max, [r['memory']['ratio'] for r in nets if 'memory' in r]),
        data_vs_model=pick(
            min, [p['ratio'] for p in results['pipelines'].values()]))


def main(argv: Optional[List[str]] = None) -> dict:
    """The command line of ``tools/benchmark.py``; all measurements."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    set_random_seed(args.seed)
    shape = list(parse_shape(args.shape))
    mm_dtype = AMP_DTYPES[args.amp] if args.amp else torch.float32
    mm, mm_flops = matmul_fn([int(v) for v in args.mm_size.split(',')],
                             args.device, mm_dtype)
    results = dict(
        machine=machine_info(args.device, args.threads),
        args=vars(args),
        nets={},
        pipelines={})
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for net in args.nets if 'nets' not in args.skip else ():
        print(f'[benchmark] {net} {args.shape} ...', flush=True)
        results['nets'][net] = bench_net(net, args, shape, mm, mm_flops)
        out.write_text(json.dumps(results, indent=2))  # partial results
    if 'deploy' not in args.skip:
        results['deploy'] = {}
        for net in args.deploy_nets or args.nets:
            print(f'[benchmark] {net} inference backends ...', flush=True)
            results['deploy'][net] = bench_deploy(
                net, shape, [int(v) for v in args.mm_size.split(',')],
                args.repeats, args.warmup, args.threads, args.tiny,
                args.seed)
            out.write_text(json.dumps(results, indent=2))
        results['deploy_load'] = ' '.join(
            f'{v:.1f}' for v in os.getloadavg())
    trunk_keys = []
    groups = {} if 'trunks' in args.skip else trunk_groups(args.trunk_cases)
    for group, names in groups.items():
        default = '1x3x{}x{}'.format(*TRUNK_GROUPS[group].shape)
        trunk_shape = args.trunk_shape or default
        print(f'[benchmark] {group}: {" ".join(names)} {trunk_shape} ...',
              flush=True)
        key = TRUNK_GROUPS[group].result_key
        results[key] = bench_trunks(
            names, parse_shape(trunk_shape),
            None if 'memory' in args.skip else parse_shape(
                args.memory_shape or default), args.repeats, args.warmup,
            args.threads, args.tiny, args.seed)
        trunk_keys.append(key)
        out.write_text(json.dumps(results, indent=2))
    if 'data' not in args.skip and results['nets']:
        print('[benchmark] data pipelines ...', flush=True)
        results['pipelines'] = bench_data(args, results['nets'])
    results['ratios'] = worst_ratios(results)
    if results['nets']:
        print(format_table(results))
    if results.get('deploy'):
        print(format_deploy(results['deploy'], results['deploy_load']))
    for key in trunk_keys:
        print(format_trunks(results[key]))
    out.write_text(json.dumps(results, indent=2))
    print(f'[benchmark] wrote {out}')
    return results
