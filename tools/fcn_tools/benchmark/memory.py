"""Peak memory of one training step, each side in a fresh process.

On CPU the measure is the resident set size (RSS) of the process: Linux
keeps its high-water mark ``VmHWM`` in ``/proc/self/status``, and writing
``5`` to ``/proc/self/clear_refs`` resets it. The child process builds
both nets (so both children import the same libraries and hold the same
weights), drops the side it does not measure, runs one training step to
allocate gradients and momentum, resets the high-water mark and reads it
after one more step. Where the reset is not allowed, the lifetime peak
``ru_maxrss`` is reported instead (``method`` says which). On CUDA the
measure is ``torch.cuda.max_memory_allocated`` over the measured step.

Run as ``python -m fcn_tools.benchmark.memory SIDE NET NxCxHxW [opts]``
from the tools folder; the result is the last stdout line, after
:data:`MARKER`, as JSON.
"""
import argparse
import ctypes
import gc
import json
import resource
import subprocess
import sys
from typing import Callable, Dict, List, Optional

import torch

MARKER = 'FCN_BENCHMARK_MEMORY '
MB = 1024.**2


def _status_kb(field: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux >= 4.0)."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def rss_mb() -> float:
    """Current resident set size in MB (0 if unknown)."""
    kb = _status_kb('VmRSS')
    return kb / 1024. if kb else 0.


def peak_rss_mb() -> float:
    """Peak resident set size since start or the last reset, in MB."""
    kb = _status_kb('VmHWM')
    if kb is None:  # not Linux: lifetime peak (KB on Linux, B on macOS)
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if sys.platform == 'darwin':
            kb /= 1024.
    return kb / 1024.


def _trim_heap() -> None:
    """Give freed heap pages back to the OS so RSS reflects live data."""
    gc.collect()
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass


def step_peak(step: Callable[[], object],
              device: str = 'cpu') -> Dict[str, object]:
    """Peak memory of one training step, after a first one.

    The first step creates the gradients and momentum buffers; the heap it
    freed goes back to the OS and the peak is reset; then one more step is
    measured: the peak RSS on a CPU, ``max_memory_allocated`` on CUDA.

    Returns:
        dict: ``before_mb``, ``peak_mb``, ``step_mb`` (their difference) and
        ``method``.
    """
    step()  # gradients and momentum buffers exist from here on
    _trim_heap()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated() / MB
        step()
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() / MB
        method = 'torch.cuda.max_memory_allocated'
    else:
        before = rss_mb()
        method = ('VmHWM after clear_refs'
                  if reset_peak_rss() else 'ru_maxrss (lifetime)')
        step()
        peak = peak_rss_mb()
    return dict(
        before_mb=round(before, 1),
        peak_mb=round(peak, 1),
        step_mb=round(peak - before, 1),
        method=method)


def measure_in_child(side: str,
                     net: str,
                     shape: List[int],
                     tiny: bool,
                     device: str,
                     amp: Optional[str],
                     channels_last: bool,
                     threads: int,
                     options: Optional[dict] = None) -> Dict[str, object]:
    """Peak memory of one training step of ``side`` (run in a child)."""
    from .cases import build_pair
    torch.set_num_threads(threads)
    pair = build_pair(
        net,
        shape,
        tiny,
        device,
        amp,
        channels_last,
        options=options,
        with_plain=False)
    pair.keep_only(side)
    step = pair.plugin_train if side == 'plugin' else pair.bare_train
    pair.set_mode(True)
    return dict(side=side, net=net, **step_peak(step, device))


def run_child(side: str,
              net: str,
              shape: List[int],
              tiny: bool,
              device: str,
              amp: Optional[str],
              channels_last: bool,
              threads: int,
              options: Optional[dict] = None) -> Dict[str, object]:
    """Run :func:`measure_in_child` in a fresh interpreter."""
    cmd = [
        sys.executable, '-m', 'fcn_tools.benchmark.memory', side, net,
        'x'.join(str(v) for v in shape), '--device', device, '--threads',
        str(threads)
    ]
    if tiny:
        cmd.append('--tiny')
    if amp:
        cmd += ['--amp', amp]
    if channels_last:
        cmd.append('--channels-last')
    if options:
        cmd += ['--options-json', json.dumps(options)]
    return run_module_child(cmd)


def run_module_child(cmd: List[str]) -> Dict[str, object]:
    """Run a ``python -m fcn_tools...`` memory child; return its result.

    Args:
        cmd (list[str]): The command; its module prints the result as JSON
            on its last stdout line after :data:`MARKER`.

    Returns:
        dict: The child's result.
    """
    # ``-m`` imports from the working directory: the tools folder.
    from .cases import TOOLS_DIR
    proc = subprocess.run(
        cmd, capture_output=True, text=True, cwd=str(TOOLS_DIR))
    lines = [
        line for line in proc.stdout.splitlines() if line.startswith(MARKER)
    ]
    if proc.returncode or not lines:
        raise RuntimeError(f'memory child failed ({" ".join(cmd)}):\n'
                           f'{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}')
    return json.loads(lines[-1][len(MARKER):])


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('side', choices=('plugin', 'bare'))
    parser.add_argument('net')
    parser.add_argument('shape')
    parser.add_argument('--tiny', action='store_true')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--amp', choices=('bf16', 'fp16'), default=None)
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument(
        '--options-json', type=json.loads, default=None,
        help='overrides of the plugin\'s model settings, as JSON')
    args = parser.parse_args(argv)
    from .cases import parse_shape
    result = measure_in_child(args.side, args.net,
                              list(parse_shape(args.shape)), args.tiny,
                              args.device, args.amp, args.channels_last,
                              args.threads, args.options_json)
    print(MARKER + json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
