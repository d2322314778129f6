"""MMSeg's own inference APIs, unchanged, on every config under configs/
whose net reads the image alone.

For each config, at tiny widths with random weights saved as a checkpoint:
``init_model`` (the config file plus ``cfg_options``), ``inference_model``
on a path, a BGR array and lists of both, ``show_result_pyplot`` with
``out_file``, and ``MMSegInferencer`` on an image, a list and a folder with
``out_dir``; every prediction at the image's own size, 37x501 and 1x1.
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
from .conftest import (IMAGE_CONFIGS, SIZES, config_id, tiny_config,
                       tiny_options, write_checkpoint)


def _label(sample) -> np.ndarray:
    data = sample.pred_sem_seg.data
    assert data.dtype == torch.int64 and data.dim() == 3 and len(data) == 1
    return data[0].numpy()


def _key(label: np.ndarray) -> tuple:
    return label.shape, label.tobytes()


@pytest.mark.parametrize('config', IMAGE_CONFIGS, ids=config_id)
def test_mmseg_inference_apis(config, images, tmp_path):
    cfg = tiny_config(config, quick_inference=True)
    ckpt = write_checkpoint(cfg, tmp_path / 'w.pth')
    model = init_model(
        str(config),
        str(ckpt),
        device='cpu',
        cfg_options=tiny_options(config, quick_inference=True))
    assert model.dataset_meta['classes'][15] == 'person'
    state = torch.load(ckpt, weights_only=True)['state_dict']
    for name, value in model.state_dict().items():  # the file's weights
        torch.testing.assert_close(value, state[name], rtol=0, atol=0)
    big, small = (images[size] for size in SIZES)

    # inference_model: paths, one and a list (a list is one batch, and
    # MMSeg batches images of one size)
    want = {p: _label(inference_model(model, str(p))) for p in big[:1]}
    want.update(zip(big, map(_label, inference_model(model, list(map(
        str, big))))))
    want[small[0]] = _label(inference_model(model, str(small[0])))
    for path, label in want.items():
        assert label.shape == (SIZES[0] if path in big else SIZES[1])
    assert len(np.unique(want[big[0]])) > 1  # random weights: a real map
    assert (want[big[0]] != want[big[1]]).any()

    # show_result_pyplot draws the (semantic) prediction at the image's
    # size: it makes its own SegLocalVisualizer
    for path, size in ((big[0], SIZES[0]), (small[0], SIZES[1])):
        out = tmp_path / f'show_{path.stem}.png'
        drawn = show_result_pyplot(
            model,
            str(path),
            inference_model(model, str(path)),
            show=False,
            out_file=str(out))
        assert drawn.shape == size + (3, )
        assert np.array(Image.open(out)).shape == size + (3, )

    # arrays (BGR, as MMSeg loads them; after the paths, because
    # inference_model switches the model's pipeline to arrays for good)
    np.testing.assert_array_equal(
        _label(inference_model(model, mmcv.imread(str(big[0])))),
        want[big[0]])
    arrays = [mmcv.imread(str(p)) for p in small]
    from_arrays = list(map(_label, inference_model(model, arrays)))
    np.testing.assert_array_equal(from_arrays[0], want[small[0]])
    want[small[1]] = from_arrays[1]
    assert from_arrays[1].shape == (1, 1)

    # MMSegInferencer: an image, a list, a folder with out_dir (overlays
    # named after the images, label PNGs numbered in listing order); the
    # config's visualizer draws a two-headed net's maps one above the other
    rows = 2 if cfg.model.type == 'TwoHeadEncoderDecoder' else 1
    inferencer = MMSegInferencer(model=cfg, weights=str(ckpt), device='cpu')
    one = inferencer(str(small[0]))['predictions']
    np.testing.assert_array_equal(one, want[small[0]])
    listed = inferencer([str(big[1]), str(small[1])])['predictions']
    np.testing.assert_array_equal(listed[0], want[big[1]])
    np.testing.assert_array_equal(listed[1], want[small[1]])
    out = tmp_path / 'out'
    walked = inferencer(str(big[0].parent), out_dir=str(out))['predictions']
    assert sorted(map(_key, walked)) == sorted(map(_key, want.values()))
    preds = sorted((out / 'pred').glob('*_pred.png'))
    assert len(preds) == len(walked) == len(want)
    for label, pred in zip(walked, preds):
        np.testing.assert_array_equal(np.array(Image.open(pred)), label)
    for path, label in want.items():
        vis = np.array(Image.open(out / 'vis' / path.name))
        h, w = label.shape
        assert vis.shape == (rows * h, w, 3)


def test_init_model_loads_checkpoints_safely(tmp_path):
    """The plugin's safe loader serves init_model: pickled objects refused."""
    config = CONFIGS / 'fcn32s_vgg16_voc.py'
    ckpt = write_checkpoint(
        tiny_config(config, quick_inference=True), tmp_path / 'w.pth')
    bad = torch.load(ckpt, weights_only=True)
    bad['meta']['args'] = argparse.Namespace(x=1)
    torch.save(bad, tmp_path / 'bad.pth')
    with pytest.raises(UnsafeCheckpointError, match='argparse.Namespace'):
        init_model(
            str(config),
            str(tmp_path / 'bad.pth'),
            device='cpu',
            cfg_options=tiny_options(config, quick_inference=True))
