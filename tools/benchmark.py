"""Benchmark the FCN plugin against the bare network it implements.

Inference and training-step time, FLOP rate and peak memory of the plugin
against a bare ``nn.Sequential`` FCN, the data pipeline's images/s, the
inference backends side by side, and FCN-AlexNet beside FCN-VGG16 (the
paper's backbone comparison) (:mod:`fcn_tools.benchmark.cli`,
docs/performance.md).

Example::

    python tools/benchmark.py --nets fcn32s fcn16s fcn8s --repeats 3 \
        --out work_dirs/benchmark/cpu.json
"""
from fcn_tools.benchmark.cli import main
from fcn_tools.errors import run_tool

if __name__ == '__main__':
    run_tool(main)
