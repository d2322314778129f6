"""Bad arguments of tools/train.py: one clear ``error:`` line, nothing run.

The bad data, configs and checkpoints of every tool are the table of
``test_bad_inputs.py``; these are the arguments and settings it lacks.
"""
import pytest
import torch

from .conftest import DATA, ROOT, data_root_options, run_tool

CONFIG = DATA / 'tiny_fcn8s_voc.py'


def last_line(proc) -> str:
    assert 'Traceback' not in proc.stdout + proc.stderr
    return [ln for ln in proc.stderr.splitlines() if ln.strip()][-1]


def test_train_rejects_missing_resume_file(tmp_path):
    proc = run_tool(
        'tools/train.py', CONFIG, '--work-dir', tmp_path / 'work', '--resume',
        tmp_path / 'a.pth', check=False)
    assert proc.returncode == 1
    assert last_line(proc) == (
        f'error: --resume: checkpoint file {tmp_path / "a.pth"} does not '
        'exist: give a checkpoint of this run, or --resume alone for the '
        'newest')
    assert not (tmp_path / 'work').exists()  # nothing was started


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_amp_without_gpu_fails_clearly(tmp_path):
    proc = run_tool(
        'tools/train.py', CONFIG, '--amp', '--work-dir', tmp_path, check=False)
    assert proc.returncode == 1
    assert last_line(proc).startswith('error: --amp needs a CUDA')
    assert not any(tmp_path.iterdir())  # nothing was started


def test_paper_config_without_pretrained_trunk_names_the_converter(tmp_path):
    from fcn_tools.synthetic import make_synthetic_voc
    voc = make_synthetic_voc(tmp_path / 'data', 4)
    proc = run_tool('tools/train.py', ROOT / 'configs/fcn32s_vgg16_voc.py',
                    '--work-dir', tmp_path / 'work', '--cfg-options',
                    *data_root_options(voc), check=False)
    assert proc.returncode == 1
    line = last_line(proc)
    assert line.startswith(
        'error: checkpoints/vgg16_caffe_fcn.pth (model.backbone.init_cfg)'
        ' does not exist')
    assert 'tools/model_converters/caffe2mmseg.py' in line
    assert not list((tmp_path / 'work').rglob('*.pth'))


def test_config_mistakes_name_the_file_and_what_to_do(tmp_path):
    from mmengine.config import Config
    from mmseg.registry import MODELS

    from fcn_tools.errors import error_message
    bad = tmp_path / 'bad.py'
    bad.write_text("model = dict(type='EncoderDecoder'\n")
    with pytest.raises(SyntaxError) as err:
        Config.fromfile(str(bad))
    assert error_message(err.value).startswith(
        f'{bad}, line 1: Python syntax error (')
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='FCNNet'))
    assert error_message(err.value) == (
        'FCNNet is not in the mmseg::model registry: check the type name in '
        'the config or --cfg-options (a typo?), or add the module that '
        'registers it to custom_imports')
    with pytest.raises(TypeError) as err:
        MODELS.build(dict(type='VGG16Caffe', stage_chanels=(4, 5, 6, 7, 8)))
    assert error_message(err.value) == (
        "VGG16Caffe.__init__() got an unexpected keyword argument "
        "'stage_chanels': check the settings of VGG16Caffe in the config or "
        '--cfg-options (a misspelt key?)')
