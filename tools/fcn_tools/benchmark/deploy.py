"""Inference backends side by side: PyTorch fp32, PyTorch bf16, ONNX
Runtime fp32.

One net, one input, one process. The three backends and two reference
``torch.mm`` (fp32 and bf16, same size) are timed in the same interleaved
loop, so each backend's GFLOP/s is compared with the matmul rates of the
same moments of a shared machine:

- ``pytorch_fp32``: the plugin as its config builds it, ``test_step``;
- ``pytorch_bf16``: the same weights in ``PrecisionEncoderDecoder`` with
  ``precision='bf16'`` (trunk weights cast once), ``test_step``;
- ``onnxruntime_fp32``: the file ``tools/deployment/pytorch2onnx.py
  --dynamic`` writes for that model, in an ONNX Runtime CPU session,
  image in, logits out (the graph includes the mean subtraction).

FLOPs are those of the fp32 plugin (the same network in every backend).
"""
import os.path as osp
import tempfile
from typing import Callable, Dict, List, Optional, Sequence

import torch

from .cases import build_plugin, fake_batch, packed_data
from .flops import count_flops, matmul_fn
from .timing import interleaved, median, paired_ratio

#: Backends, in the order of the printed rows.
BACKENDS = ('pytorch_fp32', 'pytorch_bf16', 'onnxruntime_fp32')
#: Speed-ups and matmul shares the deployment issue asks of bf16.
BF16_TARGETS = dict(speedup=3.5, bf16_mm_share=0.5)


def _ort_session(model: torch.nn.Module, shape: Sequence[int], tmp: str,
                 threads: int) -> Callable:
    """Export ``model`` (dynamic axes) and return an ONNX Runtime call."""
    from fcn_tools.deploy.export import export_onnx
    from fcn_tools.deploy.runtime import OrtSegmentor
    path = osp.join(tmp, 'model.onnx')
    export_onnx(model, path, shape=shape, dynamic=True)
    return OrtSegmentor(path, threads=threads)


def bench_deploy(net: str,
                 shape: Sequence[int],
                 mm_size: Sequence[int],
                 repeats: int = 3,
                 warmup: int = 1,
                 threads: int = 1,
                 tiny: bool = False,
                 seed: int = 0,
                 backends: Sequence[str] = BACKENDS) -> dict:
    """Time the inference backends of one net against fp32 and bf16 mm.

    Args:
        net (str): A net of ``cases.MODEL_CONFIGS`` ('fcn8s', 'fcn32s-alexnet'
            ...).
        shape (Sequence[int]): (N, 3, H, W) input.
        mm_size (Sequence[int]): m, k, n of the reference matmuls.
        repeats (int): Timed calls of each backend.
        warmup (int): Untimed calls first.
        threads (int): ONNX Runtime intra-op threads (torch's are set by
            the caller).
        tiny (bool): Narrow widths (smoke runs).
        seed (int): Weight and image seed.
        backends (Sequence[str]): Subset of :data:`BACKENDS`.

    Returns:
        dict: Per backend: seconds, GFLOP/s, paired ratios to fp32 time
        and to the fp32 and bf16 matmul rates; plus the FLOPs, the matmul
        rates, and bf16's argmax agreement with fp32.
    """
    imgs, _ = fake_batch(shape, seed=seed)
    data = packed_data(imgs)
    fp32 = build_plugin(net, tiny, seed).eval()
    fns: Dict[str, Callable[[], object]] = {}

    @torch.no_grad()
    def run_fp32():
        return fp32.test_step(data)

    fns['pytorch_fp32'] = run_fp32
    if 'pytorch_bf16' in backends:
        bf16 = build_plugin(
            net, tiny, seed,
            dict(type='PrecisionEncoderDecoder', precision='bf16')).eval()
        bf16.load_state_dict(fp32.state_dict())

        @torch.no_grad()
        def run_bf16():
            return bf16.test_step(data)

        fns['pytorch_bf16'] = run_bf16
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        if 'onnxruntime_fp32' in backends:
            ort = _ort_session(fp32, shape, tmp, threads)
            array = imgs.float().numpy()
            fns['onnxruntime_fp32'] = lambda: ort(array)
        flops = count_flops(run_fp32)
        mms = {}
        for name, dtype in (('mm_fp32', torch.float32),
                            ('mm_bf16', torch.bfloat16)):
            mm, mm_flops = matmul_fn(mm_size, 'cpu', dtype)
            # A slot does about a quarter of the network's work.
            calls = max(1, round(flops / 4 / mm_flops))
            mms[name] = (mm, calls * mm_flops, calls)

        def slot(mm, calls):
            return lambda: [mm() for _ in range(calls)]

        for name, (mm, _, calls) in mms.items():
            fns[name] = slot(mm, calls)
        t = interleaved(fns, repeats, warmup)
        if 'pytorch_bf16' in backends:
            # test_step writes into the shared data samples: clone.
            ref = run_fp32()[0].pred_sem_seg.data.clone()
            low = run_bf16()[0].pred_sem_seg.data.clone()
            out['bf16_argmax_agreement'] = float(
                (ref == low).float().mean())

    def rate(name: str, work: int) -> List[float]:
        return [work / s / 1e9 for s in t[name]]

    mm_rates = {name: rate(name, work) for name, (_, work, _) in mms.items()}
    out.update(
        flops=flops,
        mm_size=list(mm_size),
        mm_fp32_gflops_per_s=median(mm_rates['mm_fp32']),
        mm_bf16_gflops_per_s=median(mm_rates['mm_bf16']),
        backends={})
    for name in BACKENDS:
        if name not in fns:
            continue
        gflops = rate(name, flops)
        seconds = median(t[name])
        out['backends'][name] = dict(
            seconds=seconds,
            gflops_per_s=flops / seconds / 1e9,
            speedup_vs_fp32=paired_ratio(t['pytorch_fp32'], t[name]),
            vs_mm_fp32=paired_ratio(gflops, mm_rates['mm_fp32']),
            vs_mm_bf16=paired_ratio(gflops, mm_rates['mm_bf16']),
            times=t[name])
    return out


def deploy_rows(net: str, result: dict) -> List[List[str]]:
    """Table rows: backend, net, s/batch, GFLOP/s, x fp32, x mm fp32,
    x mm bf16."""
    rows = []
    for name, r in result['backends'].items():
        rows.append([
            name, net, f'{r["seconds"]:.3f}', f'{r["gflops_per_s"]:.0f}',
            f'{r["speedup_vs_fp32"]:.2f}x', f'{r["vs_mm_fp32"]:.2f}',
            f'{r["vs_mm_bf16"]:.2f}'
        ])
    rows.append([
        'torch.mm fp32 / bf16', net, '-',
        f'{result["mm_fp32_gflops_per_s"]:.0f} / '
        f'{result["mm_bf16_gflops_per_s"]:.0f}', '-', '-', '-'
    ])
    return rows


def format_deploy(results: Dict[str, dict],
                  load: Optional[str] = None) -> str:
    """The inference-backend table of every net, as printed."""
    header = [
        'backend', 'net', 's/batch', 'GFLOP/s', 'vs fp32', 'of mm fp32',
        'of mm bf16'
    ]
    rows = [header]
    for net, result in results.items():
        rows += deploy_rows(net, result)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ['  '.join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    for net, result in results.items():
        if 'bf16_argmax_agreement' in result:
            lines.append(f'{net}: bf16 argmax equals fp32 on '
                         f'{result["bf16_argmax_agreement"]:.2%} of pixels '
                         '(random weights)')
    if load:
        lines.append(f'load average during the run: {load}')
    return '\n'.join(lines)
