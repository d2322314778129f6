"""Safe reading of PyTorch weight files and atomic writing of checkpoints."""
import os
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, Mapping

import torch
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present

from ..errors import WeightFileError
from ..utils.atomic_io import NoSpaceError, atomic_path
from ..utils.safe_checkpoint import safe_load


def load_torch_file(path: str) -> Any:
    """``torch.load`` with ``weights_only=True`` and clear errors.

    Reads through :func:`fcn_plugin.utils.safe_checkpoint.safe_load`, so
    the converters accept what MMEngine checkpoints hold and refuse every
    other pickled object as the runner does.

    Args:
        path (str): A ``.pth`` file.

    Returns:
        The loaded object (tensors, containers and plain values only).

    Raises:
        WeightFileError: If the file is missing or is not a PyTorch file.
        UnsafeCheckpointError: If it holds pickled objects outside the
            allowlist; such files are never unpickled.
    """
    if not osp.isfile(path):
        raise WeightFileError(f'{path}: no such file')
    try:
        return safe_load(path, map_location='cpu')
    except WeightFileError:
        raise
    except (OSError, ValueError) as err:
        raise WeightFileError(
            f'{path} is not a readable PyTorch weight file '
            f'({type(err).__name__}: {str(err).splitlines()[0][:200]})'
        ) from None


def tensor_dict(obj: Any, path: str,
                wrappers=('state_dict', 'model_state_dict',
                          'model')) -> 'OrderedDict[str, torch.Tensor]':
    """The ``{name: Tensor}`` mapping inside a loaded weight file.

    Unwraps one level of ``{'state_dict': ...}``-style containers and
    strips a ``module.`` prefix left by ``DataParallel``.

    Raises:
        WeightFileError: If no mapping of tensors is found.
    """
    if isinstance(obj, Mapping):
        for key in wrappers:
            if isinstance(obj.get(key), Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not obj:
        raise WeightFileError(
            f'{path} holds no state dict (a mapping of names to tensors, '
            'possibly under "state_dict" or "model_state_dict")')
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise WeightFileError(f'{path}: entries that are not tensors: ' +
                              ', '.join(map(str, bad)))
    out = OrderedDict(obj)
    consume_prefix_in_state_dict_if_present(out, 'module.')
    return out


def _own_storage(tensor: torch.Tensor) -> torch.Tensor:
    """A contiguous tensor that does not share a larger storage.

    ``torch.save`` writes whole storages, so a view into a bigger buffer
    would be saved with all of it.
    """
    tensor = tensor.detach().contiguous()
    if tensor.untyped_storage().nbytes() != (tensor.numel() *
                                             tensor.element_size()):
        tensor = tensor.clone()
    return tensor


def save_checkpoint(state_dict: Mapping[str, torch.Tensor],
                    meta: Dict[str, Any], dst: str, src: str) -> None:
    """Write ``{'state_dict', 'meta'}`` to ``dst`` atomically.

    The file is written next to ``dst`` under a temporary name, checked to
    load with ``weights_only=True``, then moved into place, so a failure
    never leaves a half-written ``dst``.

    Raises:
        WeightFileError: If ``dst`` is the source file or not writable.
    """
    if osp.exists(dst) and osp.samefile(dst, src):
        raise WeightFileError(f'{dst}: the output would overwrite the input')
    out_dir = osp.dirname(osp.abspath(dst))
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as err:
        raise WeightFileError(f'{dst}: cannot create {out_dir}: {err}') \
            from None
    ckpt = dict(
        state_dict=OrderedDict(
            (k, _own_storage(v)) for k, v in state_dict.items()),
        meta=meta)
    try:
        with atomic_path(dst) as tmp:
            torch.save(ckpt, tmp)
            torch.load(tmp, map_location='cpu', weights_only=True, mmap=True)
    except NoSpaceError as err:  # names dst and says it is unchanged
        raise WeightFileError(f'{err}; free space or write elsewhere') \
            from None
    except OSError as err:
        raise WeightFileError(f'{dst}: cannot write: {err}') from None
    except RuntimeError as err:
        # torch.save reports a failed write (e.g. a full disk) as a
        # RuntimeError from its zip writer; atomic_path removed the rest.
        if 'write' not in str(err):
            raise
        raise WeightFileError(
            f'{dst}: cannot write (is the disk full?): {err}; {dst} is '
            'unchanged and no partial file remains') from None
