"""Tests of tools/compare_variants.py: the columns of its table are
computed (tiny widths and a few iterations; the numbers are not timed)."""
import json
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from fcn_tools.benchmark.cases import TINY_WIDTHS
from fcn_tools.variants import cli
from fcn_tools.variants.catalog import (VARIANTS, build_model, config_path,
                                        model_cfg)

ROOT = Path(__file__).resolve().parents[2]
NUM_CLASSES = 21


def _conv(cin: int, cout: int, k: int = 1) -> int:
    return cin * cout * k * k + cout


def test_every_variant_is_its_config_and_net():
    """Each variant builds from its config into the net its name says."""
    from fcn_plugin.models import net_name_of
    expected = {
        'original': 'fcn8s-atonce',
        'simplified': 'fcn8s-simplified',
        'plain': 'fcn8s-atonce-plain',
        'pytorchinit': 'fcn8s-atonce',
        'noscale': 'fcn8s',
        'nofc': 'fcn8s-atonce-plain-nofc',
        'nopad': 'fcn8s-atonce-plain-nofc-nopad',
    }
    assert set(VARIANTS) == set(expected)
    params = {}
    for name, net in expected.items():
        assert config_path(name).is_file()
        with torch.device('meta'):
            model = build_model(name)
        assert net_name_of(model) == net
        params[name] = sum(p.numel() for p in model.parameters())
    # The switches that change no layer shape keep the parameters.
    for name in ('plain', 'pytorchinit', 'noscale'):
        assert params[name] == params['original']
    assert params['nofc'] == params['nopad'] == params['simplified']
    assert params['simplified'] < params['original']


@pytest.mark.parametrize('name, base', [('original', 'fcn8s-atonce'),
                                        ('simplified', 'fcn8s-simplified')])
def test_full_widths_are_the_vgg16_configs(name, base):
    """Rebuilt at full widths, the demo twin has the parameters of the
    full-width model config (134.5M / 14.9M: the VGG16 arithmetic)."""
    from mmseg.registry import MODELS

    import fcn_plugin  # noqa: F401
    init_default_scope('mmseg')
    with torch.device('meta'):
        ours = build_model(name, 'full')
        cfg = Config.fromfile(str(ROOT / f'configs/_base_/models/'
                                  f'{base}_vgg16.py'))
        theirs = MODELS.build(cfg.model)
    count = sum(p.numel() for p in ours.parameters())
    assert count == sum(p.numel() for p in theirs.parameters())
    widths = (64, 128, 256, 512, 512)
    cin, convs = 3, 0
    for depth, cout in zip((2, 2, 3, 3, 3), widths):
        for _ in range(depth):
            convs += _conv(cin, cout, 3)
            cin = cout
    fc = _conv(512, 4096, 7) + _conv(4096, 4096) if name == 'original' else 0
    scores = (_conv(4096 if fc else 512, NUM_CLASSES) +
              _conv(512, NUM_CLASSES) + _conv(256, NUM_CLASSES))
    upscores = NUM_CLASSES * NUM_CLASSES * (4 * 4 + 4 * 4 + 16 * 16)
    assert count == convs + fc + scores + upscores


@pytest.fixture(scope='module')
def cost_run(tmp_path_factory):
    """The cost part at tiny widths: (results, work dir)."""
    work = tmp_path_factory.mktemp('cost')
    results = cli.main([
        '--variants', 'simplified', '--widths', 'tiny', '--repeats', '2',
        '--warmup', '0', '--shape', '1x3x37x45', '--memory-shape',
        '1x3x33x29', '--skip', 'training', '--threads',
        str(torch.get_num_threads()), '--work-dir',
        str(work)
    ])
    return results, work


@pytest.fixture(scope='module')
def training_run(tmp_path_factory, tiny_voc):
    """The training part, a few iterations of the simplified net on the
    tiny VOC folder: (results, work dir)."""
    work = tmp_path_factory.mktemp('training')
    results = cli.main([
        '--variants', 'simplified', '--skip', 'cost', '--train-scale',
        '0.02', '--data-root',
        str(tiny_voc), '--threads',
        str(torch.get_num_threads()), '--work-dir',
        str(work)
    ])
    return results, work


def test_cost_columns(cost_run):
    """Parameters are the models' sum(p.numel()), FLOPs and time ratios
    are positive (the reference's exactly 1), memory is measured, and
    the JSON and Markdown files hold the table."""
    results, work = cost_run
    names = ['original', 'simplified']  # the reference is added
    assert results['variants'] == names
    cost = results['cost']
    stage, fc = TINY_WIDTHS['stage_channels'], TINY_WIDTHS['fc_channels']
    for name in names:
        model = build_model(name, 'tiny')
        assert model.backbone.stage_channels == tuple(stage)
        assert cost['params'][name] == sum(
            p.numel() for p in model.parameters())
        assert cost['flops'][name] > 0
        for part in ('inference', 'train_step'):
            ratio = cost[part]['ratio'][name]
            assert ratio > 0 and math.isfinite(ratio)
            assert len(cost[part]['times'][name]) == 2
        mem = cost['memory'][name]
        assert mem['peak_mb'] > 0 and mem['shape'] == [1, 3, 33, 29]
        assert mem['ratio'] == pytest.approx(
            mem['peak_mb'] / cost['memory']['original']['peak_mb'])
    for part in ('inference', 'train_step'):
        assert cost[part]['ratio']['original'] == 1.
    # fc6 (7x7) and fc7 are what the original has on top of the others;
    # score_fr reads fc7 there, pool5 here.
    extra = (_conv(stage[4], fc, 7) + _conv(fc, fc) +
             _conv(fc, NUM_CLASSES) - _conv(stage[4], NUM_CLASSES))
    assert cost['params']['original'] - cost['params']['simplified'] == extra
    # The 100-px pad makes the original's maps far larger at this size.
    assert cost['flops']['original'] > 2 * cost['flops']['simplified']

    saved = json.loads((work / 'variants.json').read_text())
    assert saved['cost']['params'] == cost['params']
    assert saved['table']['simplified']['params (M)'] == (
        f'{cost["params"]["simplified"] / 1e6:.2f}')
    table = (work / 'variants.md').read_text()
    for name in names:
        assert f'| {name} ' in table


def test_training_columns(training_run, tiny_voc):
    """A few iterations through tools/train.py and tools/test.py: the
    table's mIoU columns are the test run's logged metrics."""
    results, work = training_run
    assert results['variants'] == ['simplified']  # no cost, no reference
    num_test = len((tiny_voc / 'ImageSets/Segmentation/val.txt').read_text(
    ).split())
    assert results['training']['num_test'] == num_test
    (run, ) = results['training']['runs']['simplified']
    max_iters = Config.fromfile(str(
        config_path('simplified'))).train_cfg.max_iters
    assert run['iters'] == max(5, round(0.02 * max_iters))
    assert run['seed'] == 0
    logs = sorted((work / 'runs/simplified_s0/test').glob('*/*.json'))
    logged = [json.loads(line) for line in logs[-1].read_text().splitlines()]
    logged = [r for r in logged if 'mIoU' in r][-1]
    for key in ('mIoU', 'mIoU@band1', 'mIoU@band3'):
        assert 0 <= run[key] <= 100
        assert run[key] == pytest.approx(logged[key])
    row = results['table']['simplified']
    assert row['mIoU'] == f'{run["mIoU"]:.2f}'
    assert row['params (M)'] == '-'  # cost skipped
    assert Path(run['checkpoint']).is_file()
    # The config was trained as resolved at the start of the run.
    assert (work / 'runs/simplified_s0/simplified.py').is_file()


def test_merge_joins_cost_and_training(cost_run, training_run, tmp_path):
    (cost, cost_work), (trained, train_work) = cost_run, training_run
    merged = cli.main([
        '--merge',
        str(cost_work / 'variants.json'),
        str(train_work / 'variants.json'), '--work-dir',
        str(tmp_path)
    ])
    assert merged['variants'] == ['original', 'simplified']
    assert merged['cost'] == json.loads(
        (cost_work / 'variants.json').read_text())['cost']
    rows = merged['table']
    assert rows['simplified']['params (M)'] == (
        f'{cost["cost"]["params"]["simplified"] / 1e6:.2f}')
    run = trained['training']['runs']['simplified'][0]
    assert rows['simplified']['mIoU'] == f'{run["mIoU"]:.2f}'
    assert rows['original']['mIoU'] == '-'  # not trained in either run
    assert (tmp_path / 'variants.md').read_text().count('| simplified ') == 1
    other = tmp_path / 'other.json'
    other.write_text(json.dumps({'nets': {}}))
    with pytest.raises(ValueError, match='other.json is not a variants'):
        cli.main(['--merge', str(other)])
    with pytest.raises(ValueError, match='cannot read .*variants.md'):
        cli.main(['--merge', str(cost_work / 'variants.md')])


def test_user_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.parse_args(['--shape', '1x4x5x5'])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert 'error: --shape: shape must be Nx3xHxW' in err
    assert 'Traceback' not in err
    with pytest.raises(SystemExit):
        cli.parse_args(['--train-scale', '0'])
    assert 'error: --train-scale must be positive' in capsys.readouterr().err


def test_missing_config_is_named(monkeypatch):
    from fcn_tools.variants import catalog
    monkeypatch.setitem(
        catalog.VARIANTS, 'nopad',
        catalog.Variant('nopad', 'configs/ablations/missing.py', 'x'))
    with pytest.raises(FileNotFoundError,
                       match='configs/ablations/missing.py .*nopad'):
        model_cfg('nopad')


def test_training_needs_the_same_widths(monkeypatch):
    """Variants whose configs train trunks of other widths are refused
    before any training, naming the configs."""
    real = cli.model_cfg

    def narrow_simplified(name, widths=None):
        model = real(name, widths)
        if name == 'simplified':
            model['backbone']['stage_channels'] = (2, 2, 2, 2, 2)
        return model

    monkeypatch.setattr(cli, 'model_cfg', narrow_simplified)
    cli.check_same_widths(['original', 'plain'])
    with pytest.raises(ValueError,
                       match=r'different widths .*fcn8s-simplified_'):
        cli.check_same_widths(['original', 'simplified'])
