"""Distributed training on machines without CUDA (torchrun + gloo).

Used by ``tools/train.py`` and ``tools/test.py`` on the config, before the
Runner is built.
"""
import contextlib
import datetime
import gc
import logging
import traceback
from typing import Iterator

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log


def init_cpu_dist(launcher: str, cfg: Config) -> bool:
    """Start ``torch.distributed`` with gloo when there is no CUDA.

    MMEngine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and
    wraps the model with ``device_ids=[LOCAL_RANK]``, which fails on a
    machine without GPUs. Here the process group (from torchrun's
    environment) is created with the gloo backend first, so the Runner
    skips its own ``init_dist``, and the model wrapper gets
    ``device_ids=None`` (a CPU ``DistributedDataParallel``). With CUDA,
    nothing changes (MMSeg's nccl setup).

    Args:
        launcher (str): The ``--launcher`` of the tool.
        cfg (Config): The run's config; ``env_cfg.dist_cfg.backend`` and
            ``model_wrapper_cfg`` are updated in place.

    Returns:
        bool: Whether the process group was created here.
    """
    if launcher != 'pytorch' or torch.cuda.is_available():
        return False
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    dist_cfg = env_cfg.setdefault('dist_cfg', ConfigDict())
    if dist_cfg.get('backend', 'nccl') != 'gloo':
        print_log(
            f'no CUDA device: distributed backend gloo instead of '
            f'{dist_cfg.get("backend", "nccl")}',
            logger='current',
            level=logging.WARNING)
    dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg', None)
    if wrapper is None:
        wrapper = ConfigDict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
    if torch_dist.is_initialized():
        return False
    kwargs = {}
    if dist_cfg.get('timeout') is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=dist_cfg['timeout'])
    torch_dist.init_process_group(backend='gloo', **kwargs)
    return True


@contextlib.contextmanager
def cpu_dist(launcher: str, cfg: Config) -> Iterator[None]:
    """:func:`init_cpu_dist` for the body, then the gloo group ended.

    The group's C++ object owns gloo's threads (``gloo_tcp_loop`` and the
    ``pt_gloo_runloop`` workers) and is only destroyed, joining them, when
    its last reference goes. ``destroy_process_group`` drops the
    registry's reference, but the Runner's ``DistributedDataParallel``
    and its reducer hold others, and the Runner sits in reference cycles
    (hooks, message hub), so without a collection the group outlived
    ``main`` and was torn down during interpreter finalization with its
    threads still running: a rank could abort after a run that finished
    (``terminate called without an active exception``, SIGABRT). Here the
    cycles are collected first, so destroying the group joins its threads
    while the interpreter is whole. When the body raises, the frames of
    the traceback (which hold the Runner) are cleared first; the
    traceback's text is kept.

    Args:
        launcher (str): The ``--launcher`` of the tool.
        cfg (Config): The run's config, updated as by :func:`init_cpu_dist`.
    """
    created = init_cpu_dist(launcher, cfg)
    try:
        yield
    except BaseException as exc:
        if created:
            traceback.clear_frames(exc.__traceback__)
        raise
    finally:
        if created and torch_dist.is_initialized():
            gc.collect()
            torch_dist.destroy_process_group()


__all__ = ['cpu_dist', 'init_cpu_dist']
