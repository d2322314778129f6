"""Op-level accounting of what the plugin runs beyond the bare net.

Wall-clock A/B on a shared CPU cannot resolve a few percent. Profiling
one call of each side and keeping the aten ops the plugin calls more
often than the bare net gives the plugin's extra work directly, as
operator names, call counts and self CPU time.
"""
from typing import Callable, Dict, Tuple

from torch.profiler import ProfilerActivity, profile


def op_profile(fn: Callable[[], object]) -> Dict[str, Tuple[int, float]]:
    """``{aten op: (calls, self CPU seconds)}`` of one call of ``fn``."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    return {
        e.key: (e.count, e.self_cpu_time_total / 1e6)
        for e in prof.key_averages() if e.key.startswith('aten::')
    }


def extra_ops(plugin_fn: Callable[[], object],
              bare_fn: Callable[[], object]) -> Dict[str, object]:
    """Ops (and their time) the plugin runs beyond the bare net.

    For an op called ``p`` times by the plugin and ``b < p`` times by the
    bare net, ``(p - b) / p`` of its self time is counted as extra.

    Returns:
        dict: ``ops`` ({name: [extra calls, extra seconds]}),
        ``extra_s``, ``plugin_s`` (total self time) and ``fraction``.
    """
    plugin, bare = op_profile(plugin_fn), op_profile(bare_fn)
    ops = {}
    for name, (calls, seconds) in plugin.items():
        base = bare.get(name, (0, 0.))[0]
        if calls > base:
            ops[name] = [calls - base, seconds * (calls - base) / calls]
    extra = sum(s for _, s in ops.values())
    total = sum(s for _, s in plugin.values())
    return dict(
        ops=dict(sorted(ops.items(), key=lambda kv: -kv[1][1])),
        extra_s=extra,
        plugin_s=total,
        fraction=extra / total if total else 0.)
