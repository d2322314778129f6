"""tools/deployment/pytorch2onnx.py as a user runs it."""
import numpy as np
import pytest

from fcn_tools.deploy.runtime import OrtSegmentor
from .conftest import run

TOOL = 'tools/deployment/pytorch2onnx.py'


@pytest.mark.parametrize('net', ['fcn8s', 'fcn32s-alexnet'])
def test_dynamic_export_and_verify(tiny_checkpoints, tmp_path, net):
    config, ckpt = tiny_checkpoints[net]
    out = tmp_path / f'{net}.onnx'
    proc = run(TOOL, config, ckpt, out, '--shape', '45', '37', '--dynamic',
               '--verify')
    assert f'{net}, 21 classes, logits, any batch and size' in proc.stdout
    lines = [ln for ln in proc.stdout.splitlines() if 'max |ORT' in ln]
    assert [ln.split(':')[0] for ln in lines] == ['45x37', '37x501', '1x1']
    diffs = [float(ln.split('(')[1].split()[0]) for ln in lines]
    assert all(d <= 1e-4 for d in diffs)
    assert all('argmax equal on 100.00% of pixels' in ln for ln in lines)
    ort = OrtSegmentor(str(out))
    assert ort.meta['fcn_plugin.config'] == config.name
    assert ort(np.zeros((3, 3, 20, 9), np.float32)).shape == (3, 21, 20, 9)


def test_static_labels_export(tiny_checkpoints, tmp_path):
    config, ckpt = tiny_checkpoints['fcn32s']
    out = tmp_path / 'fcn32s.onnx'
    proc = run(TOOL, config, ckpt, out, '--shape', '33', '17', '--output',
               'labels', '--verify')
    assert 'static file: verified at the export size only' in proc.stdout
    assert '33x17: labels equal on 100.00% of pixels' in proc.stdout
    ort = OrtSegmentor(str(out))
    assert [i.shape for i in ort.inputs] == [[1, 3, 33, 17]]
    assert ort.output_name == 'labels'


def test_slide_config_fails_with_one_line(tiny_checkpoints, tmp_path):
    config, ckpt = tiny_checkpoints['fcn16s']
    out = tmp_path / 'x.onnx'
    proc = run(
        TOOL,
        config,
        ckpt,
        out,
        '--cfg-options',
        'model.test_cfg.mode=slide',
        'model.test_cfg.crop_size=(32,32)',
        'model.test_cfg.stride=(16,16)',
        check=False)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith('error')]
    assert errors == [
        "error: model.test_cfg.mode='slide': sliding-window inference is a "
        'loop over patches, not one graph; export with --cfg-options '
        'model.test_cfg.mode=whole (the FCNs take any image size)'
    ]
    assert not out.exists()


def test_missing_checkpoint_fails_with_one_line(tiny_checkpoints, tmp_path):
    config, _ = tiny_checkpoints['fcn8s']
    proc = run(TOOL, config, tmp_path / 'no.pth', tmp_path / 'x.onnx',
               check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f'error: checkpoint file not found: {tmp_path / "no.pth"}')
    assert 'Traceback' not in proc.stderr
