"""Benchmark of the plugin against the bare network (tools/benchmark.py).

Tool glue, not part of :mod:`fcn_plugin`: only the benchmark and the tests
use it.
"""
