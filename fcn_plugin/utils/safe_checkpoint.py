"""Safe (``weights_only``) loading of MMEngine's own checkpoints.

torch >= 2.6 loads with ``weights_only=True``. MMEngine 0.10.7 calls
``torch.load`` without that argument, so ``--resume``, ``load_from`` and
``tools/test.py CKPT`` refuse the checkpoints MMEngine itself writes: their
``message_hub`` holds ``HistoryBuffer`` objects with numpy arrays, and the
buffers pickle their statistics methods as ``getattr(HistoryBuffer, name)``.

Instead of turning safe loading off, :func:`install` re-registers MMEngine's
local-file checkpoint loader so that it loads with ``weights_only=True``
inside a :class:`torch.serialization.safe_globals` context holding exactly
the globals MMEngine writes. ``builtins.getattr`` is not allowlisted as
such: the name is bound to :func:`history_buffer_method`, which only
resolves the statistics methods of ``HistoryBuffer``. Any other pickled
object is still refused, and nothing changes outside MMEngine's loader.
"""
import os.path as osp
from typing import Any, Callable, List, Tuple, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

SafeGlobal = Union[Callable, Tuple[Callable, str]]


def history_buffer_method(obj: Any, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` while unpickling a checkpoint.

    Args:
        obj: Must be the ``HistoryBuffer`` class.
        name (str): A registered statistics method of ``HistoryBuffer``.

    Returns:
        Callable: ``getattr(HistoryBuffer, name)``.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    if obj is HistoryBuffer and isinstance(name, str) and (
            name in HistoryBuffer._statistics_methods
            or name in ('min', 'max', 'current', 'mean')):
        return getattr(HistoryBuffer, name)
    raise torch.serialization.pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only the '
        'statistics methods of mmengine HistoryBuffer are allowed')


def _numpy_globals() -> List[SafeGlobal]:
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    out: List[SafeGlobal] = [np.ndarray, np.dtype]
    for mod in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        out.append((multiarray._reconstruct, f'{mod}._reconstruct'))
        out.append((multiarray.scalar, f'{mod}.scalar'))
    # Checkpoints pickle the dtype classes of the scalars they log.
    out.extend(
        type(np.dtype(t)) for t in ('float16', 'float32', 'float64', 'int8',
                                    'int16', 'int32', 'int64', 'uint8',
                                    'bool'))
    return out


def mmengine_safe_globals() -> List[SafeGlobal]:
    """The globals MMEngine 0.10.x writes into its checkpoints."""
    return [HistoryBuffer, (history_buffer_method, 'builtins.getattr')
            ] + _numpy_globals()


def load_from_local(filename: str, map_location=None) -> Any:
    """MMEngine's local loader, with ``weights_only=True`` and the allowlist.

    Args:
        filename (str): Local checkpoint path.
        map_location: As in :func:`torch.load`.

    Returns:
        The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    with torch.serialization.safe_globals(mmengine_safe_globals()):
        return torch.load(
            filename, map_location=map_location, weights_only=True)


def install() -> None:
    """Register :func:`load_from_local` for MMEngine's local paths."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
