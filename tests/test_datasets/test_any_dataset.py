"""Any MMSeg dataset: the ADE20K, Cityscapes, PASCAL-Context-59 and own-data
configs.

Each config trains two iterations (validating at the second) at tiny widths
on a tiny folder written in that dataset's own layout, and its checkpoint is
tested with the other family of tools: the project's ``tools/train.py`` with
MMSeg's packaged ``test.py`` (ADE20K, own data), MMSeg's packaged
``train.py`` with the project's ``tools/test.py`` (Cityscapes,
PASCAL-Context). Then: the
labels each config's ``CheckSegData`` refuses, the Cityscapes config's
sliding windows, and MMSeg's ADE20K base with the plugin's mean-loss model
base and MMSeg's 20k schedule, which trains where the Caffe summed-loss base
diverges.
"""
import json
import re
from pathlib import Path
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image

from fcn_plugin.converters import vgg2mmseg
from fcn_plugin.datasets import CheckSegData
from fcn_plugin.errors import NonFiniteLossError
from fcn_plugin.utils.safe_checkpoint import safe_load
from ..conftest import CONFIGS, randomize
from ..test_apis.conftest import tiny_options
from ..test_apis.test_mmseg_tools import MMSEG_TOOLS, _run, metrics_line
from ..test_converters.sources import caffe_weights, torchvision_state_dict

ROOT = CONFIGS.parent
#: (H, W) of every image written here: odd, and larger than the windows.
SIZE = (37, 45)
#: The training crop of the tiny runs, (H, W); RandomResize keeps the short
#: side at 18..74 px (the images' own size times 0.5..2).
CROP = (24, 32)
#: Sliding windows of the tiny Cityscapes run: 2 x 2 over a 37x45 image.
SLIDE = dict(crop_size=CROP, stride=(16, 21))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _pair(rng: np.random.Generator,
          values: Sequence[int]) -> Tuple[np.ndarray, np.ndarray]:
    """An RGB image and its label: a ``values[0]`` background and one
    rectangle per further value, in a colour of its own."""
    h, w = SIZE
    label = np.full(SIZE, values[0], np.uint8)
    img = np.full(SIZE + (3, ), 40, np.int64)
    for v in values[1:]:
        y, x = rng.integers(0, h - 8), rng.integers(0, w - 8)
        dy, dx = rng.integers(6, h - y + 1), rng.integers(6, w - x + 1)
        label[y:y + dy, x:x + dx] = v
        img[y:y + dy, x:x + dx] = ((v * 53) % 256, (v * 97) % 256, 200)
    img += rng.integers(-20, 21, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), label


def _write(root: Path, files: Sequence[Tuple[str, str]],
           values: Sequence[int], seed: int) -> Path:
    """Write a pair of :func:`_pair` for each (image, label) path relative
    to ``root``; the label as a single-channel (mode L) PNG."""
    rng = np.random.default_rng(seed)
    for img_path, label_path in files:
        img, label = _pair(rng, values)
        for path in (root / img_path, root / label_path):
            path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(root / img_path, quality=95)
        Image.fromarray(label).save(root / label_path)
    return root


def write_ade20k(root: Path, seed: int = 0) -> Path:
    """ADEChallengeData2016: ``images/{training,validation}/*.jpg`` and
    ``annotations/...png`` with 0 = other (``reduce_zero_label``), 1..150."""
    files = [(f'images/{split}/ADE_{split}_{i}.jpg',
              f'annotations/{split}/ADE_{split}_{i}.png')
             for split, n in (('training', 4), ('validation', 2))
             for i in range(n)]
    return _write(root, files, [0, 1, 2, 150], seed)


def write_cityscapes(root: Path, seed: int = 0) -> Path:
    """``leftImg8bit/{train,val}/<city>/<x>_leftImg8bit.png`` and
    ``gtFine/.../<x>_gtFine_labelTrainIds.png``: train ids 0..18, 255."""
    files = []
    for split, city, n in (('train', 'aachen', 4), ('val', 'lindau', 2)):
        for i in range(n):
            name = f'{city}_{i:06d}_000019'
            files.append((f'leftImg8bit/{split}/{city}/{name}_leftImg8bit.png',
                          f'gtFine/{split}/{city}/{name}_gtFine_'
                          'labelTrainIds.png'))
    return _write(root, files, [0, 255, 13, 18], seed)


def write_custom(root: Path, seed: int = 0) -> Path:
    """The own-data config's layout: ``img_dir/{train,val}/*.jpg`` and
    ``ann_dir/{train,val}/*.png``, values 0..2 (its three classes), 255."""
    files = [(f'img_dir/{split}/{split}_{i}.jpg',
              f'ann_dir/{split}/{split}_{i}.png')
             for split, n in (('train', 4), ('val', 2)) for i in range(n)]
    return _write(root, files, [0, 255, 1, 2], seed)


def write_pascal_context(root: Path, seed: int = 0) -> Path:
    """VOC2010 in MMSeg's PASCAL-Context layout: ``JPEGImages/<id>.jpg``,
    ``SegmentationClassContext/<id>.png`` (0 = background, 1..59 in MMSeg's
    order) and ``ImageSets/SegmentationContext/{train,val}.txt``."""
    splits = dict(train=['2008_000002', '2008_000003', '2008_000007',
                         '2008_000008'],
                  val=['2008_000009', '2008_000016'])
    files = [(f'JPEGImages/{i}.jpg', f'SegmentationClassContext/{i}.png')
             for ids in splits.values() for i in ids]
    _write(root, files, [0, 1, 33, 59], seed)
    sets = root / 'ImageSets' / 'SegmentationContext'
    sets.mkdir(parents=True)
    for split, ids in splits.items():
        (sets / f'{split}.txt').write_text(''.join(f'{i}\n' for i in ids))
    return root


def write_siftflow(root: Path, seed: int = 0) -> Path:
    """SIFT Flow as tools/prepare_siftflow.py lays it out: ``images/<id>.jpg``,
    ``semantic/<id>.png`` (0..32, 255) and ``geometric/<id>.png`` (0..2,
    255; here the semantic value mod 3, void where it is void) and the
    ``trainval.txt`` / ``test.txt`` splits."""
    splits = dict(trainval=['coast_arnat59', 'forest_for114', 'street_par8',
                            'tallbuilding_a212'],
                  test=['coast_natu975', 'insidecity_art947'])
    files = [(f'images/{i}.jpg', f'semantic/{i}.png')
             for ids in splits.values() for i in ids]
    _write(root, files, [27, 255, 5, 32], seed)
    (root / 'geometric').mkdir()
    for ids in splits.values():
        for i in ids:
            sem = np.array(Image.open(root / 'semantic' / f'{i}.png'))
            geo = np.where(sem == 255, 255, sem % 3).astype(np.uint8)
            Image.fromarray(geo).save(root / 'geometric' / f'{i}.png')
    for split, ids in splits.items():
        (root / f'{split}.txt').write_text(''.join(f'{i}\n' for i in ids))
    return root


class Case(NamedTuple):
    """One example config and how the tests run it."""
    config: Path
    write: Callable[[Path], Path]
    num_classes: int
    #: the smallest label value (as stored in the file) it refuses
    bad_value: int
    #: whose train.py trains, 'project' or 'mmseg'; the other's test.py
    #: tests the checkpoint
    trainer: str
    #: overrides beyond the tiny widths and the data root
    extra: dict


CASES = {
    'ade20k':
    Case(CONFIGS / 'fcn8s-atonce_vgg16_4xb4-80k_ade20k-512x512.py',
         write_ade20k, 150, 151, 'project', {}),
    'cityscapes':
    Case(CONFIGS / 'fcn8s-atonce_vgg16_4xb2-80k_cityscapes-512x1024.py',
         write_cityscapes, 19, 19, 'mmseg', {
             'model.test_cfg.crop_size': SLIDE['crop_size'],
             'model.test_cfg.stride': SLIDE['stride']
         }),
    'custom':
    Case(CONFIGS / 'fcn8s-atonce_vgg16_1xb4-20k_custom-512x512.py',
         write_custom, 3, 3, 'project', {}),
    'pascal-context-59':
    Case(CONFIGS / 'fcn8s-atonce_vgg16_4xb4-40k_pascal-context-59-480x480.py',
         write_pascal_context, 59, 60, 'mmseg', {
             'model.test_cfg.crop_size': SLIDE['crop_size'],
             'model.test_cfg.stride': SLIDE['stride']
         }),
}
TOOLS = {
    'project': {
        'train': ROOT / 'tools/train.py',
        'test': ROOT / 'tools/test.py'
    },
    'mmseg': {
        'train': MMSEG_TOOLS / 'train.py',
        'test': MMSEG_TOOLS / 'test.py'
    },
}


def _step_index(pipeline: List[dict], step: str) -> int:
    (index, ) = [i for i, t in enumerate(pipeline) if t['type'] == step]
    return index


def run_options(case: Case,
                data_root: Path,
                trunk: Optional[Path] = None) -> dict:
    """Dotted overrides for a tiny run of ``case`` on ``data_root``: tiny
    widths, the ``trunk`` file in the config's ``init_cfg`` (or none), tiny
    crops and test sizes, two iterations."""
    cfg = Config.fromfile(str(case.config))
    options = dict(tiny_options(case.config))
    if trunk is not None:
        del options['model.backbone.init_cfg']
        options['model.backbone.init_cfg.checkpoint'] = str(trunk)
    for loader in LOADERS:
        options[f'{loader}.dataset.data_root'] = str(data_root)
        options[f'{loader}.num_workers'] = 0
        options[f'{loader}.persistent_workers'] = False
        pipeline = cfg[loader].dataset.pipeline
        if loader == 'train_dataloader':
            resize = _step_index(pipeline, 'RandomResize')
            crop = _step_index(pipeline, 'RandomCrop')
            prefix = f'{loader}.dataset.pipeline'
            options[f'{prefix}.{resize}.scale'] = (2 * SIZE[1], SIZE[0])
            options[f'{prefix}.{crop}.crop_size'] = CROP
        else:  # the images' own size
            resize = _step_index(pipeline, 'Resize')
            options[f'{loader}.dataset.pipeline.{resize}.scale'] = SIZE[::-1]
    options.update({
        'model.data_preprocessor.size': CROP,
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.logger.interval': 1,
        'randomness.seed': 0,
    })
    options.update(case.extra)
    return options


def tiny_run(config: Path, data: Path, iters: int, **extra) -> dict:
    """Dotted overrides of a tiny run of ``config`` on ``data`` at the
    images' own size: tiny widths, no workers, ``iters`` iterations with a
    validation and a checkpoint at the last; ``extra`` on top."""
    options = dict(tiny_options(config))
    for loader in LOADERS:
        options[f'{loader}.dataset.data_root'] = str(data)
        options[f'{loader}.num_workers'] = 0
        options[f'{loader}.persistent_workers'] = False
    options.update({
        'train_cfg.max_iters': iters,
        'train_cfg.val_interval': iters,
        'default_hooks.checkpoint.interval': iters,
        'default_hooks.logger.interval': 1,
        'randomness.seed': 0,
        **extra
    })
    return options


def train_staged(task: str, data: Path, tmp: Path) -> dict:
    """``configs/fcn32s_vgg16_{task}.py`` trained two iterations with
    ``tools/train.py``, then ``fcn16s_vgg16_{task}.py`` one iteration from
    that checkpoint (its ``load_from``); per net: config, work dir, log,
    checkpoint."""
    out = {}
    for net, load_from, iters in (('fcn32s', None, 2),
                                  ('fcn16s', 'fcn32s', 1)):
        config = CONFIGS / f'{net}_vgg16_{task}.py'
        extra = {'load_from': out[load_from]['ckpt']} if load_from else {}
        work = tmp / net
        log = _run(ROOT / 'tools/train.py', config, '--work-dir', work,
                   '--cfg-options', *cli(tiny_run(config, data, iters,
                                                  **extra)), cwd=ROOT)
        out[net] = dict(config=config, work=work, log=log,
                        ckpt=work / f'iter_{iters}.pth')
    return out


def cli(options: dict) -> List[str]:
    """``--cfg-options`` values: tuples as ``(a,b)``, None as ``None``."""
    out = []
    for key, value in options.items():
        if isinstance(value, tuple):
            value = '(' + ','.join(map(str, value)) + ')'
        out.append(f'{key}={value}')
    return out


class Run(NamedTuple):
    """A tiny training run of one case."""
    name: str
    case: Case
    data: Path
    work: Path
    options: dict
    log: str


@pytest.fixture(scope='module')
def trunk(tmp_path_factory) -> Path:
    """A Caffe VGG16 trunk at the tiny widths, converted as docs/weights.md
    says (the configs' ``checkpoints/vgg16_caffe_fcn.pth``)."""
    tmp = tmp_path_factory.mktemp('trunk')
    src = tmp / 'vgg16_from_caffe.pth'
    torch.save(torchvision_state_dict(caffe_weights('vgg16')), src)
    vgg2mmseg(str(src), str(tmp / 'vgg16_caffe_fcn.pth'), origin='caffe')
    return tmp / 'vgg16_caffe_fcn.pth'


@pytest.fixture(scope='module', params=sorted(CASES))
def run(request, tmp_path_factory, trunk) -> Run:
    """Each config trained two iterations on its own tiny data from the
    trunk, validated at the second, by the case's train tool."""
    name = request.param
    case = CASES[name]
    tmp = tmp_path_factory.mktemp(name)
    data = case.write(tmp / 'data')
    options = run_options(case, data, trunk)
    work = tmp / 'work'
    log = _run(TOOLS[case.trainer]['train'], case.config, '--work-dir', work,
               '--cfg-options', *cli(options), cwd=ROOT)
    return Run(name, case, data, work, options, log)


def test_config_trains_and_validates(run: Run, trunk: Path):
    ckpt = run.work / 'iter_2.pth'
    assert ckpt.is_file(), run.log[-3000:]
    # the trunk went in through the config's init_cfg, past FCNWeightsHook
    (log, ) = run.work.glob('*/*.log')
    assert f'PretrainedInit: load from {trunk}' in log.read_text()
    assert 'Iter(train) [2/2]' in run.log
    (scalars, ) = run.work.glob('*/vis_data/scalars.json')
    records = [json.loads(line) for line in scalars.read_text().split('\n')
               if line]
    assert [r['step'] for r in records if 'mIoU' in r] == [2]
    assert all(np.isfinite(r['loss']) for r in records if 'loss' in r)
    # the dataset's classes and the head's, in the checkpoint
    meta = safe_load(str(ckpt), map_location='cpu')
    classes = meta['meta']['dataset_meta']['classes']
    assert len(classes) == run.case.num_classes
    head = meta['state_dict']['decode_head.score_fr.weight']
    assert head.shape[0] == run.case.num_classes
    if run.name == 'custom':
        assert tuple(classes) == ('background', 'cat', 'dog')


def test_checkpoint_tests_with_the_other_tools(run: Run, tmp_path):
    tester = 'mmseg' if run.case.trainer == 'project' else 'project'
    work = tmp_path / 'test'
    log = _run(TOOLS[tester]['test'], run.case.config, run.work / 'iter_2.pth',
               '--work-dir', work, '--cfg-options', *cli(run.options),
               cwd=ROOT)
    line = metrics_line(log)
    for key in ('aAcc', 'mIoU', 'mAcc', 'fwIoU'):
        assert re.search(rf'\b{key}: \d', line), key
    (metrics, ) = work.glob('*/*.json')
    assert 0 <= json.loads(metrics.read_text())['mIoU'] <= 100


@pytest.mark.parametrize('run', ['cityscapes'], indirect=True)
def test_cityscapes_run_slides_its_windows(run: Run):
    """The run used sliding windows, 2 x 2 of them on each image."""
    from mmengine.dataset import pseudo_collate
    from mmseg.registry import DATASETS, MODELS
    dumped = run.work / run.case.config.name  # the config the run used
    test_cfg = Config.fromfile(str(dumped)).model.test_cfg
    assert test_cfg.mode == 'slide'
    assert tuple(test_cfg.crop_size) == CROP
    assert tuple(test_cfg.stride) == SLIDE['stride']
    cfg = Config.fromfile(str(run.case.config))
    cfg.merge_from_dict(run.options)
    init_default_scope('mmseg')
    model = randomize(MODELS.build(cfg.model)).eval()
    windows = []
    model.backbone.register_forward_hook(
        lambda module, args, out: windows.append(args[0].shape[-2:]))
    sample = DATASETS.build(cfg.test_dataloader.dataset)[0]
    with torch.no_grad():
        (pred, ) = model.test_step(pseudo_collate([sample]))
    assert windows == [CROP] * 4
    assert tuple(pred.pred_sem_seg.shape) == SIZE


@pytest.mark.parametrize('name', sorted(CASES))
def test_config_refuses_labels_outside_its_classes(name, tmp_path):
    """CheckSegData takes the config's class count (reduce_zero_label
    aware): the top class loads, one more is refused naming the file."""
    from mmseg.registry import DATASETS
    case = CASES[name]
    data = case.write(tmp_path)
    cfg = Config.fromfile(str(case.config))
    cfg.merge_from_dict(run_options(case, data))
    init_default_scope('mmseg')
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    gt = dataset[0]['data_samples'].gt_sem_seg.data
    assert int(gt[gt != 255].max()) == case.num_classes - 1
    path = Path(dataset.get_data_info(0)['seg_map_path'])
    label = np.array(Image.open(path))
    label[0, 0] = case.bad_value
    Image.fromarray(label).save(path)
    top = case.bad_value - 1
    with pytest.raises(
            ValueError,
            match=re.escape(f'label {path} has values [{case.bad_value}] '
                            f'outside 0..{top} and the ignore index 255; ')
            + f'.*num_classes.*now {case.num_classes}'):
        dataset[0]


def test_check_without_class_count_checks_all_but_values():
    check = CheckSegData()
    assert repr(check) == 'CheckSegData(num_classes=None, ignore_index=255)'
    img = np.zeros(SIZE + (3, ), np.uint8)
    label = np.full(SIZE, 200, np.uint8)
    results = dict(img=img, ori_shape=SIZE, gt_seg_map=label)
    assert check(dict(results))['gt_seg_map'] is label
    with pytest.raises(ValueError, match='outside 0..20 and the ignore '
                       'index 255'):
        CheckSegData(num_classes=21)(dict(results))
    with pytest.raises(ValueError, match=r'is 37x44 \(HxW\) but its image'):
        check(dict(results, gt_seg_map=label[:, 1:]))


#: MMSeg's ADE20K base, a plugin model base and MMSeg's 20k schedule (lr
#: 0.01, poly) as a new user writes them, with ADE20K's class count.
COMBINATION = """_base_ = [
    'mmseg::_base_/datasets/ade20k.py', '{models}/{model}',
    '{runtime}', 'mmseg::_base_/schedules/schedule_20k.py'
]
model = dict(decode_head=dict(num_classes=150))
"""


def _train_combination(model: str, tmp_path: Path, iters: int) -> list:
    """Train the combination with ``model`` in this process; its losses."""
    from mmengine.runner import Runner
    path = tmp_path / f'combination_{model}'
    path.write_text(
        COMBINATION.format(
            models=CONFIGS / '_base_/models',
            model=model,
            runtime=CONFIGS / '_base_/default_runtime.py'))
    cfg = Config.fromfile(str(path))
    data = write_ade20k(tmp_path / 'ade')
    options = {
        k: v
        for k, v in tiny_options(path).items() if k.startswith('model.')
    }
    for loader in LOADERS:
        options.update({
            f'{loader}.dataset.data_root': str(data),
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False
        })
    pipeline = cfg.train_dataloader.dataset.pipeline
    prefix = 'train_dataloader.dataset.pipeline'
    options.update({
        f'{prefix}.{_step_index(pipeline, "RandomResize")}.scale':
        (2 * SIZE[1], SIZE[0]),
        f'{prefix}.{_step_index(pipeline, "RandomCrop")}.crop_size':
        CROP,
        'train_cfg.max_iters': iters,
        'train_cfg.val_interval': iters + 1,
        'default_hooks.checkpoint.interval': iters + 1,
        'randomness': dict(seed=0),
        'work_dir': str(tmp_path / 'work'),
        'log_level': 'WARNING',
        # MMEngine keeps one visualizer per name: one per work dir
        'visualizer.name': f'visualizer_{tmp_path}',
    })
    cfg.merge_from_dict(options)
    assert cfg.optim_wrapper.optimizer.lr == 0.01
    assert cfg.param_scheduler[0].type == 'PolyLR'
    runner = Runner.from_cfg(cfg)
    runner.train()
    return list(runner.message_hub.get_scalar('train/loss').data[0])


def test_mmseg_dataset_and_schedule_train_with_the_mean_loss_base(tmp_path):
    losses = _train_combination('fcn8s-atonce_vgg16_mean-loss.py', tmp_path,
                                4)
    assert len(losses) == 4 and np.isfinite(losses).all(), losses
    # zero score layers: ln(150) per valid pixel, averaged over all pixels
    # of the batch (void and padding count as 0)
    assert 0 < losses[0] <= np.log(150) + 1e-4


def test_the_caffe_summed_loss_base_diverges_there(tmp_path):
    with pytest.raises(NonFiniteLossError, match='not finite at iteration'):
        _train_combination('fcn8s_vgg16.py', tmp_path, 6)


def test_readme_shows_the_whole_custom_config():
    readme = (ROOT / 'README.md').read_text()
    section = readme.split('\n## Your own dataset\n', 1)[1].split('\n## ')[0]
    blocks = re.findall(r'```python\n(.*?)```', section, re.S)
    assert CASES['custom'].config.read_text() in blocks
