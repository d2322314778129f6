"""FLOP counting and the machine's reference matmul rate."""
from typing import Callable, Sequence, Tuple

import torch
from torch.utils.flop_counter import FlopCounterMode


def count_flops(fn: Callable[[], object]) -> int:
    """FLOPs of one call of ``fn`` (a multiply-add counts as 2).

    ``FlopCounterMode`` counts the matmul-like aten ops (convolutions,
    transposed convolutions, mm / bmm / addmm); element-wise ops, pooling
    and softmax are not counted, which is how network FLOPs are quoted.
    """
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def matmul_fn(mkn: Sequence[int],
              device: str = 'cpu',
              dtype: torch.dtype = torch.float32
              ) -> Tuple[Callable[[], torch.Tensor], int]:
    """A ``torch.mm`` of (m x k) @ (k x n) to time, and its FLOPs.

    The default size of the benchmark, 4096 x 4608 x 512, is the GEMM of a
    3x3 conv with 512 channels over a 64x64 map (conv4/conv5 of VGG16).
    """
    m, k, n = (int(v) for v in mkn)
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=gen).to(device, dtype)
    b = torch.randn(k, n, generator=gen).to(device, dtype)
    out = torch.empty(m, n, device=device, dtype=dtype)

    def run() -> torch.Tensor:
        return torch.mm(a, b, out=out)

    return run, 2 * m * k * n
