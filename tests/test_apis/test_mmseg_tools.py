"""The plugin under MMSeg's own packaged tools, as the paper configs stand.

MMSeg's ``tools/train.py`` and ``tools/test.py`` (from the installed
``mmseg`` package, not copies) run ``configs/fcn32s_vgg16_voc.py`` in
subprocesses at tiny widths on a synthetic VOC set: train, resume, test
with ``--show-dir``; then a fresh Python process uses ``init_model``,
``inference_model`` and ``MMSegInferencer`` on the checkpoint and the config
MMSeg's training wrote, at odd image sizes.
"""
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import mmseg
import pytest

from fcn_tools.synthetic import make_synthetic_voc
from ..conftest import CONFIGS
from .conftest import SIZES, tiny_options

MMSEG_TOOLS = Path(mmseg.__file__).parent / '.mim' / 'tools'
CONFIG = CONFIGS / 'fcn32s_vgg16_voc.py'
ROOT = CONFIGS.parent


def _run(*args, cwd: Path) -> str:
    proc = subprocess.run([sys.executable, *map(str, args)],
                          cwd=cwd,
                          capture_output=True,
                          text=True,
                          timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{args} failed:\n{output[-4000:]}'
    return output


def metrics_line(log: str) -> str:
    """The one test metrics line of a ``test.py`` log."""
    (line, ) = [
        ln for ln in log.splitlines() if 'Iter(test)' in ln and 'mIoU:' in ln
    ]
    return line


def _options(voc: Path, iters: int) -> list:
    options = {k: v for k, v in tiny_options(CONFIG).items()}
    for split in ('train', 'val', 'test'):
        loader = f'{split}_dataloader'
        options[f'{loader}.dataset.data_root'] = str(voc)
        options[f'{loader}.num_workers'] = 0
        options[f'{loader}.persistent_workers'] = False
    options.update({
        'train_cfg.max_iters': iters,
        'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.logger.interval': 1,
    })
    out = []
    for key, value in options.items():
        if value is None:
            value = 'None'
        elif isinstance(value, tuple):
            value = '(' + ','.join(map(str, value)) + ')'
        out.append(f'{key}={value}')
    return out


def test_mmseg_tools_are_packaged():
    for name in ('train.py', 'test.py'):
        assert (MMSEG_TOOLS / name).is_file(), MMSEG_TOOLS / name


INFER = textwrap.dedent('''
    import json, sys
    import numpy as np
    from mmseg.apis import MMSegInferencer, inference_model, init_model
    config, ckpt, out, *images = sys.argv[1:]
    # the config's custom_imports bring in the plugin (and its safe
    # checkpoint loader) before init_model loads the checkpoint
    assert 'fcn_plugin' not in sys.modules
    model = init_model(config, ckpt, device='cpu')
    assert 'fcn_plugin' in sys.modules
    shapes = [list(inference_model(model, p).pred_sem_seg.shape)
              for p in images]
    inferencer = MMSegInferencer(model=config, weights=ckpt, device='cpu')
    result = inferencer(images, out_dir=out)
    shapes += [list(np.asarray(p).shape) for p in result['predictions']]
    print('SHAPES', json.dumps(shapes))
''')


@pytest.mark.slow
def test_train_resume_test_and_infer_with_mmseg_tools(tmp_path):
    from PIL import Image
    voc = make_synthetic_voc(tmp_path / 'data', 4, size=(37, 53), seed=2)
    work = tmp_path / 'work'
    train = MMSEG_TOOLS / 'train.py'
    log = _run(train, CONFIG, '--work-dir', work, '--cfg-options',
               *_options(voc, 2), cwd=ROOT)
    assert (work / 'iter_2.pth').is_file(), log[-3000:]
    assert 'mIoU' in log
    # resume from the last checkpoint and go on to iteration 4
    log = _run(train, CONFIG, '--work-dir', work, '--resume',
               '--cfg-options', *_options(voc, 4), cwd=ROOT)
    assert re.search(r'resumed epoch: \d+, iter: 2', log), log[-3000:]
    assert (work / 'iter_4.pth').is_file()
    assert 'Iter(train) [3/4]' in log and 'Iter(train) [1/4]' not in log
    # test with pictures
    show = tmp_path / 'show'
    log = _run(MMSEG_TOOLS / 'test.py', CONFIG, work / 'iter_4.pth',
               '--work-dir', tmp_path / 'test', '--show-dir', show,
               '--cfg-options', *_options(voc, 4), cwd=ROOT)
    assert re.search(r'mIoU: \d', log), log[-3000:]
    val_ids = (voc / 'ImageSets/Segmentation/seg11valid.txt').read_text()
    pictures = sorted(show.rglob('*.png'))
    assert len(pictures) == len(val_ids.split()) > 0
    # ground truth | prediction, side by side, at the image's size
    assert Image.open(pictures[0]).size == (2 * 53, 37)
    # MMSeg's inference APIs on that checkpoint and the config it wrote
    images = []
    for h, w in SIZES:
        path = tmp_path / f'img_{h}x{w}.jpg'
        Image.new('RGB', (w, h), (200, 40, 90)).save(path)
        images.append(path)
    dumped = work / CONFIG.name
    assert dumped.is_file()
    log = _run('-c', INFER, dumped, work / 'iter_4.pth', tmp_path / 'infer',
               *images, cwd=tmp_path)
    shapes = json.loads(log.split('SHAPES', 1)[1].splitlines()[0])
    assert shapes == [[h, w] for h, w in SIZES] * 2
    assert len(list((tmp_path / 'infer' / 'pred').glob('*.png'))) == 2
