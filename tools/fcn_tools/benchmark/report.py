"""The benchmark's printed table and machine description."""
import os
import platform
from typing import Dict, List, Optional

import torch

from .timing import median

#: Targets of the five ratios: (comparison, bound).
TARGETS = {
    'inference': ('<=', 1.05),
    'train_step': ('<=', 1.05),
    'gflops_vs_matmul': ('>=', 1.0),
    'peak_memory': ('<=', 1.10),
    'data_vs_model': ('>=', 10.0),
}


def meets(name: str, value: Optional[float]) -> str:
    """'yes' / 'no' against :data:`TARGETS`, '-' when not measured."""
    if value is None:
        return '-'
    op, bound = TARGETS[name]
    ok = value <= bound if op == '<=' else value >= bound
    return 'yes' if ok else 'no'


def machine_info(device: str, threads: int) -> Dict[str, object]:
    """CPU model, cores, library versions (and GPU name on CUDA)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    import mmengine
    import mmseg
    info = dict(
        cpu=cpu,
        cores=len(os.sched_getaffinity(0)) if hasattr(
            os, 'sched_getaffinity') else os.cpu_count(),
        torch_threads=threads,
        torch=torch.__version__,
        mmseg=mmseg.__version__,
        mmengine=mmengine.__version__,
        python=platform.python_version(),
        device=device)
    if device.startswith('cuda'):
        info['gpu'] = torch.cuda.get_device_name(device)
    return info


def _fmt(value: Optional[float], unit: str = '') -> str:
    if value is None:
        return '-'
    if abs(value) >= 100:
        text = f'{value:.0f}'
    elif abs(value) >= 1:
        text = f'{value:.3g}' if abs(value) < 10 else f'{value:.1f}'
    else:
        text = f'{value:.3g}'
    return f'{text} {unit}'.strip()


def _row(label: str, net: str, value: Optional[float],
         reference: Optional[float], ratio: float, measure: str) -> list:
    """One table row, with the target and verdict of ``measure``."""
    op, bound = TARGETS[measure]
    return [
        label, net,
        _fmt(value),
        _fmt(reference),
        _fmt(ratio, 'x'), f'{op} {bound:g}',
        meets(measure, ratio)
    ]


def _time_rows(label: str, measure: str, net: str, t: dict) -> list:
    """Rows of one timed measure: plugin and plain plugin vs bare, wall
    and CPU time."""
    rows = []
    cpu = {side: median(v) for side, v in t['cpu_times'].items()}
    sides = (('plugin', '', ''), ('plain', 'plain_', '  plain kernels, '))
    for side, prefix, tag in sides:
        rows.append(
            _row(f'{tag}wall s' if tag else label, net, t[f'{side}_s'],
                 t['bare_s'], t[f'{prefix}ratio'], measure))
        rows.append(
            _row(f'{tag or "  "}CPU s (all threads)', net, cpu[side],
                 cpu['bare'], t[f'{prefix}cpu_time_ratio'], measure))
    return rows


def table_rows(results: dict) -> List[List[str]]:
    """Rows: measure, net, plugin, reference, ratio, target, met."""
    rows = []
    for net, r in results['nets'].items():
        inf, tr, fl = r['inference'], r['train_step'], r['flops']
        rows += _time_rows('inference (s/batch)', 'inference', net, inf)
        rows += _time_rows('train step (s/batch)', 'train_step', net, tr)
        mm = fl['matmul_gflops_per_s']
        rows += [
            _row('GFLOP/s (plugin vs mm)', net, fl['plugin_gflops_per_s'],
                 mm, fl['ratio'], 'gflops_vs_matmul'),
            _row('  per CPU-second (plugin vs mm)', net, None, None,
                 fl['cpu_time_ratio'], 'gflops_vs_matmul'),
            _row('  GFLOP/s (bare vs mm)', net, fl['bare_gflops_per_s'], mm,
                 fl['bare_ratio'], 'gflops_vs_matmul'),
        ]
        for phase, o in r.get('overhead', {}).items():
            rows.append(
                _row(f'aten ops {phase}, plain (s)', net, o['plugin_s'],
                     o['plugin_s'] - o['extra_s'], 1 + o['fraction'], phase))
        mem = r.get('memory')
        if mem:
            rows.append(
                _row('peak RSS train (MB)', net, mem['plugin']['peak_mb'],
                     mem['bare']['peak_mb'], mem['ratio'], 'peak_memory'))
    for name, p in results.get('pipelines', {}).items():
        rows.append(
            _row(f'data {name} (img/s)', p['vs_net'], p['images_per_s'],
                 p['model_images_per_s'], p['ratio'], 'data_vs_model'))
    return rows


def format_table(results: dict) -> str:
    """A Markdown table of :func:`table_rows` plus the five ratios."""
    head = ['measure', 'net', 'plugin', 'bare / reference', 'ratio',
            'target', 'met']
    rows = [head] + table_rows(results)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]

    def line(cells: List[str]) -> str:
        return '| ' + ' | '.join(
            c.ljust(w) for c, w in zip(cells, widths)) + ' |'

    out = [line(head), line(['-' * w for w in widths])]
    out += [line(r) for r in rows[1:]]
    out.append('')
    out.append('worst ratios: ' + ', '.join(
        f'{k}={_fmt(v)} ({meets(k, v)})'
        for k, v in results['ratios'].items()))
    checks = {
        net: r['checks']
        for net, r in results['nets'].items() if r.get('checks')
    }
    for net, r in results['nets'].items():
        for phase, o in r.get('overhead', {}).items():
            out.append(f'plugin-only ops {net} {phase}: ' + ', '.join(
                f'{k} x{v[0]} {v[1] * 1e3:.1f} ms'
                for k, v in list(o['ops'].items())[:6]))
    for net, c in checks.items():
        out.append(f'numeric checks {net}: ' + ', '.join(
            f'{k}={v:.3g}' for k, v in c.items()))
    return '\n'.join(out)
