"""EncoderDecoder with the trunk held in bfloat16 for CPU inference."""
from typing import Optional, Tuple, Type

import torch
import torch.nn as nn
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor

#: Precisions of :class:`PrecisionEncoderDecoder`.
PRECISIONS = ('fp32', 'bf16')
#: Trunk modules without a bf16 CPU kernel, run in fp32 inside a bf16
#: trunk: ``nn.LocalResponseNorm`` (CaffeNet's norm1 / norm2) sums its
#: squares with ``avg_pool3d``, which has none (``torch.autocast`` runs it
#: in fp32 too). They have no weights.
FP32_MODULES: Tuple[Type[nn.Module], ...] = (nn.LocalResponseNorm, )


def _fp32_inputs(module: nn.Module, args: tuple) -> tuple:
    """Forward pre-hook: the module's tensor inputs in fp32."""
    return tuple(a.float() if torch.is_tensor(a) else a for a in args)


def _bf16_output(module: nn.Module, args: tuple, output: Tensor) -> Tensor:
    """Forward hook: the module's output back in bf16."""
    return output.to(torch.bfloat16)


def bf16_cpu_problem() -> Optional[str]:
    """Why this CPU cannot run the bf16 trunk fast, or None.

    bf16 convolutions and GEMMs are fast only with the CPU's own bf16
    instructions (``avx512_bf16`` or AMX); without them oneDNN emulates
    bf16 and runs slower than fp32.
    """
    cpu = getattr(torch, 'cpu', None)
    checks = [
        getattr(cpu, '_is_avx512_bf16_supported', None),
        getattr(cpu, '_is_amx_tile_supported', None)
    ]
    if any(check is not None and check() for check in checks):
        return None
    return ('precision bf16 needs a CPU with bf16 instructions '
            '(avx512_bf16 or amx_bf16 in /proc/cpuinfo flags); this CPU '
            'has neither: use precision fp32')


@MODELS.register_module()
class PrecisionEncoderDecoder(EncoderDecoder):
    """MMSeg's ``EncoderDecoder`` with a bf16 trunk for CPU inference.

    For the VGG16 trunk of `FCN <https://arxiv.org/abs/1605.06211>`_,
    nearly all FLOPs are convolutions and fc6/fc7 GEMMs, which a CPU with
    bf16 instructions (AVX512-BF16, AMX) runs at several times its fp32
    rate. With ``precision='bf16'`` the backbone (and neck) weights are
    cast to bfloat16 once, when the model is built (a checkpoint loaded
    later is converted as it is copied into them); each call casts only
    the preprocessed image to bf16 and the features back to fp32 (and the
    output of each :data:`FP32_MODULES` layer, e.g. the LRN of
    FCN-AlexNet's CaffeNet trunk, which runs in fp32, to bf16). The head
    (score layers, bilinear upsampling, crops) stays fp32, so its fixed
    bilinear kernels are exact and the logits come out in fp32.
    ``torch.autocast`` instead re-casts every weight (fc6 alone is 411 MB)
    on every call.

    Select it from any FCN config, e.g.::

        --cfg-options model.type=PrecisionEncoderDecoder \\
            model.precision=bf16

    Args:
        precision (str): 'fp32' (exactly ``EncoderDecoder``) or 'bf16'.
            Defaults to 'fp32'.
        **kwargs: ``EncoderDecoder`` arguments.

    Raises:
        ValueError: On an unknown precision, or 'bf16' on a CPU without
            bf16 instructions.
    """

    def __init__(self, precision: str = 'fp32', **kwargs) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f'model.precision must be one of {PRECISIONS}, '
                             f'got {precision!r}')
        if precision == 'bf16':
            problem = bf16_cpu_problem()
            if problem is not None:
                raise ValueError(problem)
        super().__init__(**kwargs)
        self.precision = precision
        if precision == 'bf16':
            trunk = [self.backbone] + ([self.neck] if self.with_neck else [])
            for part in trunk:
                part.to(torch.bfloat16)
                for module in part.modules():
                    if isinstance(module, FP32_MODULES):
                        module.register_forward_pre_hook(_fp32_inputs)
                        module.register_forward_hook(_bf16_output)

    def extract_feat(self, inputs: Tensor):
        """Backbone (and neck) features, computed in the trunk's precision
        and returned in fp32."""
        if self.precision == 'fp32':
            return super().extract_feat(inputs)
        feats = super().extract_feat(inputs.to(torch.bfloat16))
        return [feat.float() for feat in feats]

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Training losses; fp32 only."""
        if self.precision != 'fp32':
            raise ValueError(
                f'model.precision={self.precision!r} is for inference: '
                'train with model.precision=fp32 (or MMEngine\'s '
                'AmpOptimWrapper for mixed-precision training)')
        return super().loss(inputs, data_samples)


def set_precision(model_cfg: dict, precision: str) -> dict:
    """Make a model config run in ``precision`` (what ``--precision`` of
    the tools does).

    Args:
        model_cfg (dict): The ``model`` dict of a config, changed in place.
        precision (str): 'fp32' or 'bf16'.

    Returns:
        dict: ``model_cfg``, its type ``PrecisionEncoderDecoder`` unless it
        stays plain fp32.

    Raises:
        ValueError: On an unknown precision or a segmentor other than
            ``EncoderDecoder``.
    """
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be one of {PRECISIONS}, got '
                         f'{precision!r}')
    kind = str(model_cfg.get('type', '')).split('.')[-1]
    if kind == 'PrecisionEncoderDecoder':
        model_cfg['precision'] = precision
    elif precision != 'fp32':
        if kind != 'EncoderDecoder':
            raise ValueError(
                f'precision {precision} needs model.type=EncoderDecoder '
                f'(it becomes PrecisionEncoderDecoder), got {kind!r}')
        model_cfg['type'] = 'PrecisionEncoderDecoder'
        model_cfg['precision'] = precision
    return model_cfg
