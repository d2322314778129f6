"""Numeric checks: plugin vs bare, reduced precision, channels_last."""
from typing import Dict

import torch
from torch import Tensor

from .cases import Pair, autocast


def max_rel_diff(a: Tensor, b: Tensor) -> float:
    """``max|a - b| / max|b|``: the error relative to the logit scale.

    Element-wise relative errors are meaningless for logits near zero, so
    the largest absolute error is divided by the largest reference value.
    """
    a, b = a.float(), b.float()
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))


def argmax_agreement(a: Tensor, b: Tensor) -> float:
    """Fraction of pixels whose predicted class is the same."""
    return float((a.argmax(0) == b.argmax(0)).float().mean())


def numeric_checks(pair: Pair, amp: str = 'bf16') -> Dict[str, float]:
    """Compare eval-mode logits of the plugin to references.

    - the bare net on the same weights (must be identical up to float
      rounding: same ops in the same order);
    - the plugin under ``torch.autocast`` with ``amp`` (bf16 / fp16);
    - the plugin with ``channels_last`` weights.

    The model is left in eval mode with its original memory format.
    """
    pair.set_mode(False)
    plugin = pair.plugin
    plugin.to(memory_format=torch.contiguous_format)
    pair.bare.to(memory_format=torch.contiguous_format)
    ref = pair.plugin_logits()
    with torch.no_grad():
        bare = pair.bare(pair.bare_inputs())[0].float()
    with autocast(pair.device, amp):
        low = pair.plugin_logits()
    plugin.to(memory_format=torch.channels_last)
    cl = pair.plugin_logits()
    if not pair.channels_last:
        plugin.to(memory_format=torch.contiguous_format)
    else:
        pair.bare.to(memory_format=torch.channels_last)
    return {
        'bare_max_rel_diff': max_rel_diff(ref, bare),
        f'{amp}_max_rel_diff': max_rel_diff(low, ref),
        f'{amp}_argmax_agreement': argmax_agreement(low, ref),
        'channels_last_max_rel_diff': max_rel_diff(cl, ref),
        'channels_last_argmax_agreement': argmax_agreement(cl, ref),
    }
