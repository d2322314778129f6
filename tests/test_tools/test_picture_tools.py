"""tools/infer.py, tools/compare.py and tools/plot_curves.py."""
import numpy as np
import torch
from mmseg.datasets import PascalVOCDataset
from PIL import Image

from fcn_tools.predict import load_segmentor
from .conftest import DATA, NUM_IMAGES, data_root_options, run_tool


def test_infer_writes_overlay_and_label_per_image(trained, tiny_voc, tmp_path):
    images = sorted((tiny_voc / 'JPEGImages').glob('*.jpg'))
    run_tool('tools/infer.py', DATA / 'tiny_fcn8s_voc.py',
             trained / 'iter_4.pth', tiny_voc / 'JPEGImages', '--out-dir',
             tmp_path)
    for image in images:
        size = Image.open(image).size
        overlay = Image.open(tmp_path / 'overlay' / f'{image.stem}.png')
        label = Image.open(tmp_path / 'label' / f'{image.stem}.png')
        assert overlay.size == size and overlay.mode == 'RGB'
        assert label.size == size and label.mode == 'P'
        assert np.array(label).max() < 21
    assert len(list((tmp_path / 'overlay').iterdir())) == len(images)


def test_compare_makes_one_labelled_grid_per_image(trained, tiny_voc,
                                                   tmp_path):
    pairs = []
    for net in ('32s', '16s'):
        config = DATA / f'tiny_fcn{net}_voc.py'
        model = load_segmentor(str(config), None)
        ckpt = tmp_path / f'{net}.pth'
        torch.save(
            dict(
                state_dict=model.state_dict(),
                meta=dict(dataset_meta=PascalVOCDataset.METAINFO)), ckpt)
        pairs += [config, ckpt]
    pairs += [DATA / 'tiny_fcn8s_voc.py', trained / 'iter_4.pth']
    out = tmp_path / 'grids'
    run_tool('tools/compare.py', *pairs, '--out-dir', out, '--split', 'val',
             '--cfg-options', *data_root_options(tiny_voc))
    grids = sorted(out.glob('*.png'))
    assert len(grids) == NUM_IMAGES
    grid = np.array(Image.open(grids[0]))
    # five columns of at least 160 px, plus a title strip
    assert grid.shape[1] >= 5 * 160 and grid.shape[0] > 23 * 6
    assert grid.std() > 0


def test_plot_curves_writes_png(trained, tmp_path):
    out = tmp_path / 'curves.png'
    proc = run_tool('tools/plot_curves.py', trained, '--out', out,
                    '--val-keys', 'mIoU', 'fwIoU')
    assert 'loss: 4 points' in proc.stdout
    assert 'mIoU: 2 points' in proc.stdout
    img = Image.open(out)
    assert img.size[0] > 500 and img.size[1] > 200


def test_plot_curves_names_a_work_dir_without_logs(tmp_path):
    proc = run_tool('tools/plot_curves.py', tmp_path, check=False)
    assert proc.returncode == 1
    assert f'no vis_data/scalars.json in {tmp_path}' in proc.stderr
