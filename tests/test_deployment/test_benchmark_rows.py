"""The benchmark's inference-backend rows (tools/fcn_tools/benchmark)."""
import math

import pytest

from fcn_tools.benchmark.deploy import BACKENDS, bench_deploy, format_deploy


@pytest.mark.parametrize('net', ['fcn16s', 'fcn32s-alexnet'])
def test_backend_rows_side_by_side(net):
    result = bench_deploy(
        net, (1, 3, 41, 29), (128, 256, 64),
        repeats=2,
        warmup=0,
        threads=1,
        tiny=True)
    assert result['flops'] > 0
    assert set(result['backends']) == set(BACKENDS)
    fp32 = result['backends']['pytorch_fp32']
    assert fp32['speedup_vs_fp32'] == 1.
    for name, row in result['backends'].items():
        assert len(row['times']) == 2, name
        for key in ('seconds', 'gflops_per_s', 'speedup_vs_fp32',
                    'vs_mm_fp32', 'vs_mm_bf16'):
            assert math.isfinite(row[key]) and row[key] > 0, (name, key)
        # GFLOP/s is the fp32 plugin's FLOPs over this backend's time.
        assert math.isclose(
            row['gflops_per_s'],
            result['flops'] / row['seconds'] / 1e9,
            rel_tol=1e-9)
    assert 0.5 < result['bf16_argmax_agreement'] <= 1
    table = format_deploy({net: result}, load='1.0 1.0 1.0')
    lines = table.splitlines()
    assert lines[0].split() == [
        'backend', 'net', 's/batch', 'GFLOP/s', 'vs', 'fp32', 'of', 'mm',
        'fp32', 'of', 'mm', 'bf16'
    ]
    assert [ln.split()[0] for ln in lines[1:4]] == list(BACKENDS)
    assert lines[1].split()[4] == '1.00x'
    assert lines[-1] == 'load average during the run: 1.0 1.0 1.0'
