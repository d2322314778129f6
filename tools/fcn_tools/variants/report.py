"""The study's table: one row per variant, as Markdown."""
from typing import Dict, List, Optional, Sequence

from .catalog import VARIANTS

#: Columns of the table.
HEAD = ('variant', 'net', 'change', 'params (M)', 'GFLOPs', 'inference',
        'train step', 'peak RSS (MB)', 'mIoU', 'mIoU@band1', 'mIoU@band3')


def _num(value: Optional[float], fmt: str) -> str:
    return '-' if value is None else format(value, fmt)


def _metric(runs: Optional[List[dict]], key: str) -> str:
    """Mean over seeds, with the range when there are several."""
    if not runs:
        return '-'
    values = [r[key] for r in runs]
    mean = sum(values) / len(values)
    if len(values) == 1:
        return f'{mean:.2f}'
    return f'{mean:.2f} ({min(values):.2f}-{max(values):.2f})'


def table_rows(results: dict) -> List[List[str]]:
    """One row per variant of ``results`` (the tool's JSON)."""
    cost = results.get('cost') or {}
    training = results.get('training') or {}
    rows = []
    for name in results['variants']:
        inf = cost.get('inference', {}).get('ratio', {})
        train = cost.get('train_step', {}).get('ratio', {})
        mem = cost.get('memory', {}).get(name)
        params = cost.get('params', {}).get(name)
        flops = cost.get('flops', {}).get(name)
        runs = training.get('runs', {}).get(name)
        rows.append([
            name,
            results.get('nets', {}).get(name) or '-',
            VARIANTS[name].change + (f' (on {VARIANTS[name].parent})'
                                     if VARIANTS[name].parent else ''),
            _num(params and params / 1e6, '.2f'),
            _num(flops and flops / 1e9, '.1f'),
            _num(inf.get(name), '.2f') + ('x' if name in inf else ''),
            _num(train.get(name), '.2f') + ('x' if name in train else ''),
            (f'{mem["peak_mb"]:.0f} ({mem["ratio"]:.2f}x)' if mem else '-'),
            _metric(runs, 'mIoU'),
            _metric(runs, 'mIoU@band1'),
            _metric(runs, 'mIoU@band3'),
        ])
    return rows


def markdown(results: dict) -> str:
    """The table, with what it was measured on."""
    rows = [list(HEAD)] + table_rows(results)
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEAD))]

    def line(cells: Sequence[str]) -> str:
        return '| ' + ' | '.join(
            c.ljust(w) for c, w in zip(cells, widths)) + ' |'

    out = [line(rows[0]), line(['-' * w for w in widths])]
    out += [line(r) for r in rows[1:]]
    out += [''] + notes(results)
    return '\n'.join(out)


def notes(results: dict) -> List[str]:
    """What the columns mean, for the measurement at hand."""
    out = []
    cost = results.get('cost')
    ref = results['reference']
    if cost:
        shape = 'x'.join(map(str, cost['shape']))
        out.append(
            f'Cost at {cost["widths"]} widths: parameters and GFLOPs of one '
            f'test_step at {shape}; inference and train step (SGD) as '
            f'ratios to {ref} in one interleaved loop '
            f'({results["args"]["repeats"]} repeats; load '
            f'{_load(cost["inference"]["load_before"])} -> '
            f'{_load(cost["train_step"]["load_after"])}).')
        mem = cost.get('memory')
        if mem:
            m = next(iter(mem.values()))
            out.append('Peak RSS of a training step at ' +
                       'x'.join(map(str, m['shape'])) +
                       f', one fresh process per variant ({m["method"]}).')
    training = results.get('training')
    if training:
        runs = next(iter(training['runs'].values()))
        out.append(
            f'Accuracy (%) on the synthetic VOC test set '
            f'({training["num_test"]} images) after {runs[0]["iters"]} '
            f'iterations from scratch, seeds {training["seeds"]}'
            + (' (mean, range)' if len(training['seeds']) > 1 else '') +
            f'; load {_load(training["load_before"])} -> '
            f'{_load(training["load_after"])}.')
    return out


def _load(values: Optional[List[float]]) -> str:
    return '/'.join(f'{v:.1f}' for v in values) if values else 'unknown'


def by_variant(results: dict) -> Dict[str, dict]:
    """The measures of each variant in one dict (for the JSON)."""
    return {
        name: dict(zip(HEAD[1:], row[1:]))
        for name, row in zip(results['variants'], table_rows(results))
    }


def merge_results(parts: Sequence[dict]) -> dict:
    """One result from several runs of the tool (e.g. the cost measured in
    one run, the training of some variants in others).

    The cost comes from the first part that has it; training runs are
    joined by variant (a variant trained in several parts keeps the runs
    of the first); variants follow the catalog's order.
    """
    merged: dict = dict(
        parts=[p['args'] for p in parts],
        machine=parts[0]['machine'],
        args=dict(parts[0]['args']),
        reference=parts[0]['reference'],
        nets={})
    names = set()
    for part in parts:
        names.update(part['variants'])
        merged['nets'].update(part.get('nets', {}))
        if 'cost' in part and 'cost' not in merged:
            merged['cost'] = part['cost']
            merged['args']['repeats'] = part['args']['repeats']
        training = part.get('training')
        if training:
            if 'training' not in merged:
                merged['training'] = dict(training, runs={})
            target = merged['training']
            for name, runs in training['runs'].items():
                if runs:  # an interrupted run leaves an empty list
                    target['runs'].setdefault(name, runs)
            target['load_after'] = training.get('load_after')
    merged['variants'] = [n for n in VARIANTS if n in names]
    if 'training' in merged:
        merged['training']['seeds'] = sorted({
            r['seed']
            for runs in merged['training']['runs'].values() for r in runs
        })
    return merged
