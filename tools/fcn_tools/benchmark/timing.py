"""Interleaved wall-clock timing that lets machine drift cancel."""
import gc
import os
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch


def default_threads() -> int:
    """The cores this process may run on (for ``torch.set_num_threads``)."""
    if hasattr(os, 'sched_getaffinity'):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def synchronize(device: str) -> None:
    """Wait for queued device work (CUDA kernels run asynchronously)."""
    if device.startswith('cuda'):
        torch.cuda.synchronize(device)


def interleaved(fns: Dict[str, Callable[[], object]],
                repeats: int,
                warmup: int = 1,
                device: str = 'cpu',
                cpu_out: Optional[Dict[str, List[float]]] = None
                ) -> Dict[str, List[float]]:
    """Time several callables in turns: A B C, C B A, A B C, ...

    Every repeat calls each function once, so slow phases of a shared
    machine hit all of them alike; the order flips every repeat so that
    neither always runs first (e.g. right after a garbage collection).

    Args:
        fns (dict[str, Callable]): Functions by name.
        repeats (int): Timed calls of each function.
        warmup (int): Untimed calls of each function first (allocator,
            oneDNN primitive caches, lazy inits). Defaults to 1.
        device (str): Device to synchronize before reading the clock.
        cpu_out (dict, optional): If given, filled with the CPU seconds
            (user + system, all threads) of this process per call. On a
            shared machine they vary less than wall time, since waiting
            for a core another process holds costs no CPU time.

    Returns:
        dict[str, list[float]]: Seconds per call, in call order.
    """
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    times: Dict[str, List[float]] = {name: [] for name in names}
    cpu: Dict[str, List[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            gc.collect()
            synchronize(device)
            start, cpu_start = time.perf_counter(), time.process_time()
            fns[name]()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - cpu_start)
    if cpu_out is not None:
        cpu_out.update(cpu)
    return times


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence."""
    return float(statistics.median(values))


def paired_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """Median of ``a[i] / b[i]`` over calls made next to each other."""
    return median([x / y for x, y in zip(a, b)])
