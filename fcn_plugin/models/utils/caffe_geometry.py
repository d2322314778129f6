"""Caffe-exact geometry of the FCN reference nets: crops, bilinear kernels
and feature sizes.

The offsets used by the heads are the ones Caffe's ``coord_map.crop``
derives for the VOC nets of `FCN <https://arxiv.org/abs/1605.06211>`_ (see
``fcn.berkeleyvision.org/voc-fcn*/train.prototxt``). They are not tunable:
each one is explained next to the layer that applies it.
"""
import math
from typing import Sequence, Tuple

import torch
from torch import Tensor


def caffe_crop(x: Tensor, offset: int, size: Sequence[int]) -> Tensor:
    """Crop ``x`` like Caffe's ``Crop`` layer with ``axis=2``.

    Takes ``x[..., offset:offset + h, offset:offset + w]``. The result is a
    view (no copy), and its size is the size of the reference blob, never
    "input minus twice the offset".

    Export-friendly: while ``torch.jit.trace`` (the ONNX exporter) runs,
    the sizes of a traced tensor's ``shape`` are traced values; they are
    used as they are, so the exported crop follows the input size instead
    of being frozen at the size seen during the export. Eagerly the
    function is unchanged.

    Args:
        x (Tensor): Blob of shape (N, C, H, W).
        offset (int): Offset applied to both spatial axes.
        size (Sequence[int]): (h, w) of the reference blob, e.g. the
            ``shape[-2:]`` of the network input or of the other blob.

    Returns:
        Tensor: The cropped view of shape (N, C, h, w).
    """
    if torch.jit.is_tracing():
        # int() would bake the traced size into the graph as a constant.
        h, w = size[0], size[1]
    else:
        h, w = int(size[0]), int(size[1])
        if x.shape[-2] < offset + h or x.shape[-1] < offset + w:
            raise ValueError(
                f'Caffe crop at offset {offset} to {h}x{w} does not fit a '
                f'{x.shape[-2]}x{x.shape[-1]} blob; the size handed to the '
                'FCN head is not the size of the network input')
    return x[:, :, offset:offset + h, offset:offset + w]


def bilinear_kernel(channels: int, kernel_size: int) -> Tensor:
    """Bilinear upsampling weights for a ``ConvTranspose2d``.

    Same kernel as ``surgery.upsample_filt`` in the reference: channel ``c``
    feeds only channel ``c`` (a diagonal weight), and each slice is the
    outer product of a triangle filter.

    Args:
        channels (int): Input (= output) channels of the transposed conv.
        kernel_size (int): Square kernel size, 2x the stride in FCN.

    Returns:
        Tensor: Weight of shape (channels, channels, k, k).
    """
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = torch.arange(kernel_size, dtype=torch.float64)
    filt1d = 1 - (og - center).abs() / factor
    filt = (filt1d[:, None] * filt1d[None, :]).float()
    weight = torch.zeros(channels, channels, kernel_size, kernel_size)
    idx = torch.arange(channels)
    weight[idx, idx] = filt
    return weight


def pooled_size(size: int, first_pad: int = 100, num_pools: int = 5) -> int:
    """Spatial size after conv1 (padded by ``first_pad``) and ceil pools.

    Args:
        size (int): Input height or width.
        first_pad (int): Padding of conv1_1. Defaults to 100.
        num_pools (int): Number of 2x2/2 ceil-mode pools. Defaults to 5.

    Returns:
        int: The size of ``pool{num_pools}``.
    """
    # conv1_1 (3x3, pad first_pad) grows the map by 2*first_pad - 2; every
    # other 3x3 conv has pad 1 and keeps the size.
    s = size + 2 * first_pad - 2
    for _ in range(num_pools):
        s = math.ceil((s - 2) / 2) + 1
    return s


def fc_size(size: int, first_pad: int = 100) -> int:
    """Spatial size of fc6/fc7/score_fr (7x7 valid conv after pool5)."""
    return pooled_size(size, first_pad, 5) - 6


def input_hw(hw: Sequence[int]) -> Tuple[int, int]:
    """Normalise a shape-like (H, W[, C]) to an ``(H, W)`` tuple of ints."""
    return int(hw[0]), int(hw[1])
