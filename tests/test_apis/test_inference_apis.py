"""MMSeg's own inference APIs, unchanged, on every config under configs/.

``init_model`` + ``inference_model`` (a path, an array, lists of both),
``show_result_pyplot`` and ``MMSegInferencer`` (an image, a list, a folder,
with ``out_dir``) on random weights at tiny widths, at 37x501 and 1x1.
"""
import argparse

import mmcv
import numpy as np
import pytest
import torch
from mmseg.apis import (MMSegInferencer, inference_model, init_model,
                        show_result_pyplot)
from PIL import Image

from fcn_plugin.errors import UnsafeCheckpointError
from ..conftest import CONFIGS
from .conftest import (SIZES, USER_CONFIGS, config_id, tiny_config,
                       tiny_options, write_checkpoint)


@pytest.fixture(params=USER_CONFIGS, ids=config_id)
def setup(request, tmp_path):
    """(config file, its tiny Config, a random checkpoint of that)."""
    cfg = tiny_config(request.param)
    return request.param, cfg, write_checkpoint(cfg, tmp_path / 'w.pth')


def _label(sample) -> np.ndarray:
    data = sample.pred_sem_seg.data
    assert data.dtype == torch.int64 and data.dim() == 3 and len(data) == 1
    return data[0].numpy()


def test_init_and_inference_model(setup, images, tmp_path):
    config, _, ckpt = setup
    model = init_model(
        str(config), str(ckpt), device='cpu', cfg_options=tiny_options(config))
    assert model.dataset_meta['classes'][15] == 'person'
    # the checkpoint's weights are the ones in use
    state = torch.load(ckpt, weights_only=True)['state_dict']
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, state[name], rtol=0, atol=0)
    single = [_label(inference_model(model, str(p))) for p in images]
    batch = [_label(s) for s in inference_model(model, list(map(str, images)))]
    for label, again, size in zip(single, batch, SIZES):
        assert label.shape == size
        np.testing.assert_array_equal(label, again)
    assert len(np.unique(single[0])) > 1  # random weights: a real map
    # show_result_pyplot draws the prediction at the image's size
    for path, size in zip(images, SIZES):
        out = tmp_path / f'show_{path.stem}.png'
        drawn = show_result_pyplot(
            model,
            str(path),
            inference_model(model, str(path)),
            show=False,
            out_file=str(out))
        assert drawn.shape == size + (3, )
        assert np.array(Image.open(out)).shape == size + (3, )
    # arrays (BGR, as MMSeg loads them; after the path calls, because
    # inference_model switches the model's pipeline to arrays for good)
    arrays = [mmcv.imread(str(p)) for p in images]
    from_array = [_label(inference_model(model, a)) for a in arrays]
    from_arrays = [_label(s) for s in inference_model(model, arrays)]
    for a, b, c in zip(single, from_array, from_arrays):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_mmseg_inferencer(setup, images, tmp_path):
    config, cfg, ckpt = setup
    model = init_model(
        str(config), str(ckpt), device='cpu', cfg_options=tiny_options(config))
    want = [_label(inference_model(model, str(p))) for p in images]
    inferencer = MMSegInferencer(model=cfg, weights=str(ckpt), device='cpu')
    one = inferencer(str(images[0]))['predictions']
    np.testing.assert_array_equal(one, want[0])
    listed = inferencer([str(p) for p in images])['predictions']
    for label, expected in zip(listed, want):
        np.testing.assert_array_equal(label, expected)
    # a folder, in the order it lists; the sizes tell the images apart
    out = tmp_path / 'out'
    walked = inferencer(str(images[0].parent), out_dir=str(out))
    by_size = {label.shape: label for label in want}
    assert sorted(p.shape for p in walked['predictions']) == sorted(SIZES)
    for label in walked['predictions']:
        np.testing.assert_array_equal(label, by_size[label.shape])
    for path, size in zip(images, SIZES):
        assert np.array(Image.open(out / 'vis' / path.name)).shape == size + (
            3, )
    preds = sorted((out / 'pred').glob('*_pred.png'))
    assert len(preds) == len(images)
    for pred in preds:
        label = np.array(Image.open(pred))
        np.testing.assert_array_equal(label, by_size[label.shape])


def test_init_model_loads_checkpoints_safely(tmp_path):
    """The plugin's safe loader serves init_model: pickled objects refused."""
    config = CONFIGS / 'fcn32s_vgg16_voc.py'
    cfg = tiny_config(config)
    ckpt = write_checkpoint(cfg, tmp_path / 'w.pth')
    bad = torch.load(ckpt, weights_only=True)
    bad['meta']['args'] = argparse.Namespace(x=1)
    torch.save(bad, tmp_path / 'bad.pth')
    with pytest.raises(UnsafeCheckpointError, match='argparse.Namespace'):
        init_model(
            str(config),
            str(tmp_path / 'bad.pth'),
            device='cpu',
            cfg_options=tiny_options(config))

