"""Bad arguments of tools/train.py and tools/test.py: one clear error."""
import pytest
import torch

from .conftest import DATA, run_tool

CONFIG = DATA / 'tiny_fcn8s_voc.py'


def test_test_rejects_missing_checkpoint(tmp_path):
    missing = tmp_path / 'nope.pth'
    proc = run_tool('tools/test.py', CONFIG, missing, check=False)
    assert proc.returncode == 2
    assert f'checkpoint file not found: {missing}' in proc.stderr


def test_train_rejects_missing_config_and_resume_file(tmp_path):
    proc = run_tool('tools/train.py', tmp_path / 'x.py', check=False)
    assert proc.returncode == 2 and 'config file not found' in proc.stderr
    proc = run_tool(
        'tools/train.py', CONFIG, '--resume', tmp_path / 'a.pth', check=False)
    assert proc.returncode == 2
    assert '--resume: checkpoint file not found' in proc.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_amp_without_gpu_fails_clearly(tmp_path):
    proc = run_tool(
        'tools/train.py', CONFIG, '--amp', '--work-dir', tmp_path, check=False)
    assert proc.returncode == 2
    assert '--amp needs a CUDA' in proc.stderr
    assert not any(tmp_path.iterdir())  # nothing was started


def test_paper_config_without_pretrained_trunk_names_the_converter(tmp_path):
    from fcn_plugin.datasets.synthetic import make_synthetic_voc
    from .conftest import ROOT, data_root_options
    voc = make_synthetic_voc(tmp_path / 'data', 4)
    proc = run_tool('tools/train.py', ROOT / 'configs/fcn32s_vgg16_voc.py',
                    '--work-dir', tmp_path / 'work', '--cfg-options',
                    *data_root_options(voc), check=False)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    assert ('error: checkpoints/vgg16_caffe_fcn.pth (model.backbone.init_cfg)'
            ' does not exist') in proc.stderr
    assert 'tools/model_converters/caffe2mmseg.py' in proc.stderr
    assert not list((tmp_path / 'work').rglob('*.pth'))
