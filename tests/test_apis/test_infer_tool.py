"""tools/infer.py: MMSegInferencer's overlays plus palette label PNGs."""
import subprocess
import sys

import numpy as np
from mmseg.apis import MMSegInferencer
from PIL import Image

from fcn_tools.voc_palette import voc_palette
from ..conftest import CONFIGS, ROOT
from .conftest import SIZES, tiny_config, tiny_options, write_checkpoint

CONFIG = CONFIGS / 'fcn8s_vgg16_voc.py'


def _infer(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, 'tools/infer.py', *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300)


def _options() -> list:
    out = []
    for key, value in tiny_options(CONFIG).items():
        if isinstance(value, tuple):
            value = '(' + ','.join(map(str, value)) + ')'
        out.append(f'{key}={value}')
    return out


def test_infer_writes_what_mmseg_predicts(images, tmp_path):
    cfg = tiny_config(CONFIG)
    ckpt = write_checkpoint(cfg, tmp_path / 'w.pth', seed=3)
    paths = [p for size in SIZES for p in images[size]]
    listing = tmp_path / 'list.txt'
    listing.write_text('\n'.join(str(p) for p in paths[::-1]) + '\n')
    out = tmp_path / 'out'
    proc = _infer(CONFIG, ckpt, listing, '--out-dir', out, '--cfg-options',
                  *_options())
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'{len(paths)} image(s)' in proc.stdout
    inferencer = MMSegInferencer(model=cfg, weights=str(ckpt), device='cpu')
    palette = voc_palette()
    for path in paths:
        want = inferencer(str(path))['predictions']
        label = Image.open(out / 'label' / f'{path.stem}.png')
        assert label.mode == 'P' and label.getpalette()[:63] == palette[:63]
        np.testing.assert_array_equal(np.array(label), want)
        overlay = Image.open(out / 'overlay' / f'{path.stem}.png')
        assert overlay.mode == 'RGB' and overlay.size == label.size
        assert overlay.size == (want.shape[1], want.shape[0])
    assert len(list((out / 'overlay').iterdir())) == len(paths)


def test_infer_mistakes_are_one_line(images, tmp_path):
    image = images[SIZES[1]][0]
    proc = _infer(CONFIG, tmp_path / 'missing.pth', image, '--out-dir',
                  tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == (f'error: checkpoint {tmp_path / "missing.pth"} '
                         'does not exist')
    assert 'Traceback' not in proc.stderr
