"""SIFT Flow: two label maps through MMSeg's pipeline, tools and APIs.

On a tiny tree in the layout of ``tools/prepare_siftflow.py`` (odd-size
images; the geometric map is the semantic map mod 3, so any step that moves
one map and not the other shows): the second map is loaded, kept aligned by
the geometric transforms and padded like the first; bad geometric maps are
named; the two-headed FCN-32s trains with ``tools/train.py`` (both losses
logged), FCN-16s is staged from it, MMSeg's packaged ``test.py`` scores it
(semantic scores without the classes absent from the test set, geometric
accuracy) and draws both maps, and MMSeg's inference APIs and
``tools/infer.py`` return both maps; the modern config trains with MMSeg's
packaged ``train.py``.
"""
import json
import re
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from PIL import Image

from fcn_plugin.datasets.siftflow_dataset import FCNSiftFlowDataset
from fcn_plugin.errors import DataFileError
from ..conftest import CONFIGS
from ..test_apis.conftest import SIZES
from ..test_apis.test_mmseg_tools import MMSEG_TOOLS, _run, metrics_line
from .test_any_dataset import SIZE, cli, tiny_run, train_staged, write_siftflow

ROOT = CONFIGS.parent
MODERN = CONFIGS / 'fcn8s-atonce_vgg16_1xb8-20k_siftflow-256x256.py'
#: Training crop of the tiny modern run, (H, W).
CROP = (24, 32)


def modern_options(data: Path) -> dict:
    """The modern config at tiny widths, crops and batch."""
    cfg = Config.fromfile(str(MODERN))
    steps = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    prefix = 'train_dataloader.dataset.pipeline'
    return tiny_run(MODERN, data, 2, **{
        f'{prefix}.{steps.index("RandomResize")}.scale': (2 * SIZE[1],
                                                          SIZE[0]),
        f'{prefix}.{steps.index("RandomCrop")}.crop_size': CROP,
        'model.data_preprocessor.size': CROP,
        'train_dataloader.batch_size': 2,
    })


def build_dataset(config: Path, data: Path, loader: str, **extra):
    from mmseg.registry import DATASETS
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(tiny_run(config, data, 1, **extra))
    init_default_scope('mmseg')
    return DATASETS.build(cfg[loader].dataset)


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> Path:
    return write_siftflow(tmp_path_factory.mktemp('siftflow') / 'siftflow')


def test_both_maps_are_loaded_and_packed(data):
    dataset = build_dataset(CONFIGS / 'fcn32s_vgg16_siftflow.py', data,
                            'test_dataloader')
    assert dataset.metainfo['geo_classes'] == ('sky', 'horizontal',
                                               'vertical')
    sample = dataset[0]['data_samples']
    info = dataset.get_data_info(0)
    sem = np.array(Image.open(info['seg_map_path']))
    geo = np.array(Image.open(info['geo_map_path']))
    stem = Path(info['img_path']).stem
    assert info['geo_map_path'].endswith(f'geometric/{stem}.png')
    np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(), sem)
    np.testing.assert_array_equal(sample.gt_geo_seg.data[0].numpy(), geo)
    assert len(np.unique(geo)) > 1


def test_geometric_transforms_keep_the_maps_aligned(data):
    """Random resize, crop and flip move both maps as one (nearest
    interpolation keeps geo == sem mod 3)."""
    dataset = build_dataset(MODERN, data, 'train_dataloader',
                            **{k: v for k, v in modern_options(data).items()
                               if 'pipeline' in k})
    np.random.seed(0)  # MMCV's random transforms draw from numpy
    flipped = 0
    for i in range(8):
        sample = dataset[i % len(dataset)]['data_samples']
        sem = sample.gt_sem_seg.data[0]
        geo = sample.gt_geo_seg.data[0]
        # (a crop of an image resized below the crop size is smaller)
        assert geo.shape == sem.shape
        assert all(g <= c for g, c in zip(geo.shape, CROP))
        want = torch.where(sem == 255, sem, sem % 3)
        assert torch.equal(geo, want), i
        flipped += bool(sample.flip)
    assert 0 < flipped < 8  # both flipped and unflipped samples were seen


def test_preprocessor_pads_the_geometric_map_like_the_semantic():
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(CONFIGS / 'fcn32s_vgg16_siftflow.py'))
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    samples, inputs = [], []
    for h, w in ((5, 7), (8, 4)):
        inputs.append(torch.zeros(3, h, w, dtype=torch.uint8))
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.ones(1, h, w).long())
        sample.gt_geo_seg = PixelData(data=torch.full((1, h, w), 2).long())
        samples.append(sample)
    out = preprocessor(dict(inputs=inputs, data_samples=samples), True)
    assert out['inputs'].shape == (2, 3, 8, 7)
    for sample in out['data_samples']:
        sem, geo = sample.gt_sem_seg.data, sample.gt_geo_seg.data
        assert geo.shape == sem.shape == (1, 8, 7)
        assert torch.equal(geo == 255, sem == 255)
        assert torch.equal(geo[sem != 255], torch.full_like(
            geo[sem != 255], 2))


def _broken(data: Path, tmp_path: Path, how: str) -> Path:
    root = tmp_path / how
    shutil.copytree(data, root)
    stem = (root / 'test.txt').read_text().split()[0]
    path = root / 'geometric' / f'{stem}.png'
    geo = np.array(Image.open(path))
    if how == 'size':
        Image.fromarray(geo[:-2]).save(path)
    elif how == 'value':
        geo[0, 0] = 3
        Image.fromarray(geo).save(path)
    elif how == 'colour':
        Image.fromarray(np.stack([geo] * 3, -1)).save(path)
    else:
        path.unlink()
    return root


@pytest.mark.parametrize('how, error, message', [
    ('size', DataFileError,
     r'geometric label .*geometric/coast_natu975\.png is 35x45 \(HxW\) but '
     r'its image is 37x45'),
    ('value', DataFileError,
     r'geometric label .*coast_natu975\.png has values \[3\] outside 0\.\.2'),
    ('colour', DataFileError, r'geometric label .*coast_natu975\.png has 3 '
     'channels'),
    ('missing', FileNotFoundError,
     r'1 of 2 ids in split file .*test\.txt have no geometric label: '
     r'.*coast_natu975\.png'),
])
def test_bad_geometric_maps_are_named(data, tmp_path, how, error, message):
    root = _broken(data, tmp_path, how)
    with pytest.raises(error, match=message):
        build_dataset(CONFIGS / 'fcn32s_vgg16_siftflow.py', root,
                      'test_dataloader')[0]


def test_bad_geometric_map_stops_training_in_one_line(data, tmp_path):
    import subprocess
    import sys
    root = _broken(data, tmp_path, 'size')
    config = CONFIGS / 'fcn32s_vgg16_siftflow.py'
    opts = tiny_run(config, root, 1)
    opts['train_dataloader.dataset.ann_file'] = 'test.txt'
    proc = subprocess.run(
        [sys.executable, str(ROOT / 'tools/train.py'), str(config),
         '--work-dir', str(tmp_path / 'work'), '--cfg-options', *cli(opts)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith('error')]
    assert len(lines) == 1 and 'but its image is 37x45' in lines[0], \
        proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr


@pytest.fixture(scope='module')
def staged(data, tmp_path_factory) -> dict:
    """Two-headed FCN-32s trained two iterations, FCN-16s one from it."""
    return train_staged('siftflow', data, tmp_path_factory.mktemp('runs'))


def test_two_heads_train_with_both_losses_and_stage(staged):
    log = staged['fcn32s']['log']
    for key in ('decode.loss_sem', 'geo.loss_geo', 'decode.acc_seg',
                'geo.acc_seg'):
        assert re.search(rf'{re.escape(key)}: [\d.]+', log), key
    assert re.search(r'geoAcc: [\d.]+', log)
    (scalars, ) = staged['fcn32s']['work'].glob('*/vis_data/scalars.json')
    records = [json.loads(ln) for ln in scalars.read_text().splitlines()]
    losses = [r for r in records if 'loss' in r]
    assert all(np.isfinite(r['decode.loss_sem']) and np.isfinite(
        r['geo.loss_geo']) for r in losses)
    # the total is both heads' losses
    assert losses[0]['loss'] == pytest.approx(
        losses[0]['decode.loss_sem'] + losses[0]['geo.loss_geo'], rel=1e-4)
    log = staged['fcn16s']['log']
    assert re.search(r'FCN-32s weights into FCN-16s: copied \d+ tensors',
                     log), log[-3000:]
    assert 'Iter(train) [1/1]' in log


def _scores(log: str) -> dict:
    line = metrics_line(log)
    scores = {}
    for key in ('aAcc', 'mIoU', 'mAcc', 'fwIoU', 'geoAcc'):
        match = re.search(rf'\b{key}: ([\d.]+)', line)
        assert match, key
        scores[key] = float(match[1])
    assert 'scored on 30 of 33 classes; excluded: cow, desert, moon' in log
    table = log.split('per class results:', 1)[1]
    assert not re.search(r'\|\s+(cow|desert|moon)\s+\|', table)
    return scores


def test_mmseg_test_tool_scores_and_draws_both_maps(staged, data, tmp_path):
    run = staged['fcn16s']
    show = tmp_path / 'show'
    args = (run['config'], run['ckpt'], '--cfg-options',
            *cli(tiny_run(run['config'], data, 1)))
    log = _run(MMSEG_TOOLS / 'test.py', *args[:2], '--work-dir',
               tmp_path / 'test', '--show-dir', show, *args[2:], cwd=ROOT)
    scores = _scores(log)
    # the project's tools/test.py gives the same scores
    log = _run(ROOT / 'tools/test.py', *args[:2], '--work-dir',
               tmp_path / 'test2', *args[2:], cwd=ROOT)
    assert _scores(log) == scores
    pictures = sorted(show.rglob('*.png'))
    assert len(pictures) == 2
    # semantic row above geometric row, each ground truth | prediction
    drawn = np.asarray(Image.open(pictures[0]).convert('RGB'))
    assert drawn.shape == (2 * SIZE[0], 2 * SIZE[1], 3)
    # the geometric ground truth is painted in the geometric palette
    stem = next(s for s in ('coast_natu975', 'insidecity_art947')
                if s in pictures[-1].name)
    geo = np.array(Image.open(data / 'geometric' / f'{stem}.png'))
    image = np.asarray(Image.open(data / 'images' / f'{stem}.jpg'),
                       np.float64)
    gt_row = np.asarray(Image.open(pictures[-1]).convert('RGB'),
                        np.float64)[SIZE[0]:, :SIZE[1]]
    palette = FCNSiftFlowDataset.METAINFO['geo_palette']
    for value in np.unique(geo[geo != 255]):
        mask = geo == value
        want = image[mask] * 0.2 + np.asarray(palette[value]) * 0.8
        share = (np.abs(gt_row[mask] - want).max(-1) <= 3).mean()
        assert share > 0.5, (value, share)


INFER = textwrap.dedent('''
    import json, sys
    import numpy as np
    from mmseg.apis import MMSegInferencer, inference_model, init_model
    config, ckpt, *images = sys.argv[1:]
    model = init_model(config, ckpt, device='cpu')
    shapes = []
    for p in images:
        out = inference_model(model, p)
        shapes.append([list(out.pred_sem_seg.shape),
                       list(out.pred_geo_seg.shape),
                       int(out.pred_geo_seg.data.max())])
    inferencer = MMSegInferencer(model=config, weights=ckpt, device='cpu')
    for out in inferencer(images, return_datasamples=True):
        shapes.append([list(out.pred_sem_seg.shape),
                       list(out.pred_geo_seg.shape),
                       int(out.pred_geo_seg.data.max())])
    print('SHAPES', json.dumps(shapes))
''')


def test_inference_apis_and_infer_tool_return_both_maps(staged, tmp_path):
    run = staged['fcn16s']
    images = []
    for h, w in SIZES:
        path = tmp_path / f'img_{h}x{w}.png'
        Image.new('RGB', (w, h), (90, 160, 40)).save(path)
        images.append(path)
    dumped = run['work'] / run['config'].name
    log = _run('-c', INFER, dumped, run['ckpt'], *images, cwd=tmp_path)
    shapes = json.loads(log.split('SHAPES', 1)[1].splitlines()[0])
    assert [s[:2] for s in shapes] == [[[h, w], [h, w]] for h, w in SIZES] * 2
    assert all(s[2] <= 2 for s in shapes)
    out = tmp_path / 'infer'
    log = _run(ROOT / 'tools/infer.py', dumped, run['ckpt'], images[0],
               '--out-dir', out, cwd=ROOT)
    name = f'{images[0].stem}.png'
    geo = Image.open(out / 'label_geo' / name)
    assert geo.mode == 'P'
    h, w = SIZES[0]
    assert geo.size == (w, h)
    palette = FCNSiftFlowDataset.METAINFO['geo_palette']
    assert geo.getpalette()[:9] == [c for rgb in palette for c in rgb]
    overlay = Image.open(out / 'overlay' / name)
    assert overlay.size == (w, 2 * h)  # semantic above geometric
    assert 'geometric labels in' in log


def test_modern_config_trains_with_mmseg_tools(data, tmp_path):
    work = tmp_path / 'work'
    log = _run(MMSEG_TOOLS / 'train.py', MODERN, '--work-dir', work,
               '--cfg-options', *cli(modern_options(data)), cwd=ROOT)
    assert (work / 'iter_2.pth').is_file(), log[-3000:]
    assert re.search(r'geo\.loss_geo: [\d.]+', log)
    assert re.search(r'geoAcc: [\d.]+', log)
