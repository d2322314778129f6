"""Parameters, FLOPs, step times and peak memory of the variants.

All variants are built in one process and timed in the benchmark's
interleaved loop (A B C ..., then reversed), so that drift of a shared
machine hits them alike; each time is reported as the median of its ratio
to the reference variant's call in the same round. FLOPs are those of
one ``test_step`` (``FlopCounterMode``); peak memory is measured for each
variant in a fresh process (:mod:`.memory`).
"""
import gc
import os
from typing import Dict, List, Optional, Sequence

from ..benchmark.flops import count_flops
from ..benchmark.timing import interleaved, median, paired_ratio
from .catalog import count_parameters
from .memory import run_child
from .steps import Steps


def load_average() -> Optional[List[float]]:
    """The 1/5/15-minute load averages (None where unknown)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _ratios(times: Dict[str, List[float]], reference: str) -> dict:
    return {
        name: paired_ratio(t, times[reference])
        for name, t in times.items()
    }


def _timed(fns: Dict[str, object], reference: str, repeats: int,
           warmup: int) -> dict:
    """Interleaved wall and CPU times of ``fns``, and their ratios."""
    cpu: Dict[str, List[float]] = {}
    load_before = load_average()
    wall = interleaved(fns, repeats, warmup, 'cpu', cpu)
    return dict(
        seconds={name: median(t)
                 for name, t in wall.items()},
        cpu_seconds={name: median(t)
                     for name, t in cpu.items()},
        ratio=_ratios(wall, reference),
        cpu_ratio=_ratios(cpu, reference),
        load_before=load_before,
        load_after=load_average(),
        times=wall,
        cpu_times=cpu)


def measure_cost(names: Sequence[str],
                 reference: str,
                 widths: str,
                 shape: Sequence[int],
                 memory_shape: Optional[Sequence[int]],
                 repeats: int,
                 warmup: int,
                 threads: int,
                 seed: int = 0) -> dict:
    """Cost of every variant in ``names`` (``reference`` among them).

    Args:
        names (Sequence[str]): The variants.
        reference (str): The variant the ratios are taken against.
        widths (str): ``'full'`` (VGG16) or ``'tiny'`` trunk widths.
        shape (Sequence[int]): NxCxHxW of the timed and counted batch.
        memory_shape (Sequence[int], optional): NxCxHxW of the training
            step whose peak RSS is measured; None skips memory.
        repeats (int): Timed calls of each step per variant.
        warmup (int): Untimed calls first.
        threads (int): Torch threads of the memory children.
        seed (int): Seed of the fake batch and the weights.

    Returns:
        dict: ``params``, ``trainable_params``, ``flops``, ``inference``,
        ``train_step`` and ``memory`` (by variant where per variant).
    """
    steps = Steps(names, widths, shape, seed)
    counts = {n: count_parameters(m) for n, m in steps.models.items()}
    out = dict(
        widths=widths,
        shape=list(shape),
        params={n: c[0]
                for n, c in counts.items()},
        trainable_params={n: c[1]
                          for n, c in counts.items()})
    steps.set_mode(False)
    out['flops'] = {n: count_flops(fn) for n, fn in steps.infer.items()}
    out['inference'] = _timed(steps.infer, reference, repeats, warmup)
    steps.set_mode(True)
    out['train_step'] = _timed(steps.train, reference, repeats, warmup)
    del steps
    gc.collect()
    if memory_shape is not None:
        mem = {
            n: run_child(n, list(memory_shape), widths, threads, seed)
            for n in names
        }
        for n in names:
            mem[n]['ratio'] = mem[n]['peak_mb'] / mem[reference]['peak_mb']
        out['memory'] = mem
    return out
