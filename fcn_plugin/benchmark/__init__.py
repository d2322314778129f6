"""Benchmark of the plugin against the bare network (tools/benchmark.py).

Not imported by :mod:`fcn_plugin`; only the benchmark and its tests use it.
"""
