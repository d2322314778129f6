"""Odd image sizes through tools/test.py: a 1 x 1 image, and a large one
tiled with ``test_cfg mode='slide'``; a damaged checkpoint is refused."""
import re

import pytest
from PIL import Image

from fcn_tools.synthetic import make_synthetic_voc
from ..test_tools.conftest import DATA, run_tool
from .conftest import HERE


def write_voc(root, size):
    """A one-image synthetic VOC folder (the image is train and val)."""
    return make_synthetic_voc(root, 1, size=size, official_only=True)


def run_test(config, ckpt, voc, work, *options, out=True):
    out = ['--out', work / 'pred'] if out else []
    proc = run_tool('tools/test.py', config, ckpt, '--work-dir', work, *out,
                    '--cfg-options',
                    f'test_dataloader.dataset.data_root={voc}', *options)
    log = proc.stdout + proc.stderr
    assert re.search(r'Iter\(test\) \[1/1\].*mIoU: \d', log)
    return log


@pytest.mark.parametrize('size', [(1, 1), (1, 7)])
def test_one_pixel_and_one_row_images(reference, tmp_path, size):
    voc = write_voc(tmp_path, size)
    log = run_test(HERE / 'tiny_checked_test.py', reference / 'iter_6.pth',
                   voc, tmp_path / 'work')
    assert re.search(r'aAcc: \d', log)
    # --out writes the prediction at the image size (MMSeg's own writer
    # squeezes it to 0-D / 1-D and fails)
    (pred, ) = (tmp_path / 'work' / 'pred').glob('*.png')
    assert Image.open(pred).size == (size[1], size[0])


def test_large_image_in_slide_mode(reference, tmp_path):
    voc = write_voc(tmp_path, (900, 1300))
    run_test(DATA / 'tiny_fcn8s_voc.py', reference / 'iter_6.pth', voc,
             tmp_path / 'work', 'model.test_cfg.mode=slide',
             'model.test_cfg.crop_size=(500,500)',
             'model.test_cfg.stride=(400,400)')
    (pred, ) = (tmp_path / 'work' / 'pred').glob('*.png')
    assert Image.open(pred).size == (1300, 900)


@pytest.mark.parametrize('damage', ['truncate', 'empty'])
def test_test_refuses_damaged_checkpoint(reference, tmp_path, damage):
    ckpt = tmp_path / 'iter_6.pth'
    data = (reference / 'iter_6.pth').read_bytes()
    ckpt.write_bytes(data[:len(data) // 3] if damage == 'truncate' else b'')
    proc = run_tool('tools/test.py', DATA / 'tiny_fcn8s_voc.py', ckpt,
                    check=False)
    assert proc.returncode == 1
    assert f'error: checkpoint {ckpt} is unreadable' in proc.stderr
    assert 'Traceback' not in proc.stderr
