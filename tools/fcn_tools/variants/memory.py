"""Peak memory of one training step of a variant, in a fresh process.

The benchmark's method (:mod:`fcn_tools.benchmark.memory`): the child
builds the variant alone, runs one training step (so that gradients and
momentum buffers exist), gives freed heap back to the OS, resets the
kernel's peak-RSS counter and reads it after one more step. ``peak_mb``
is that high-water mark, ``step_mb`` its rise over the RSS before the
step (activations and gradients of the step).

Run as ``python -m fcn_tools.variants.memory NAME NxCxHxW [opts]`` from the
tools folder; the result is the last stdout line after :data:`MARKER`.
"""
import argparse
import json
import sys
from typing import Dict, List, Optional

import torch

from ..benchmark.cases import parse_shape
from ..benchmark.memory import MARKER, run_module_child, step_peak


def measure_in_child(name: str, shape: List[int], widths: str,
                     threads: int, seed: int = 0) -> Dict[str, object]:
    """Peak RSS of one training step of variant ``name`` (in a child)."""
    from .steps import Steps
    torch.set_num_threads(threads)
    steps = Steps([name], widths, shape, seed)
    steps.set_mode(True)
    return dict(variant=name, shape=list(shape),
                **step_peak(steps.train[name]))


def run_child(name: str, shape: List[int], widths: str, threads: int,
              seed: int = 0) -> Dict[str, object]:
    """Run :func:`measure_in_child` in a fresh interpreter."""
    cmd = [
        sys.executable, '-m', 'fcn_tools.variants.memory', name,
        'x'.join(str(v) for v in shape), '--widths', widths, '--threads',
        str(threads), '--seed',
        str(seed)
    ]
    return run_module_child(cmd)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('name')
    parser.add_argument('shape')
    parser.add_argument('--widths', choices=('full', 'tiny'), default='full')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    result = measure_in_child(args.name, list(parse_shape(args.shape)),
                              args.widths, args.threads, args.seed)
    print(MARKER + json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
