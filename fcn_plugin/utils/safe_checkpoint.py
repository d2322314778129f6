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
object is refused with :class:`~fcn_plugin.errors.UnsafeCheckpointError`,
which names the file and the object and says the file was not loaded;
nothing changes outside MMEngine's loader.

The allowlist is what MMEngine 0.10.x writes (the version pinned in
requirements/stack.txt), and ``torch.serialization.safe_globals`` needs
torch >= 2.5: on another MMEngine, or an older torch, :func:`install`
warns and leaves MMEngine's loader as it is.
"""
import os.path as osp
import pickle
import re
import warnings
import zipfile
from typing import Any, Callable, List, Optional, Tuple, Union

import mmengine
import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from fcn_plugin.errors import UnsafeCheckpointError, WeightFileError

SafeGlobal = Union[Callable, Tuple[Callable, str]]
#: The MMEngine minor version whose checkpoints the allowlist describes.
SUPPORTED_MMENGINE = '0.10.'


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
    owner = getattr(obj, '__qualname__', type(obj).__qualname__)
    module = getattr(obj, '__module__', type(obj).__module__)
    raise pickle.UnpicklingError(
        f'refused global builtins.getattr({module}.{owner},{name!r}); only '
        'the statistics methods of mmengine HistoryBuffer are allowed')


def _numpy_globals() -> List[SafeGlobal]:
    multiarray = np._core.multiarray if hasattr(
        np, '_core') else np.core.multiarray
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


#: How torch and :func:`history_buffer_method` name a refused global.
_REFUSED = re.compile(r'GLOBAL (\S+) was not an allowed global|'
                      r'unsupported GLOBAL (\S+) whose module|'
                      r'refused global (\S+);')


def _refused_global(err: Exception, filename: str) -> Optional[str]:
    """The global ``torch.load`` refused to unpickle, if that was the cause.

    Read off the error message, else off the file's list of globals.
    """
    match = _REFUSED.search(str(err))
    if match:
        return next(group for group in match.groups() if group)
    try:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(
            filename)
    except Exception:  # not a zip checkpoint: nothing more to learn
        return None
    allowed = set()
    for item in mmengine_safe_globals():
        if isinstance(item, tuple):
            allowed.add(item[1])
        else:
            allowed.add(f'{item.__module__}.{item.__qualname__}')
    unsafe = [name for name in unsafe if name not in allowed]
    return unsafe[0] if unsafe else None


def safe_load(filename: str, map_location=None, mmap: bool = False) -> Any:
    """``torch.load`` with ``weights_only=True`` and MMEngine's allowlist.

    Args:
        filename (str): Local checkpoint path.
        map_location: As in :func:`torch.load`.
        mmap (bool): Memory-map the tensors (zip checkpoints; legacy
            files are read whole). Defaults to False.

    Returns:
        The loaded checkpoint.

    Raises:
        UnsafeCheckpointError: The file holds a pickled object outside the
            allowlist (named in the message); nothing of it was run.
        WeightFileError: The file is not a readable PyTorch checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        with torch.serialization.safe_globals(mmengine_safe_globals()):
            try:
                return torch.load(
                    filename,
                    map_location=map_location,
                    weights_only=True,
                    mmap=mmap)
            except RuntimeError:
                if not mmap:
                    raise
                # legacy (non-zip) files cannot be memory-mapped
                return torch.load(
                    filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        offending = _refused_global(err, filename)
        if offending is not None:
            raise UnsafeCheckpointError(filename, offending) from None
        raise WeightFileError(
            f'{filename} is not a readable PyTorch checkpoint (unpickling '
            'failed): give a .pth file written by torch.save') from None
    except KeyError:  # an unknown pickle opcode: not from torch.save
        raise WeightFileError(
            f'{filename} is not a PyTorch checkpoint (not written by '
            'torch.save); give a .pth file of tools/train.py or of a '
            'converter (docs/weights.md)') from None
    except (RuntimeError, EOFError, zipfile.BadZipFile) as err:
        first = (str(err).strip().splitlines() or [''])[0][:200]
        raise WeightFileError(
            f'{filename} is not a readable PyTorch checkpoint '
            f'({type(err).__name__}: {first})') from None


def load_from_local(filename: str, map_location=None) -> Any:
    """MMEngine's local loader, with ``weights_only=True`` and the allowlist.

    Registered for MMEngine's local paths by :func:`install`, so
    ``load_from``, ``resume``, ``tools/test.py``, ``mmseg.apis.init_model``
    and ``MMSegInferencer`` all load through :func:`safe_load`.

    Args:
        filename (str): Local checkpoint path.
        map_location: As in :func:`torch.load`.

    Returns:
        The loaded checkpoint.
    """
    return safe_load(filename, map_location=map_location)


def install() -> bool:
    """Register :func:`load_from_local` for MMEngine's local paths.

    Returns:
        bool: Whether it is registered; False (with a warning) on an
        MMEngine other than 0.10.x or a torch without ``safe_globals``.
    """
    if not (mmengine.__version__.startswith(SUPPORTED_MMENGINE)
            and hasattr(torch.serialization, 'safe_globals')):
        warnings.warn(
            f'fcn_plugin: safe checkpoint loading is written for mmengine '
            f'{SUPPORTED_MMENGINE}x and torch >= 2.5, found mmengine '
            f'{mmengine.__version__} and torch {torch.__version__}; '
            "MMEngine's own checkpoint loader is left as it is. Install the "
            'stack of requirements/stack.txt.',
            stacklevel=2)
        return False
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
    return True
