"""Library helpers of the picture tools (tools/fcn_tools, VOC palette)."""
import json

import numpy as np
import pytest
from PIL import Image

from fcn_tools.curves import load_scalars
from fcn_tools.grid import make_grid
from fcn_tools.images import list_images, read_label
from fcn_tools.voc_palette import (VOC_IGNORE_INDEX, colorize,
                                   save_palette_png, voc_palette)

PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0]]


def test_label_png_keeps_indices_and_palette(tmp_path):
    label = np.array([[0, 1, 2], [2, 255, 1]], np.uint8)
    save_palette_png(label, tmp_path / 'a.png', PALETTE)
    img = Image.open(tmp_path / 'a.png')
    assert img.mode == 'P'
    np.testing.assert_array_equal(read_label(tmp_path / 'a.png'), label)
    rgb = np.array(img.convert('RGB'))
    np.testing.assert_array_equal(rgb, colorize(label, PALETTE))
    void = voc_palette()[3 * VOC_IGNORE_INDEX:3 * VOC_IGNORE_INDEX + 3]
    assert tuple(rgb[1, 1]) == (224, 224, 192) == tuple(void)
    assert tuple(rgb[0, 1]) == (128, 0, 0)
    assert tuple(rgb[0, 2]) == (0, 128, 0)


def test_default_palette_is_voc(tmp_path):
    """Without a palette the VOC colour map paints and is saved."""
    label = np.array([[0, 1, 15], [20, 255, 3]], np.uint8)
    save_palette_png(label, tmp_path / 'v.png')
    rgb = np.array(Image.open(tmp_path / 'v.png').convert('RGB'))
    table = np.asarray(voc_palette(), np.uint8).reshape(256, 3)
    np.testing.assert_array_equal(rgb, table[label])
    np.testing.assert_array_equal(colorize(label), table[label])
    assert tuple(rgb[0, 2]) == (192, 128, 128)  # person
    with pytest.raises(ValueError, match='at most 255 classes'):
        colorize(label, [[1, 2, 3]] * 256)


def test_read_label_reduce_zero_label(tmp_path):
    Image.fromarray(np.array([[0, 1, 5, 255]],
                             np.uint8)).save(tmp_path / 'l.png')
    np.testing.assert_array_equal(
        read_label(tmp_path / 'l.png', reduce_zero_label=True),
        [[255, 0, 4, 255]])


def test_make_grid_sizes_and_missing_tile():
    img = np.full((7, 9, 3), 50, np.uint8)
    grid = make_grid([img, None, img], ['input', 'gt', 'pred'], min_width=40)
    # 9 px enlarged x5 to 45, 7 px to 35, 3 columns with 4 px gaps
    assert grid.shape[1] == 3 * 45 + 2 * 4
    assert grid.shape[0] > 35
    with pytest.raises(ValueError, match='titles'):
        make_grid([img], ['a', 'b'])


def test_list_images(tmp_path):
    for name in ('b.jpg', 'a.png', 'notes.md'):
        (tmp_path / name).write_bytes(b'x')
    assert [p.name for p in list_images(tmp_path)] == ['a.png', 'b.jpg']
    (tmp_path / 'list.txt').write_text('b.jpg\n\na.png\n')
    assert [p.name
            for p in list_images(tmp_path / 'list.txt')] == ['b.jpg', 'a.png']
    (tmp_path / 'bad.txt').write_text('missing.jpg\n')
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        list_images(tmp_path / 'bad.txt')
    with pytest.raises(FileNotFoundError, match='nowhere'):
        list_images(tmp_path / 'nowhere')


def test_load_scalars_merges_resumed_runs(tmp_path):

    def write(run, records):
        path = tmp_path / run / 'vis_data' / 'scalars.json'
        path.parent.mkdir(parents=True)
        path.write_text('\n'.join(json.dumps(r) for r in records) + '\n')

    write('20240101_000000', [
        dict(loss=3.0, iter=1, step=1),
        dict(loss=2.0, iter=2, step=2),
        dict(mIoU=10.0, step=2),
        dict(loss=9.0, iter=3, step=3)
    ])
    # resumed from iteration 2: its iteration 3 replaces the first run's
    write('20240102_000000', [
        dict(loss=1.5, iter=3, step=3),
        dict(loss=1.0, iter=4, step=4),
        dict(mIoU=20.0, step=4)
    ])
    curves = load_scalars(tmp_path, ['loss', 'mIoU', 'fwIoU'])
    assert curves['loss'] == ([1, 2, 3, 4], [3.0, 2.0, 1.5, 1.0])
    assert curves['mIoU'] == ([2, 4], [10.0, 20.0])
    assert curves['fwIoU'] == ([], [])


def test_prediction_skips_label_loading():
    """Bare images have no label: label loading is dropped, the check kept;
    without a top-level test_pipeline the test dataloader's is used."""
    from mmengine.config import Config

    from fcn_tools.predict import load_segmentor, pred_label, predict
    from .conftest import DATA
    cfg = Config.fromfile(str(DATA / 'tiny_fcn8s_voc.py'))
    cfg.test_dataloader.dataset.pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='CheckSegData', num_classes=21),
        dict(type='PackSegInputs'),
    ]
    cfg.pop('test_pipeline')
    model = load_segmentor(cfg, None)
    steps = [t['type'] for t in model.cfg.test_pipeline]
    assert steps[0] == 'LoadImageFromFile' and 'CheckSegData' in steps
    assert 'LoadAnnotations' not in steps
    image = np.random.default_rng(0).integers(0, 255, (21, 34, 3), np.uint8)
    assert pred_label(predict(model, image)).shape == (21, 34)
    with pytest.raises(FileNotFoundError, match='nowhere.py'):
        load_segmentor('nowhere.py', None)
