"""Tests of tools/benchmark.py and its library (tiny nets, no timing)."""
import json
import math

import pytest
import torch

from fcn_tools.benchmark import cli
from fcn_tools.benchmark.cases import build_pair
from fcn_tools.benchmark.checks import max_rel_diff, numeric_checks
from fcn_tools.benchmark.flops import count_flops
from fcn_tools.benchmark.memory import peak_rss_mb, reset_peak_rss, rss_mb
from fcn_tools.benchmark.timing import interleaved, paired_ratio

RATIOS = ('inference', 'train_step', 'gflops_vs_matmul', 'peak_memory',
          'data_vs_model')


@pytest.mark.parametrize('net',
                         ['fcn32s', 'fcn16s', 'fcn8s', 'fcn8s-atonce'])
def test_bare_net_is_the_plugin_net(net):
    """Same weights, same logits, same FLOPs: the A/B compares like with
    like."""
    pair = build_pair(net, (1, 3, 37, 45), tiny=True)
    pair.set_mode(False)
    # The plugin as configured takes the fast path; plain does not.
    assert pair.plugin.backbone.fc_gemm and pair.plugin.backbone.channels_last
    assert pair.plugin.decode_head.channels_last
    assert not pair.plain.backbone.fc_gemm
    assert not pair.plain.decode_head.channels_last
    with torch.no_grad():
        bare = pair.bare(pair.bare_inputs())[0]
    for side in ('plugin', 'plain'):
        logits = pair.plugin_logits(side)
        assert logits.shape == (21, 37, 45)
        assert logits.abs().max() > 0
        # fp32 rounding relative to the logit range (other kernels sum in
        # another order).
        assert max_rel_diff(logits, bare) < 1e-5
    flops = count_flops(pair.bare_infer)
    assert count_flops(pair.plugin_infer) == flops
    assert count_flops(pair.plain_infer) == flops
    pred = pair.plugin_infer()[0].pred_sem_seg.data[0]
    assert torch.equal(pred, pair.bare_infer()[0])


def test_train_steps_update_the_same_parameters():
    pair = build_pair('fcn8s', (1, 3, 29, 31), tiny=True)
    pair.set_mode(True)
    pair.plugin.backbone.drop6.p = pair.plain.backbone.drop6.p = 0.
    pair.plugin.backbone.drop7.p = pair.plain.backbone.drop7.p = 0.
    pair.bare.fc.drop6.p = pair.bare.fc.drop7.p = 0.
    before_p = pair.plugin.decode_head.score_pool3.weight.clone()
    before_b = pair.bare.score_pool3.weight.clone()
    losses = pair.plugin_train()
    plain = pair.plain_train()
    loss_b = pair.bare_train()
    # Without dropout the three sides compute the same summed loss.
    for loss in (losses['loss'], plain['loss']):
        torch.testing.assert_close(loss.detach(), loss_b, rtol=1e-5, atol=0)
    assert not torch.equal(before_p,
                           pair.plugin.decode_head.score_pool3.weight)
    assert not torch.equal(before_b, pair.bare.score_pool3.weight)
    torch.testing.assert_close(pair.plugin.backbone.fc6.weight,
                               pair.bare.fc.fc6.weight)
    # The fixed bilinear kernels stay fixed on both sides.
    torch.testing.assert_close(pair.plugin.decode_head.upscore8.weight,
                               pair.bare.upscore8)


def test_numeric_checks_bf16_autocast_and_fast_path_on_cpu():
    pair = build_pair('fcn8s', (1, 3, 33, 41), tiny=True)
    checks = numeric_checks(pair, 'bf16')
    assert checks['plain_vs_bare_max_rel_diff'] < 1e-6
    assert checks['plugin_vs_bare_max_rel_diff'] < 1e-5
    assert checks['plugin_vs_bare_argmax_agreement'] > 0.999
    # bf16 keeps 8 mantissa bits: ~0.4% per rounding, a few % at most.
    assert 0 < checks['bf16_max_rel_diff'] < 0.05
    assert checks['bf16_argmax_agreement'] > 0.9
    weight = pair.plugin.backbone.conv1_1.weight
    assert weight.is_contiguous(memory_format=torch.channels_last)


def test_interleaving_alternates_order():
    calls = []
    fns = {name: (lambda n=name: calls.append(n)) for name in 'abc'}
    times = interleaved(fns, repeats=3, warmup=1)
    assert calls == list('abc' + 'abc' + 'cba' + 'abc')
    assert all(len(v) == 3 for v in times.values())
    assert paired_ratio([2., 4., 9.], [1., 2., 3.]) == 2.


def test_peak_rss_reset_tracks_new_allocations():
    if not reset_peak_rss():
        pytest.skip('clear_refs not writable here')
    base = peak_rss_mb()
    block = torch.ones(64 * 1024 * 1024 // 4)  # 64 MB, touched
    assert peak_rss_mb() >= base + 48
    assert rss_mb() > 0
    del block


def test_benchmark_end_to_end(tmp_path):
    out = tmp_path / 'bench.json'
    cli.main([
        '--tiny', '--nets', 'fcn8s', '--shape', '1x3x24x32',
        '--memory-shape', '1x3x24x32', '--repeats', '1', '--warmup', '0',
        '--data-images', '2', '--data-size', '40x48', '--mm-size',
        '256,256,256', '--out',
        str(out)
    ])
    result = json.loads(out.read_text())
    for name in RATIOS:
        value = result['ratios'][name]
        assert isinstance(value, float) and math.isfinite(value), name
        assert value > 0, name
    net = result['nets']['fcn8s']
    assert net['flops']['plugin'] == net['flops']['bare'] > 0
    assert net['flops']['plain'] == net['flops']['bare']
    for measure in ('inference', 'train_step'):
        for key in ('ratio', 'plain_ratio', 'cpu_time_ratio'):
            assert math.isfinite(net[measure][key]) and net[measure][key] > 0
    assert set(net['train_step']['last_loss']) == {'plugin', 'plain', 'bare'}
    assert net['memory']['plugin']['peak_mb'] > 0
    assert set(result['pipelines']) == {'paper', 'modern'}
    assert result['machine']['torch'] == torch.__version__
    for loss in net['train_step']['last_loss'].values():
        assert math.isfinite(loss)


def test_model_options_reach_the_plugin():
    args = cli.parse_args([
        '--model-options', 'backbone.fc_gemm=False',
        'backbone.channels_last=False'
    ])
    assert args.model_options == {
        'backbone.fc_gemm': False,
        'backbone.channels_last': False
    }
    pair = build_pair('fcn32s', (1, 3, 9, 11), tiny=True,
                      options=args.model_options, with_plain=False)
    assert pair.plain is None
    assert not pair.plugin.backbone.fc_gemm
    assert pair.plugin.backbone.conv1_1.weight.is_contiguous()


def test_plain_side_takes_the_model_options_but_plain_kernels():
    pair = build_pair('fcn32s', (1, 3, 9, 11), tiny=True,
                      options={'backbone.dropout_ratio': 0.25})
    assert pair.plugin.backbone.drop6.p == pair.plain.backbone.drop6.p == 0.25
    assert pair.plugin.backbone.fc_gemm and not pair.plain.backbone.fc_gemm
