"""tools/infer.py: the ONNX Runtime backend writes the PyTorch labels."""
import mmcv
import numpy as np
import pytest
from mmengine.config import Config

from fcn_tools.deploy.export import export_onnx
from fcn_tools.deploy.ort_infer import OrtImageSegmenter
from fcn_tools.voc_palette import read_label_indices
from .conftest import needs_bf16, run, save_random_checkpoint

#: Odd image sizes, 1x1 included.
SIZES = ((37, 501), (23, 31), (1, 1))


def export(config, ckpt, out, **cfg_changes):
    from mmseg.apis import init_model
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(cfg_changes)
    model = init_model(cfg, str(ckpt), device='cpu')
    export_onnx(model, str(out), shape=(1, 3, 40, 44), dynamic=True)
    return out


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp('images')
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate(SIZES):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        mmcv.imwrite(img, str(folder / f'img{i}.png'))
    return folder


def test_onnxruntime_labels_equal_pytorch(tiny_checkpoints, images,
                                          tmp_path):
    config, ckpt = tiny_checkpoints['fcn8s']
    onnx_file = export(config, ckpt, tmp_path / 'fcn8s.onnx')
    outs = {}
    for backend, weights in (('pytorch', ckpt), ('onnxruntime', onnx_file)):
        outs[backend] = tmp_path / backend
        run('tools/infer.py', config, weights, images, '--out-dir',
            outs[backend], '--backend', backend)
    names = sorted(p.name for p in images.iterdir())
    for name in names:
        ref = read_label_indices(outs['pytorch'] / 'label' / name)
        got = read_label_indices(outs['onnxruntime'] / 'label' / name)
        assert ref.shape == got.shape
        assert np.array_equal(ref, got), name
        assert (outs['onnxruntime'] / 'overlay' / name).is_file()
    # Random weights still give more than one class, or equality is void.
    big = read_label_indices(outs['pytorch'] / 'label' / 'img0.png')
    assert big.shape == SIZES[0] and len(np.unique(big)) > 1


def test_onnx_file_of_another_net_fails_with_one_line(
        tiny_checkpoints, images, tmp_path):
    config32, ckpt32 = tiny_checkpoints['fcn32s']
    onnx_file = export(config32, ckpt32, tmp_path / 'fcn32s.onnx')
    config8, _ = tiny_checkpoints['fcn8s']
    proc = run(
        'tools/infer.py',
        config8,
        onnx_file,
        images,
        '--out-dir',
        tmp_path / 'out',
        '--backend',
        'onnxruntime',
        check=False)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == (
        f'error: {onnx_file} does not fit the config: expected fcn8s with '
        'input img [N, 3, H, W] -> output logits [N, 21, H, W] or labels '
        '[N, H, W] (21 classes), found fcn32s with input img [batch, 3, '
        'height, width] -> output logits [batch, 21, height, width] (21 '
        'classes); export this config with '
        'tools/deployment/pytorch2onnx.py')
    assert not (tmp_path / 'out' / 'label').exists() or not any(
        (tmp_path / 'out' / 'label').iterdir())


def test_onnx_file_of_another_class_count_is_refused(tmp_path):
    from .conftest import DATA
    config = DATA / 'tiny_fcn16s_voc.py'
    cfg = Config.fromfile(str(config))
    cfg.model.decode_head.num_classes = 5
    five = tmp_path / 'five.py'
    cfg.dump(str(five))
    ckpt = save_random_checkpoint(five, tmp_path / 'five.pth')
    onnx_file = export(five, ckpt, tmp_path / 'five.onnx')
    with pytest.raises(ValueError) as err:
        OrtImageSegmenter(Config.fromfile(str(config)), str(onnx_file))
    message = str(err.value)
    assert 'expected fcn16s with input img [N, 3, H, W] -> output logits ' \
        '[N, 21, H, W]' in message
    assert 'found fcn16s with input img [batch, 3, height, width] -> ' \
        'output logits [batch, 5, height, width] (5 classes)' in message


@needs_bf16
def test_pytorch_bf16_backend_writes_labels(tiny_checkpoints, images,
                                            tmp_path):
    config, ckpt = tiny_checkpoints['fcn16s']
    run('tools/infer.py', config, ckpt, images, '--out-dir', tmp_path,
        '--precision', 'bf16')
    for i, size in enumerate(SIZES):
        label = read_label_indices(tmp_path / 'label' / f'img{i}.png')
        assert label.shape == size and label.max() < 21
    proc = run('tools/infer.py', config, ckpt, images, '--out-dir', tmp_path,
               '--precision', 'bf16', '--backend', 'onnxruntime', check=False)
    assert proc.returncode == 2
    assert '--precision applies to --backend pytorch only' in proc.stderr
