"""Numeric checks: plugin vs bare, plain kernels, reduced precision."""
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
    """Compare eval-mode logits of the three sides and of autocast.

    - plain plugin vs bare net: the same kernels in the same order, so
      identical up to float rounding;
    - plugin (im2col + GEMM fc6/fc7, NHWC) vs bare: the same function
      computed by other kernels, so equal to a few fp32 ulps;
    - the plugin under ``torch.autocast`` with ``amp`` (bf16 / fp16) vs the
      plugin in fp32.

    The models are left in eval mode.
    """
    pair.set_mode(False)
    ref = pair.plugin_logits()
    with torch.no_grad():
        bare = pair.bare(pair.bare_inputs())[0].float()
    with autocast(pair.device, amp):
        low = pair.plugin_logits()
    out = {
        'plugin_vs_bare_max_rel_diff': max_rel_diff(ref, bare),
        'plugin_vs_bare_argmax_agreement': argmax_agreement(ref, bare),
        f'{amp}_max_rel_diff': max_rel_diff(low, ref),
        f'{amp}_argmax_agreement': argmax_agreement(low, ref),
    }
    if pair.plain is not None:
        out['plain_vs_bare_max_rel_diff'] = max_rel_diff(
            pair.plugin_logits('plain'), bare)
    return out
