"""Stop training at the first non-finite loss, before it is saved."""
import math
from typing import Any, Dict, Mapping, Optional

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from fcn_plugin.errors import NonFiniteLossError
from .fcn_checkpoint_hook import recorded_checkpoint

HINT = ('Lower the learning rate (optim_wrapper.optimizer.lr) or clip '
        'gradients (optim_wrapper.clip_grad), and check the data (labels '
        'outside 0..num_classes-1 other than the ignore index, images '
        'that fail to load). For the paper recipe, lr=1e-10 with the '
        "summed loss (loss_decode reduction='sum') is right; a mean loss "
        "(reduction='mean') takes rates around 1e-3.")
#: The model base with a mean loss, for MMSeg's schedules.
MEAN_LOSS_BASE = 'configs/_base_/models/fcn8s-atonce_vgg16_mean-loss.py'
#: Above this lr a summed (Caffe) loss is the likely cause.
SUMMED_LOSS_MAX_LR = 1e-6


def _summed_loss_hint(runner) -> Optional[str]:
    """What to change when a summed loss meets a modern learning rate.

    The paper's unnormalised loss grows with the pixel count, so it only
    trains at lr 1e-10..1e-14; MMSeg's schedules (lr 1e-2) make it diverge
    within a few iterations.
    """
    model = getattr(runner, 'model', None)
    model = getattr(model, 'module', model)
    losses = getattr(getattr(model, 'decode_head', None), 'loss_decode',
                     None)
    losses = list(losses) if isinstance(losses, torch.nn.ModuleList) \
        else [losses]
    if not any(getattr(loss, 'reduction', None) == 'sum' for loss in losses):
        return None
    try:
        lrs = runner.optim_wrapper.get_lr()['lr']
    except (AttributeError, KeyError, TypeError):
        return None
    lr = max(lrs)
    if lr <= SUMMED_LOSS_MAX_LR:
        return None
    return (f"The model has the paper's summed loss (decode_head.loss_decode "
            f"reduction='sum'), which only trains at lr 1e-10..1e-14, but "
            f'the lr is {lr:g}. With an MMSeg schedule use the mean-loss '
            f'model base {MEAN_LOSS_BASE} (or set model.decode_head.'
            "loss_decode.reduction='mean'); see the README, 'Your own "
            "dataset'.")


def _bad_values(values: Mapping[str, Any]) -> Dict[str, float]:
    bad = {}
    for key, value in values.items():
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                continue
            value = value.item()
        if isinstance(value, (int, float)) and not math.isfinite(value):
            bad[key] = float(value)
    return bad


@HOOKS.register_module()
class FCNNanGuardHook(Hook):
    """Stop training with a clear message when the loss becomes NaN/inf.

    With the unnormalised loss of `FCN <https://arxiv.org/abs/1605.06211>`_
    (summed over all pixels) the usable learning rate is tiny (1e-10 in the
    paper); a wrong one makes the loss explode to inf/NaN, and every
    later checkpoint would hold NaN weights. This hook checks the losses
    after each iteration, before the checkpoint and logger hooks run
    (priority ``ABOVE_NORMAL``), on every rank, and raises
    :class:`NonFiniteLossError` naming the iteration and what to do; the
    last saved checkpoint stays the last good one. It also refuses to save
    a checkpoint whose weights are not finite (an update can break the
    weights one iteration before the loss shows it).

    Add it with ``custom_hooks = [dict(type='FCNNanGuardHook')]``.

    Args:
        check_weights (bool): Check the weights before each save.
            Defaults to True.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, check_weights: bool = True) -> None:
        self.check_weights = check_weights

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        """Raise if a loss of this iteration (on any rank) is not finite."""
        bad = _bad_values(outputs or {})
        flag = torch.tensor(float(bool(bad)))
        all_reduce(flag)
        if not bad and flag.item() == 0:
            return
        where = ', '.join(f'{k}={v}' for k, v in bad.items()) or \
            'on another rank'
        self._stop(runner, f'the loss is not finite at iteration '
                   f'{runner.iter + 1} ({where})')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse to write a checkpoint with NaN/inf weights."""
        if not self.check_weights:
            return
        state = checkpoint.get('state_dict', {})
        bad = [
            k for k, v in state.items()
            if isinstance(v, torch.Tensor) and v.is_floating_point()
            and not bool(torch.isfinite(v).all())
        ]
        if bad:
            self._stop(
                runner, f'the weights are not finite at iteration '
                f'{runner.iter + 1} ({", ".join(bad[:3])}'
                f'{", ..." if len(bad) > 3 else ""}); the checkpoint is '
                'not saved')

    @staticmethod
    def _stop(runner, what: str) -> None:
        # The record, not the message hub: MMEngine names the checkpoint
        # there before saving it (before_save_checkpoint sees the new name).
        last = recorded_checkpoint(runner.work_dir)
        kept = f' The last checkpoint, {last}, is kept.' if last else ''
        summed = _summed_loss_hint(runner)
        hint = f'{summed} {HINT}' if summed else HINT
        message = f'Training stopped: {what}.{kept} {hint}'
        runner.logger.error(message)
        raise NonFiniteLossError(message)
