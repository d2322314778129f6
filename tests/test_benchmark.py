"""Tests of tools/benchmark.py and its library (tiny nets, no timing): the
plugin against the bare net, FCN-AlexNet beside FCN-VGG16, and the NYUDv2
late fusion beside the single-stream net."""
import json
import math
import re

import pytest
import torch

from fcn_tools.benchmark import cli
from fcn_tools.benchmark.cases import TINY_WIDTHS, build_pair, build_plugin
from fcn_tools.benchmark.checks import max_rel_diff, numeric_checks
from fcn_tools.benchmark.flops import count_flops
from fcn_tools.benchmark.memory import peak_rss_mb, reset_peak_rss, rss_mb
from fcn_tools.benchmark.timing import interleaved, paired_ratio
from fcn_tools.benchmark.trunks import (TrunkSteps, bench_trunks,
                                        count_parameters)

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
        '256,256,256', '--skip', 'trunks', '--out',
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


def alexnet_flops(h: int, w: int, widths, fc: int,
                  classes: int = 21) -> int:
    """FLOPs (2 x multiply-adds) of voc-fcn-alexnet's convolutions and its
    63 / 32 deconvolution on an h x w image, from Caffe's layer table."""

    def pool(s):  # 3x3 / 2, rounding up
        return math.ceil((s - 3) / 2) + 1

    def conv(cin, cout, k, group, dims):
        return 2 * cout * (cin // group) * k * k * dims[0] * dims[1]

    c1, c2, c3, c4, c5 = widths
    dims = [(s + 200 - 11) // 4 + 1 for s in (h, w)]  # conv1, pad 100
    total = conv(3, c1, 11, 1, dims)
    dims = [pool(s) for s in dims]
    total += conv(c1, c2, 5, 2, dims)
    dims = [pool(s) for s in dims]
    total += (conv(c2, c3, 3, 1, dims) + conv(c3, c4, 3, 2, dims) +
              conv(c4, c5, 3, 2, dims))
    dims = [pool(s) - 5 for s in dims]  # pool5, then fc6 6x6 valid
    total += (conv(c5, fc, 6, 1, dims) + conv(fc, fc, 1, 1, dims) +
              conv(fc, classes, 1, 1, dims))
    # the transposed conv: every input pixel spreads a 63x63 kernel
    return total + 2 * classes * classes * 63 * 63 * dims[0] * dims[1]


def test_full_width_parameters_are_the_papers():
    """57M for FCN-AlexNet against 134M for FCN-VGG16 (table 1): the
    trained parameters with 21 classes; the fixed bilinear kernels
    (21 x 21 x 63 x 63, 21 x 21 x 64 x 64) besides."""
    counts = {
        net: count_parameters(build_plugin(net))
        for net in ('fcn32s', 'fcn32s-alexnet')
    }
    # bvlc_reference_caffenet's convs (group 2 halves conv2/4/5 inputs),
    # fc6 6x6 / fc7 as convs, score_fr
    caffenet = [(96, 3, 11), (256, 48, 5), (384, 256, 3), (384, 192, 3),
                (256, 192, 3), (4096, 256, 6), (4096, 4096, 1), (21, 4096, 1)]
    trained = sum(o * i * k * k + o for o, i, k in caffenet)
    assert counts['fcn32s-alexnet'] == (trained + 21 * 21 * 63 * 63, trained)
    assert round(trained / 1e6) == 57
    assert round(counts['fcn32s'][1] / 1e6) == 134
    assert counts['fcn32s'][0] - counts['fcn32s'][1] == 21 * 21 * 64 * 64


def run_trunk_case(case: str, tmp_path, capsys) -> tuple:
    """``tools/benchmark.py`` with only part ``trunks`` for ``case`` (and
    its group's reference): tiny, 37x45, memory at 24x32, 2 repeats. The
    printed text and the saved JSON."""
    out = tmp_path / 'bench.json'
    cli.main([
        '--tiny', '--skip', 'nets', 'data', 'deploy', '--trunk-cases', case,
        '--trunk-shape', '1x3x37x45', '--memory-shape', '1x3x24x32',
        '--repeats', '2', '--warmup', '0', '--out',
        str(out)
    ])
    return capsys.readouterr().out, json.loads(out.read_text())


def test_alexnet_beside_vgg16_in_one_run(tmp_path, capsys):
    printed, saved = run_trunk_case('fcn32s-alexnet', tmp_path, capsys)
    result = saved['trunks']
    assert result['reference'] == 'fcn32s'
    cases = result['cases']
    assert list(cases) == ['fcn32s', 'fcn32s-alexnet']
    alexnet, vgg = cases['fcn32s-alexnet'], cases['fcn32s']
    assert (alexnet['title'], vgg['title']) == ('FCN-AlexNet',
                                                'FCN-VGG16 (FCN-32s)')
    widths, fc = TINY_WIDTHS['stage_channels'], TINY_WIDTHS['fc_channels']
    assert alexnet['flops'] == alexnet_flops(37, 45, widths, fc)
    assert 0 < alexnet['flops'] < vgg['flops']
    ratios = result['ratios']
    for key in ('flops', 'params', 'trainable_params'):
        assert ratios['fcn32s-alexnet'][key] == alexnet[key] / vgg[key]
    assert alexnet['trainable_params'] < alexnet['params']  # fixed upscore
    for measure in ('inference', 'train_step'):
        for case in cases.values():
            assert len(case[f'{measure}_times']) == 2
            assert case[f'{measure}_s'] > 0 and case[f'{measure}_cpu_s'] > 0
        for key in (measure, f'{measure}_cpu'):
            assert ratios['fcn32s'][key] == 1.
            value = ratios['fcn32s-alexnet'][key]
            assert math.isfinite(value) and value > 0, key
    for name, case in cases.items():
        assert case['memory']['case'] == name
        assert case['memory']['shape'] == [1, 3, 24, 32]
        assert case['memory']['peak_mb'] > 0
    assert ratios['fcn32s-alexnet']['peak_memory'] == (
        alexnet['memory']['peak_mb'] / vgg['memory']['peak_mb'])
    # the paper's figures beside the measured ones (K40: 50 / 210 ms)
    assert ratios['fcn32s-alexnet']['paper'] == pytest.approx(
        dict(params_m=57 / 134, k40_ms=50 / 210, mean_iu=39.8 / 56.0))
    assert '| measure ' in printed and 'FCN-AlexNet' in printed
    assert re.search(
        r'FCN-AlexNet / FCN-VGG16 \(FCN-32s\): inference time \d\.\d\dx '
        r'\(paper, K40: 0\.24x\), trained parameters \d\.\d\dx \(paper: '
        r'0\.43x\)',
        printed)


def test_plain_kernel_case_is_the_same_vgg16_net():
    """The third case of the comparison computes FCN-VGG16's function with
    the kernels the CaffeNet trunk has (direct convs, NCHW)."""
    steps = TrunkSteps(['fcn32s', 'fcn32s-plain-kernels'], (1, 3, 29, 35),
                       tiny=True)
    steps.set_mode(False)
    fast, plain = steps.models['fcn32s'], steps.models['fcn32s-plain-kernels']
    assert fast.backbone.fc_gemm and not plain.backbone.fc_gemm
    assert not plain.backbone.channels_last
    logits = [
        steps.infer[name]()[0].seg_logits.data
        for name in ('fcn32s', 'fcn32s-plain-kernels')
    ]
    assert max_rel_diff(*logits) < 1e-5
    assert count_flops(steps.infer['fcn32s']) == count_flops(
        steps.infer['fcn32s-plain-kernels'])


def test_deploy_rows_take_other_nets():
    args = cli.parse_args(['--nets', 'fcn8s', '--deploy-nets',
                           'fcn32s-alexnet'])
    assert args.deploy_nets == ['fcn32s-alexnet']
    assert cli.parse_args([]).deploy_nets is None  # then: --nets
    with pytest.raises(SystemExit):
        cli.parse_args(['--nets', 'fcn32s-alexnet'])  # no bare twin


def vgg16_fcn32s_flops(h: int, w: int, widths, fc: int,
                       classes: int) -> int:
    """FLOPs (2 x multiply-adds) of one voc-fcn32s / nyud-fcn32s-color
    stream on an h x w image, from Caffe's layer table: 13 3x3 convs
    (conv1_1 pad 100), 2x2 / 2 pools rounding up, fc6 7x7 valid, fc7,
    score_fr, and the 64 / 32 deconvolution."""
    dims, cin, total = [s + 198 for s in (h, w)], 3, 0
    for width, convs in zip(widths, (2, 2, 3, 3, 3)):
        for _ in range(convs):
            total += 2 * width * cin * 9 * dims[0] * dims[1]
            cin = width
        dims = [math.ceil(s / 2) for s in dims]
    pixels = score_pixels(h, w)
    total += 2 * pixels * (fc * cin * 49 + fc * fc + classes * fc)
    return total + upscore_flops(h, w, classes)


def score_pixels(h: int, w: int) -> int:
    """Cells of the score_fr map of an h x w image (pad 100, five ceil
    pools, fc6 7x7 valid)."""
    dims = [s + 198 for s in (h, w)]
    for _ in range(5):
        dims = [math.ceil(s / 2) for s in dims]
    return (dims[0] - 6) * (dims[1] - 6)


def upscore_flops(h: int, w: int, classes: int) -> int:
    """FLOPs of the 64 / 32 deconvolution of FCN-32s on an h x w image."""
    return 2 * classes * classes * 64 * 64 * score_pixels(h, w)


def markdown_rows(text: str) -> dict:
    """First cell -> the other cells of each Markdown table line."""
    rows = {}
    for line in text.splitlines():
        if line.startswith('| '):
            cells = [c.strip() for c in line.strip('|').split('|')]
            rows[cells[0]] = cells[1:]
    return rows


def test_late_fusion_beside_one_stream_in_one_run(tmp_path, capsys):
    """Group nyud: the RGB-HHA late fusion (two streams, 6 channels)
    against the RGB net (3 channels), 40 classes, each fed its own
    input."""
    printed, saved = run_trunk_case('nyud-rgb-hha', tmp_path, capsys)
    assert 'trunks' not in saved  # the backbone group was not asked for
    result = saved['trunks_nyud']
    assert (result['group'], result['reference']) == ('nyud', 'nyud-rgb')
    cases = result['cases']
    assert list(cases) == ['nyud-rgb', 'nyud-rgb-hha']
    rgb, late = cases['nyud-rgb'], cases['nyud-rgb-hha']
    assert rgb['input_shape'] == [1, 3, 37, 45]
    assert late['input_shape'] == [1, 6, 37, 45]
    assert rgb['memory']['shape'] == [1, 3, 24, 32]
    assert late['memory']['shape'] == [1, 6, 24, 32]
    # One fixed 40 x 40 x 64 x 64 upscore, shared by the streams and
    # counted once; every trained layer twice.
    upscore = 40 * 40 * 64 * 64
    assert rgb['params'] - rgb['trainable_params'] == upscore
    assert late['trainable_params'] == 2 * rgb['trainable_params']
    assert late['params'] == 2 * rgb['params'] - upscore
    # Both streams run up to score_fr; the fused scores are upsampled once.
    widths, fc = TINY_WIDTHS['stage_channels'], TINY_WIDTHS['fc_channels']
    assert rgb['flops'] == vgg16_fcn32s_flops(37, 45, widths, fc, 40)
    assert late['flops'] == 2 * rgb['flops'] - upscore_flops(37, 45, 40)
    ratios = result['ratios']
    assert ratios['nyud-rgb-hha']['flops'] == late['flops'] / rgb['flops']
    assert ratios['nyud-rgb-hha']['params'] == late['params'] / rgb['params']
    for measure in ('inference', 'train_step'):
        assert len(late[f'{measure}_times']) == 2
        for key in (measure, f'{measure}_cpu'):
            assert ratios['nyud-rgb'][key] == 1.
            value = ratios['nyud-rgb-hha'][key]
            assert math.isfinite(value) and value > 0, key
    for name, case in cases.items():
        assert case['memory']['case'] == name
        assert case['memory']['peak_mb'] > 0
    assert ratios['nyud-rgb-hha']['peak_memory'] == (
        late['memory']['peak_mb'] / rgb['memory']['peak_mb'])
    assert ratios['nyud-rgb-hha']['paper'] == pytest.approx(
        dict(mean_iu=32.8 / 29.2))
    # The printed rows
    assert 'NYUDv2 late fusion (FCN table 4), 40 classes: batch 1, 37x45' \
        in printed
    assert 'FCN-AlexNet' not in printed
    rows = markdown_rows(printed)
    assert rows['measure'] == ['FCN-32s RGB', 'FCN-32s RGB-HHA (late fusion)']
    assert rows['trained (M)'] == [
        f'{rgb["trainable_params"] / 1e6:.4g}',
        f'{late["trainable_params"] / 1e6:.4g} (2.00x)'
    ]
    assert rows['GFLOP, 37x45 inference'][1].endswith(
        f' ({late["flops"] / rgb["flops"]:.2f}x)')
    for label in ('inference s (wall)', 'train step s (wall)',
                  'peak RSS train step 24x32 (MB)'):
        assert re.fullmatch(r'\S+ \(\d+\.\d\dx\)', rows[label][1]), label
    assert rows['paper: mean IU, NYUDv2 (table 4)'] == ['29.2', '32.8']
    assert re.search(
        r'FCN-32s RGB-HHA \(late fusion\) / FCN-32s RGB: inference time '
        r'\d+\.\d\dx, trained parameters 2\.00x, GFLOP '
        + re.escape(f'{late["flops"] / rgb["flops"]:.2f}x') +
        r', training step \d+\.\d\dx, its peak RSS \d+\.\d\dx', printed)


def test_trunk_cases_run_by_group():
    """Cases of both groups: each group on its own, in the groups' order;
    one comparison of cases of two groups is refused."""
    assert cli.trunk_groups(['nyud-rgb-hha', 'fcn32s-alexnet']) == {
        'backbones': ['fcn32s-alexnet'],
        'nyud': ['nyud-rgb-hha']
    }
    args = cli.parse_args([])
    assert args.trunk_cases == [
        'fcn32s', 'fcn32s-alexnet', 'fcn32s-plain-kernels'
    ]
    assert args.trunk_shape is None and args.memory_shape is None
    with pytest.raises(ValueError, match='of one group'):
        bench_trunks(['fcn32s-alexnet', 'nyud-rgb-hha'], (1, 3, 9, 11),
                     None, repeats=1, warmup=0, threads=1, tiny=True)
