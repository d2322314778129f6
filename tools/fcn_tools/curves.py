"""Training curves from MMEngine's ``vis_data/scalars.json`` logs."""
import json
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

Curve = Tuple[List[int], List[float]]


def find_scalar_files(work_dir: Union[str, Path]) -> List[Path]:
    """The ``scalars.json`` files of a work dir, oldest run first.

    Args:
        work_dir (str | Path): A Runner work dir (one ``<timestamp>/``
            folder per run or resume), or one ``<timestamp>`` folder.

    Returns:
        list[Path]: The files, sorted by run folder name (the timestamp).
    """
    work_dir = Path(work_dir)
    if not work_dir.is_dir():
        raise FileNotFoundError(f'work dir not found: {work_dir}')
    own = work_dir / 'vis_data' / 'scalars.json'
    files = [own] if own.is_file() else sorted(
        work_dir.glob('*/vis_data/scalars.json'))
    if not files:
        raise FileNotFoundError(
            f'no vis_data/scalars.json in {work_dir} or its run folders '
            '(is it the work dir of tools/train.py?)')
    return files


def load_scalars(work_dir: Union[str, Path],
                 keys: Sequence[str]) -> Dict[str, Curve]:
    """Curves of logged scalars over iterations.

    Training records are indexed by their ``iter``, validation records by
    their ``step`` (the iteration of the validation). When runs overlap
    (a resumed run logs again from its checkpoint), the later run wins.

    Args:
        work_dir (str | Path): See :func:`find_scalar_files`.
        keys (Sequence[str]): Scalars to collect, e.g. ``'loss'``,
            ``'mIoU'``.

    Returns:
        dict[str, tuple[list[int], list[float]]]: Sorted iterations and
        values of each key (empty lists for a key never logged).
    """
    points: Dict[str, Dict[int, float]] = {key: {} for key in keys}
    for path in find_scalar_files(work_dir):
        for num, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}:{num}: not a JSON record '
                                 f'({err})') from None
            step = record.get('iter', record.get('step'))
            if step is None:
                continue
            for key in keys:
                if key in record:
                    points[key][int(step)] = float(record[key])
    curves = {}
    for key, values in points.items():
        steps = sorted(values)
        curves[key] = (steps, [values[s] for s in steps])
    return curves


def plot_curves(work_dir: Union[str, Path],
                out_file: Union[str, Path],
                loss_keys: Sequence[str] = ('loss', ),
                val_keys: Sequence[str] = ('mIoU', ),
                log_loss: bool = False) -> Dict[str, Curve]:
    """Plot training loss and validation metrics over iterations.

    Args:
        work_dir (str | Path): See :func:`find_scalar_files`.
        out_file (str | Path): PNG to write.
        loss_keys (Sequence[str]): Training scalars for the left panel.
        val_keys (Sequence[str]): Validation scalars (percent) for the
            right panel.
        log_loss (bool): Logarithmic loss axis. Defaults to False.

    Returns:
        dict[str, tuple[list[int], list[float]]]: The plotted curves.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    curves = load_scalars(work_dir, list(loss_keys) + list(val_keys))
    if not any(curves[k][0] for k in loss_keys):
        raise ValueError(f'{work_dir}: no training record with '
                         f'{", ".join(loss_keys)} in vis_data/scalars.json')
    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(11, 4))
    for key in loss_keys:
        ax_loss.plot(*curves[key], label=key)
    ax_loss.set(xlabel='iteration', ylabel='loss', title='training loss')
    if log_loss:
        ax_loss.set_yscale('log')
    ax_loss.legend()
    plotted = False
    for key in val_keys:
        steps, values = curves[key]
        if steps:
            ax_val.plot(steps, values, marker='o', label=key)
            plotted = True
    ax_val.set(xlabel='iteration', ylabel='%', title='validation')
    if plotted:
        ax_val.legend()
    else:
        ax_val.text(
            0.5,
            0.5,
            'no validation logged',
            ha='center',
            va='center',
            transform=ax_val.transAxes)
    for ax in (ax_loss, ax_val):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    Path(out_file).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(str(out_file), dpi=100)
    plt.close(fig)
    return curves


def staged_curves(
        stages: Sequence[Tuple[str, Union[str, Path]]],
        keys: Sequence[str]) -> Tuple[Dict[str, Curve], List[int]]:
    """Curves of consecutive training stages on one iteration axis.

    Stage ``k`` is shifted by the iterations of the stages before it (the
    last iteration each stage logged), as if the stages were one run.

    Args:
        stages (Sequence[tuple[str, str | Path]]): ``(name, work_dir)`` of
            each stage, in training order.
        keys (Sequence[str]): Scalars to collect.

    Returns:
        tuple[dict, list[int]]: The joined curves of each key and the
        iteration at which each stage ends on the joined axis.
    """
    joined: Dict[str, Curve] = {key: ([], []) for key in keys}
    ends, offset = [], 0
    for name, work_dir in stages:
        try:
            curves = load_scalars(work_dir, keys)
        except FileNotFoundError as err:
            raise FileNotFoundError(f'stage {name}: {err}') from None
        last = max((s for steps, _ in curves.values() for s in steps),
                   default=None)
        if last is None:
            raise ValueError(f'stage {name}: {work_dir} logged none of '
                             f'{", ".join(keys)}')
        for key, (steps, values) in curves.items():
            joined[key][0].extend(offset + s for s in steps)
            joined[key][1].extend(values)
        offset += last
        ends.append(offset)
    return joined, ends


def plot_staged_curves(stages: Sequence[Tuple[str, Union[str, Path]]],
                       out_file: Union[str, Path],
                       loss_keys: Sequence[str] = ('loss', ),
                       val_keys: Sequence[str] = ('mIoU', ),
                       log_loss: bool = True) -> Dict[str, Curve]:
    """Plot loss and validation metrics of staged training on one axis.

    The paper trains FCN-32s, then FCN-16s from it, then FCN-8s from that;
    this draws the three runs end to end (see :func:`staged_curves`), with
    a dashed line where a stage ends and the stage names on top.

    Args:
        stages (Sequence[tuple[str, str | Path]]): ``(name, work_dir)`` of
            each stage, in training order.
        out_file (str | Path): PNG to write.
        loss_keys (Sequence[str]): Training scalars for the left panel.
        val_keys (Sequence[str]): Validation scalars (percent) for the
            right panel.
        log_loss (bool): Logarithmic loss axis. Defaults to True.

    Returns:
        dict[str, tuple[list[int], list[float]]]: The plotted curves.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    curves, ends = staged_curves(stages, list(loss_keys) + list(val_keys))
    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(12, 4.2))
    for key in loss_keys:
        ax_loss.plot(*curves[key], lw=1, label=key)
    ax_loss.set(xlabel='iteration', ylabel='loss')
    if log_loss:
        ax_loss.set_yscale('log')
    for key in val_keys:
        if curves[key][0]:
            ax_val.plot(*curves[key], marker='o', ms=3, label=key)
    ax_val.set(xlabel='iteration', ylabel='%')
    starts = [0] + ends[:-1]
    for ax in (ax_loss, ax_val):
        for end in ends[:-1]:
            ax.axvline(end, color='grey', ls='--', lw=1)
        for (name, _), start, end in zip(stages, starts, ends):
            ax.text((start + end) / 2,
                    1.01,
                    name,
                    ha='center',
                    va='bottom',
                    transform=ax.get_xaxis_transform())
        ax.grid(alpha=0.3)
        ax.legend(loc='best')
    ax_loss.set_title('training loss', pad=18)
    ax_val.set_title('validation', pad=18)
    fig.tight_layout()
    Path(out_file).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(str(out_file), dpi=100)
    plt.close(fig)
    return curves
