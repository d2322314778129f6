"""fc6/fc7 as Caffe computes every convolution: im2col, then one GEMM.

Caffe's ``Convolution`` layer unrolls the input into columns and multiplies
them by the weight matrix. For the FCN trunk this is also the fast way on a
CPU: fc6 (7x7, 512->4096) runs over a map of a few hundred positions, where
a direct convolution (oneDNN) reorders its 411 MB weight on every call and
reaches about half of the machine's GEMM rate, while the unrolled product is
a single large GEMM (see ``docs/performance.md``). The result equals the
convolution up to float rounding; the FLOP count is the same.

See `FCN <https://arxiv.org/abs/1605.06211>`_ and ``caffe/src/caffe/layers/
conv_layer.cpp`` for the original computation.
"""
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

#: Largest im2col matrix (bytes) the GEMM path builds. A 500x500 image needs
#: 26 MB for fc6; beyond this (whole-image inference on multi-megapixel
#: inputs) the direct convolution is used, which needs no extra memory.
IM2COL_MAX_BYTES = 256 * 2**20


def im2col_bytes(x: Tensor, conv: nn.Conv2d) -> int:
    """Size in bytes of the column matrix of ``conv`` applied to ``x``."""
    kh, kw = conv.kernel_size
    n, c, h, w = x.shape
    positions = max(h - kh + 1, 0) * max(w - kw + 1, 0)
    return n * c * kh * kw * positions * x.element_size()


def conv_rows(x: Tensor, conv: nn.Conv2d) -> Tensor:
    """A valid, stride-1 ``conv`` of ``x`` as im2col + GEMM.

    Args:
        x (Tensor): Input of shape (N, C, H, W), any memory format.
        conv (nn.Conv2d): Convolution without padding, stride, dilation or
            groups (fc6 and fc7 of the FCN trunk).

    Returns:
        Tensor: Output rows of shape (N, Ho * Wo, C_out), one row per
        output position in row-major order.
    """
    if (conv.padding != (0, 0) or conv.stride != (1, 1)
            or conv.dilation != (1, 1) or conv.groups != 1):
        raise ValueError('conv_rows handles valid stride-1 convolutions '
                         f'only, got {conv}')
    cols = F.unfold(x, conv.kernel_size)  # (N, C*kh*kw, Ho*Wo)
    return F.linear(cols.transpose(1, 2), conv.weight.flatten(1), conv.bias)


def rows_to_map(rows: Tensor, height: int, width: int) -> Tensor:
    """(N, H*W, C) rows as an (N, C, H, W) map, without a copy.

    The result is a view in ``channels_last`` layout, which the following
    1x1 convolutions take as it is.
    """
    n, _, c = rows.shape
    return rows.transpose(1, 2).reshape(n, c, height, width)
