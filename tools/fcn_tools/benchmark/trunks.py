"""Nets side by side: backbones, and late fusion against one stream.

The costs of the nets of one group of :data:`~.cases.TRUNK_GROUPS`, each
against the group's reference: FCN-AlexNet beside FCN-VGG16 (the paper's
backbone comparison, table 1 of `FCN <https://arxiv.org/abs/1605.06211>`_,
CVPR 2015; 21 classes), or the NYUDv2 late-fusion RGB-HHA net (two whole
VGG16 FCN-32s streams, 6 input channels) beside the single-stream RGB net
(3 channels; table 4, 40 classes). For the group's cases of
:data:`~.cases.TRUNK_CASES`, in one process: parameters, FLOPs of one
inference at ``shape`` (``FlopCounterMode``, as the benchmark counts them),
inference (``test_step``) and training-step (``train_step`` with an
``OptimWrapper`` around the Caffe SGD) times in the benchmark's interleaved
loop, each as the median of its ratio to the reference case's call of the
same round, and the peak memory of one training step at ``memory_shape``,
each case in a fresh process (the benchmark's method,
:mod:`fcn_tools.benchmark.memory`).

Run as ``python -m fcn_tools.benchmark.trunks CASE NxCxHxW [opts]`` from
the tools folder for one case's memory; the result is the last stdout
line, after :data:`~.memory.MARKER`, as JSON.
"""
import argparse
import gc
import json
import os
import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.optim import build_optim_wrapper
from mmengine.runner import set_random_seed

from .cases import (SOLVER, TRUNK_CASES, TRUNK_GROUPS, TrunkGroup,
                    build_plugin, fake_batch, packed_data)
from .flops import count_flops
from .memory import MARKER, run_module_child, step_peak
from .timing import interleaved, median, paired_ratio

#: The measures whose ratios to the reference case are reported.
RATIOS = ('params', 'trainable_params', 'flops', 'inference',
          'inference_cpu', 'train_step', 'train_step_cpu', 'peak_memory')


def count_parameters(model: nn.Module) -> Tuple[int, int]:
    """(all, trainable) parameter counts; the fixed bilinear upscore
    kernels count as parameters that are not trained."""
    params = list(model.parameters())
    return (sum(p.numel() for p in params),
            sum(p.numel() for p in params if p.requires_grad))


def case_shape(name: str, shape: Sequence[int]) -> List[int]:
    """The NxCxHxW batch case ``name`` is fed: ``shape`` with the case's
    input channels (:attr:`~.cases.TrunkCase.channels`) as C."""
    n, _, h, w = shape
    return [n, TRUNK_CASES[name].channels, h, w]


def trunk_group(names: Sequence[str]) -> TrunkGroup:
    """The one group (:data:`~.cases.TRUNK_GROUPS`) the cases belong to.

    Raises:
        ValueError: If the cases are of several groups (or none).
    """
    unknown = [n for n in names if n not in TRUNK_CASES]
    if unknown:
        raise ValueError(f'unknown cases {unknown}; known: '
                         f'{", ".join(TRUNK_CASES)}')
    groups = sorted({TRUNK_CASES[n].group for n in names})
    if len(groups) != 1:
        raise ValueError('the cases of one run must be of one group, got '
                         f'{groups or "none"} for {list(names)}')
    return TRUNK_GROUPS[groups[0]]


class TrunkSteps:
    """The cases' models and their inference and training steps.

    Every case gets the same uint8 images and labels, each in its own
    packed data dict (``test_step`` writes into its samples): a case of
    ``c`` input channels the first ``c`` channels of one batch (the colour
    image first, then e.g. the HHA map), with labels below the fewest
    classes of the cases.

    Args:
        names (Sequence[str]): Cases of :data:`~.cases.TRUNK_CASES`.
        shape (Sequence[int]): NxCxHxW of the batch; each case is fed its
            own channel count instead of C (:func:`case_shape`).
        tiny (bool): Narrow widths, same geometry (smoke runs).
        seed (int): Seed of the weights and the batch.
    """

    def __init__(self,
                 names: Sequence[str],
                 shape: Sequence[int],
                 tiny: bool = False,
                 seed: int = 0) -> None:
        self.models: Dict[str, nn.Module] = {}
        for name in names:
            case = TRUNK_CASES[name]
            set_random_seed(seed)
            model = build_plugin(case.net, tiny, seed, case.options)
            mean = getattr(model.data_preprocessor, 'mean', None)
            if mean is not None and mean.numel() != case.channels:
                raise ValueError(
                    f'case {name!r} is fed {case.channels} channels but '
                    f'its data preprocessor takes {mean.numel()}')
            self.models[name] = model
        n, _, h, w = shape
        channels = max(TRUNK_CASES[name].channels for name in names)
        classes = min(m.decode_head.out_channels
                      for m in self.models.values())
        imgs, labels = fake_batch((n, channels, h, w), classes, seed)
        self.infer: Dict[str, Callable[[], object]] = {}
        self.train: Dict[str, Callable[[], object]] = {}
        for name, model in self.models.items():
            wrapper = build_optim_wrapper(
                model,
                dict(type='OptimWrapper', optimizer=dict(type='SGD',
                                                         **SOLVER)))
            own = imgs[:, :TRUNK_CASES[name].channels]
            self.infer[name] = self._infer(model, packed_data(own))
            self.train[name] = self._train(model, packed_data(own, labels),
                                           wrapper)

    @staticmethod
    def _infer(model: nn.Module, data: dict) -> Callable[[], object]:

        @torch.no_grad()
        def run() -> object:
            return model.test_step(data)

        return run

    @staticmethod
    def _train(model: nn.Module, data: dict,
               wrapper) -> Callable[[], object]:

        def run() -> object:
            return model.train_step(data, wrapper)

        return run

    def set_mode(self, train: bool) -> None:
        """Train or eval mode for every model."""
        for model in self.models.values():
            model.train(train)


def measure_memory(name: str, shape: Sequence[int], tiny: bool,
                   threads: int, seed: int = 0) -> Dict[str, object]:
    """Peak RSS of one training step of case ``name`` (run in a child).

    One step first (gradients and momentum buffers exist from then on),
    freed heap back to the OS, the peak reset, then one more step.
    """
    torch.set_num_threads(threads)
    steps = TrunkSteps([name], shape, tiny, seed)
    steps.set_mode(True)
    return dict(case=name, shape=case_shape(name, shape),
                **step_peak(steps.train[name]))


def run_memory_child(name: str, shape: Sequence[int], tiny: bool,
                     threads: int, seed: int = 0) -> Dict[str, object]:
    """Run :func:`measure_memory` in a fresh interpreter."""
    cmd = [
        sys.executable, '-m', 'fcn_tools.benchmark.trunks', name,
        'x'.join(str(v) for v in shape), '--threads',
        str(threads), '--seed',
        str(seed)
    ]
    if tiny:
        cmd.append('--tiny')
    return run_module_child(cmd)


def _load() -> Optional[List[float]]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def bench_trunks(names: Sequence[str],
                 shape: Sequence[int],
                 memory_shape: Optional[Sequence[int]],
                 repeats: int,
                 warmup: int,
                 threads: int,
                 tiny: bool = False,
                 seed: int = 0) -> dict:
    """Measure the cases side by side (see the module docstring).

    Args:
        names (Sequence[str]): Cases, all of one group
            (:func:`trunk_group`); the group's reference is added first if
            missing.
        shape (Sequence[int]): NxCxHxW of the counted and timed batch;
            each case is fed its own channel count for C
            (:func:`case_shape`).
        memory_shape (Sequence[int], optional): NxCxHxW of the training
            step whose peak RSS is measured (C as in ``shape``); None skips
            memory.
        repeats (int): Timed calls of each step per case.
        warmup (int): Untimed calls first.
        threads (int): Torch threads of the memory children.
        tiny (bool): Narrow widths, same geometry (smoke runs).
        seed (int): Seed of the weights and the batch.

    Returns:
        dict: ``group``, ``title``, ``reference``, ``cases`` (per case:
        net, title, input channels and shape, parameters, FLOPs, median
        wall and CPU seconds, memory, the paper's figures), ``ratios`` (per
        case, to the reference: :data:`RATIOS`, and the paper's), the
        shapes and the load average before and after.
    """
    group = trunk_group(names)
    reference = group.reference
    names = [reference] + [n for n in names if n != reference]
    out: dict = dict(
        group=group.name,
        title=group.title,
        reference=reference,
        shape=list(shape),
        memory_shape=list(memory_shape) if memory_shape else None,
        tiny=tiny,
        load_before=_load())
    steps = TrunkSteps(names, shape, tiny, seed)
    cases: Dict[str, dict] = {}
    for name, model in steps.models.items():
        case = TRUNK_CASES[name]
        params, trainable = count_parameters(model)
        cases[name] = dict(
            net=case.net,
            title=case.title,
            channels=case.channels,
            input_shape=case_shape(name, shape),
            options=dict(case.options),
            params=params,
            trainable_params=trainable,
            paper=dict(case.paper))
    steps.set_mode(False)
    for name, fn in steps.infer.items():
        cases[name]['flops'] = count_flops(fn)
    timed = {}
    for phase, fns, train in (('inference', steps.infer, False),
                              ('train_step', steps.train, True)):
        steps.set_mode(train)
        cpu: Dict[str, List[float]] = {}
        timed[phase] = (interleaved(fns, repeats, warmup, 'cpu', cpu), cpu)
        for name in names:
            cases[name][f'{phase}_s'] = median(timed[phase][0][name])
            cases[name][f'{phase}_cpu_s'] = median(timed[phase][1][name])
            cases[name][f'{phase}_times'] = timed[phase][0][name]
    del steps
    gc.collect()
    if memory_shape is not None:
        for name in names:
            cases[name]['memory'] = run_memory_child(name, memory_shape,
                                                     tiny, threads, seed)
    out['load_after'] = _load()
    ref = cases[reference]
    ratios: Dict[str, dict] = {}
    for name, case in cases.items():
        r = {
            key: case[key] / ref[key]
            for key in ('params', 'trainable_params', 'flops')
        }
        for phase in ('inference', 'train_step'):
            wall, cpu = timed[phase]
            r[phase] = paired_ratio(wall[name], wall[reference])
            r[f'{phase}_cpu'] = paired_ratio(cpu[name], cpu[reference])
        if 'memory' in case:
            r['peak_memory'] = (case['memory']['peak_mb'] /
                                ref['memory']['peak_mb'])
        paper, ref_paper = case['paper'], ref['paper']
        r['paper'] = {
            key: value / ref_paper[key]
            for key, value in paper.items() if ref_paper.get(key)
        }
        ratios[name] = r
    out.update(cases=cases, ratios=ratios)
    return out


def _num(value: Optional[float], digits: int = 3) -> str:
    if value is None:
        return '-'
    return f'{value:.{digits}g}'


def trunk_rows(result: dict) -> List[List[str]]:
    """Table rows: measure, then per case its value (and ratio to the
    reference), then the paper's figures of each case (the group's
    :attr:`~.cases.TrunkGroup.paper_rows`)."""
    cases, ratios = result['cases'], result['ratios']
    group = TRUNK_GROUPS[result.get('group', 'backbones')]
    h, w = result['shape'][2:]

    def row(label: str, value: Callable[[dict], Optional[float]],
            ratio: Optional[str], digits: int = 3) -> List[str]:
        cells = [label]
        for name, case in cases.items():
            v = value(case)
            text = _num(v, digits)
            if ratio and name != result['reference'] and v is not None:
                text += f' ({ratios[name][ratio]:.2f}x)'
            cells.append(text)
        return cells

    rows = [
        row('parameters (M)', lambda c: c['params'] / 1e6, 'params', 4),
        row('  trained (M)', lambda c: c['trainable_params'] / 1e6,
            'trainable_params', 4),
        row(f'GFLOP, {h}x{w} inference', lambda c: c['flops'] / 1e9,
            'flops', 4),
        row('inference s (wall)', lambda c: c['inference_s'], 'inference'),
        row('  CPU s (all threads)', lambda c: c['inference_cpu_s'],
            'inference_cpu'),
        row('train step s (wall)', lambda c: c['train_step_s'],
            'train_step'),
        row('  CPU s (all threads)', lambda c: c['train_step_cpu_s'],
            'train_step_cpu'),
    ]
    if all('memory' in c for c in cases.values()):
        mh, mw = result['memory_shape'][2:]
        rows.append(
            row(f'peak RSS train step {mh}x{mw} (MB)',
                lambda c: c['memory']['peak_mb'], 'peak_memory', 4))
    rows += [
        row(label, lambda c, k=key: c['paper'].get(k), None)
        for key, label in group.paper_rows
    ]
    return rows


def ratio_line(result: dict, name: str) -> str:
    """One case against the reference: inference time, trained
    parameters, GFLOP, training step and its peak memory, with the
    paper's ratios where it gives them."""
    r, paper = result['ratios'][name], result['ratios'][name]['paper']
    ref = result['cases'][result['reference']]['title']
    text = (f'{result["cases"][name]["title"]} / {ref}: inference time '
            f'{r["inference"]:.2f}x')
    if 'k40_ms' in paper:
        text += f' (paper, K40: {_num(paper["k40_ms"], 2)}x)'
    text += f', trained parameters {r["trainable_params"]:.2f}x'
    if 'params_m' in paper:
        text += f' (paper: {_num(paper["params_m"], 2)}x)'
    text += (f', GFLOP {r["flops"]:.2f}x, training step '
             f'{r["train_step"]:.2f}x')
    if 'peak_memory' in r:
        text += f', its peak RSS {r["peak_memory"]:.2f}x'
    return text


def format_trunks(result: dict) -> str:
    """A comparison as a title line, a Markdown table and the ratios."""
    head = ['measure'] + [c['title'] for c in result['cases'].values()]
    rows = [head] + trunk_rows(result)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]

    def line(cells: List[str]) -> str:
        return '| ' + ' | '.join(
            c.ljust(w) for c, w in zip(cells, widths)) + ' |'

    batch, _, height, width = result['shape']
    title = result.get('title', TRUNK_GROUPS['backbones'].title)
    out = [f'{title}: batch {batch}, {height}x{width}']
    out += [line(head), line(['-' * w for w in widths])]
    out += [line(r) for r in rows[1:]]
    out += [
        ratio_line(result, name) for name in result['ratios']
        if name != result['reference']
    ]
    out.append(f'load average before / after: {result["load_before"]} / '
               f'{result["load_after"]}')
    return '\n'.join(out)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('case', choices=list(TRUNK_CASES))
    parser.add_argument('shape')
    parser.add_argument('--tiny', action='store_true')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    from .cases import parse_shape
    result = measure_memory(args.case, list(parse_shape(args.shape)),
                            args.tiny, args.threads, args.seed)
    print(MARKER + json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
