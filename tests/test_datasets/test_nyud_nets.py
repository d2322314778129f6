"""The NYUDv2 configs end to end on a miniature in the prepared layout.

The reference's sequence with the repository's tools (MMSeg's packaged
``train.py`` for the HHA net), at tiny widths:
FCN-32s colour and HHA from a trunk file, the late fusion started from
those two checkpoints (``stream_init``, checked and loaded through
``FCNWeightsHook``), its FCN-16s upgrade staged from it, and the
early-fusion RGB-D net from a VGG16 trunk file whose conv1_1 the hook
widens. Then ``tools/test.py`` and MMSeg's packaged ``test.py``,
``inference_model`` (the maps found beside the image), ``RGBDInferencer``
(maps as paths and arrays, HHA computed from depth) and ``tools/infer.py
--depth``.
"""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.apis import MMSegInferencer, inference_model, init_model
from mmseg.registry import MODELS
from PIL import Image

from fcn_plugin.apis import RGBDInferencer
from fcn_plugin.utils.safe_checkpoint import load_from_local
from ..conftest import CONFIGS, TINY_WIDTHS, randomize
from ..test_apis.test_mmseg_tools import MMSEG_TOOLS, _run
from .test_any_dataset import cli, tiny_run
from .test_nyud import SIZES, SPLITS, write_nyud

ROOT = CONFIGS.parent


def config(name: str) -> Path:
    return CONFIGS / f'{name}.py'


def train(name: str, data: Path, work: Path, iters: int = 2,
          tool: Path = ROOT / 'tools/train.py', **extra) -> dict:
    cfg = config(name)
    log = _run(tool, cfg, '--work-dir', work,
               '--cfg-options', *cli(tiny_run(cfg, data, iters, **extra)),
               cwd=ROOT)
    return dict(config=cfg, work=work, log=log,
                ckpt=work / f'iter_{iters}.pth')


def write_trunk(path: Path) -> Path:
    """A tiny VGG16 trunk file (random weights), as the converters write."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(config('fcn32s_vgg16_nyud-rgb'))).model
    cfg.backbone.update(init_cfg=None, **TINY_WIDTHS)
    cfg.decode_head.in_channels = 9
    model = randomize(MODELS.build(cfg), seed=11)
    state = {k: v for k, v in model.state_dict().items()
             if k.startswith('backbone.')}
    torch.save(dict(state_dict=state, meta=dict(
        fcn_net='vgg16', input=dict(mean=[104.00699, 116.66877, 122.67892],
                                    std=[1., 1., 1.], bgr_to_rgb=False))),
               path)
    return path


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('nyud_nets')
    data = write_nyud(tmp / 'nyud')
    out = dict(data=data)
    out['rgb'] = train('fcn32s_vgg16_nyud-rgb', data, tmp / 'rgb')
    # (MMSeg's packaged train.py for this one)
    out['hha'] = train('fcn32s_vgg16_nyud-hha', data, tmp / 'hha',
                       tool=MMSEG_TOOLS / 'train.py')
    # The late fusion from the two single-stream nets, not trained (lr 0):
    # its streams must hold the two files' weights.
    out['rgb-hha'] = train(
        'fcn32s_vgg16_nyud-rgb-hha', data, tmp / 'rgb-hha', iters=1,
        **{'model.stream_init.color': str(out['rgb']['ckpt']),
           'model.stream_init.hha': str(out['hha']['ckpt']),
           'optim_wrapper.optimizer.lr': 0.,
           'optim_wrapper.optimizer.weight_decay': 0.})
    out['16s'] = train('fcn16s_vgg16_nyud-rgb-hha', data, tmp / '16s',
                       iters=1, load_from=str(out['rgb-hha']['ckpt']))
    trunk = write_trunk(tmp / 'vgg16_tiny.pth')
    out['trunk'] = trunk
    out['rgbd'] = train('fcn32s_vgg16_nyud-rgbd', data, tmp / 'rgbd',
                        iters=1, load_from=str(trunk),
                        **{'optim_wrapper.optimizer.lr': 0.,
                           'optim_wrapper.optimizer.weight_decay': 0.})
    return out


def test_single_streams_train_and_score_40_classes(runs):
    for name in ('rgb', 'hha'):
        log = runs[name]['log']
        assert 'mIoU' in log and runs[name]['ckpt'].is_file()
        meta = load_from_local(str(runs[name]['ckpt']))['meta']
        assert meta['fcn_net'] == 'fcn32s'
        assert len(meta['dataset_meta']['classes']) == 40
    hha = load_from_local(str(runs['hha']['ckpt']))['meta']['input']
    assert hha['mean'] == pytest.approx([132.431, 94.076, 118.477])


def test_late_fusion_starts_from_the_two_single_stream_nets(runs):
    ckpt = load_from_local(str(runs['rgb-hha']['ckpt']))
    state, meta = ckpt['state_dict'], ckpt['meta']
    assert meta['streams'] == ['color', 'hha']
    assert meta['input']['mean'] == pytest.approx(
        [116.190, 97.203, 92.318, 132.431, 94.076, 118.477])
    for stream, prefix in (('rgb', ('backbone.', 'decode_head.')),
                           ('hha', ('hha_backbone.', 'hha_head.'))):
        single = load_from_local(str(runs[stream]['ckpt']))['state_dict']
        for key, value in single.items():
            module, rest = key.split('.', 1)
            mine = (prefix[0] if module == 'backbone' else prefix[1]) + rest
            torch.testing.assert_close(state[mine], value, rtol=0, atol=0)
    log = runs['rgb-hha']['log']
    # The hook checked each stream's file against each of its modules.
    for module, net in (('backbone', 'VGG16 trunk'),
                        ('decode_head', 'FCN-32s'),
                        ('hha_backbone', 'VGG16 trunk'),
                        ('hha_head', 'FCN-32s')):
        assert (f'(model.{module}.init_cfg): {net} weights into {net}'
                in log), module


def test_fcn16s_late_fusion_is_staged_from_the_32s_one(runs):
    log = runs['16s']['log']
    assert 'FCN-32s weights into FCN-16s' in log
    assert 'score_pool4' in log
    state = load_from_local(str(runs['16s']['ckpt']))['state_dict']
    assert 'hha_head.score_pool4.weight' in state


def test_early_fusion_widens_conv1_1_from_the_trunk(runs):
    trunk = torch.load(runs['trunk'], weights_only=True)['state_dict']
    state = load_from_local(str(runs['rgbd']['ckpt']))['state_dict']
    conv = state['backbone.conv1_1.weight']
    assert conv.shape[1] == 4
    torch.testing.assert_close(conv[:, :3], trunk['backbone.conv1_1.weight'])
    torch.testing.assert_close(conv[:, 3],
                               trunk['backbone.conv1_1.weight'].mean(1))
    assert 'widened to 4 input channels' in runs['rgbd']['log']


def test_tools_test_and_mmseg_test(runs, tmp_path):
    data = runs['data']
    for tool, name in ((ROOT / 'tools/test.py', 'rgb-hha'),
                       (MMSEG_TOOLS / 'test.py', '16s')):
        run = runs[name]
        options = tiny_run(run['config'], data, 1)
        out = _run(tool, run['config'], run['ckpt'], '--work-dir',
                   tmp_path / name, '--show-dir', tmp_path / f'{name}_vis',
                   '--cfg-options', *cli(options), cwd=ROOT)
        assert 'mIoU' in out
        drawn = list((tmp_path / f'{name}_vis').rglob('*.png'))
        # each test image drawn (on its colour image)
        assert sorted(p.name.split('.')[0] for p in drawn) == sorted(
            f'test_img_{i}' for i in SPLITS['test'])


def _tiny_model_options(name: str) -> dict:
    return {k: v for k, v in tiny_run(config(name), Path('.'), 1).items()
            if k.startswith('model.')}


def test_inference_apis_find_and_take_the_maps(runs, tmp_path):
    data = runs['data']
    run = runs['rgb-hha']
    image = data / 'images' / 'img_5003.png'
    model = init_model(str(run['config']), str(run['ckpt']), device='cpu',
                       cfg_options=_tiny_model_options(
                           'fcn32s_vgg16_nyud-rgb-hha'))
    # inference_model passes the image path only: depth and HHA are found
    # in the prepared layout beside it.
    found = inference_model(model, str(image)).pred_sem_seg.data[0]
    assert tuple(found.shape) == SIZES['5003']

    cfg = Config.fromfile(str(run['config']))
    cfg.merge_from_dict(_tiny_model_options('fcn32s_vgg16_nyud-rgb-hha'))
    # MMSeg's own inferencer finds them the same way
    mmseg_out = MMSegInferencer(cfg, str(run['ckpt']), device='cpu')(
        str(image))
    np.testing.assert_array_equal(mmseg_out['predictions'], found.numpy())
    inferencer = RGBDInferencer(cfg, str(run['ckpt']), device='cpu')
    # the same maps given as paths from elsewhere, and as arrays
    elsewhere = tmp_path / 'in'
    elsewhere.mkdir()
    for folder in ('images', 'hha'):
        src = data / folder / 'img_5003.png'
        (elsewhere / f'{folder}.png').write_bytes(src.read_bytes())
    out = inferencer(str(elsewhere / 'images.png'),
                     hhas=str(elsewhere / 'hha.png'),
                     out_dir=str(tmp_path / 'out'))
    np.testing.assert_array_equal(out['predictions'], found.numpy())
    assert len(list((tmp_path / 'out' / 'vis').glob('*.png'))) == 1
    hha = np.array(Image.open(data / 'hha' / 'img_5003.png'))
    bgr = np.array(Image.open(image))[..., ::-1].copy()
    out = inferencer(bgr, hhas=hha)
    np.testing.assert_array_equal(out['predictions'], found.numpy())
    with pytest.raises(Exception, match='2 images but 1 hhas'):
        inferencer([str(image)] * 2, hhas=[hha])


def test_hha_computed_from_the_given_depth(runs, tmp_path):
    """An HHA net given only the depth computes HHA from it (here with an
    explicit camera: the miniature is not NYUDv2-sized)."""
    run = runs['hha']
    cfg = Config.fromfile(str(run['config']))
    cfg.merge_from_dict(_tiny_model_options('fcn32s_vgg16_nyud-hha'))
    camera = [[40., 0., 20.], [0., 40., 18.], [0., 0., 1.]]
    for step in cfg.test_dataloader.dataset.pipeline:
        if step.type == 'LoadHHAFromFile':
            step.camera = camera
    inferencer = RGBDInferencer(cfg, str(run['ckpt']), device='cpu')
    data = runs['data']
    image = tmp_path / 'room.png'
    image.write_bytes((data / 'images' / 'img_5003.png').read_bytes())
    depth = data / 'depth' / 'img_5003.png'
    out = inferencer(str(image), depths=str(depth))
    assert out['predictions'].shape == SIZES['5003']
    from fcn_plugin.datasets.hha import depth_to_hha
    metres = np.array(Image.open(depth)).astype(np.float64) / 1000
    hha = depth_to_hha(metres, np.array(camera))
    direct = inferencer(str(image), hhas=hha)
    np.testing.assert_array_equal(out['predictions'], direct['predictions'])
    # no HHA and no depth: one error naming the image and the arguments
    with pytest.raises(Exception, match='no HHA map and no depth'):
        inferencer(str(image), hhas=None, depths=None)


def test_infer_tool_takes_the_depth(runs, tmp_path):
    run = runs['rgbd']
    data = runs['data']
    image = tmp_path / 'room.png'
    image.write_bytes((data / 'images' / 'img_5001.png').read_bytes())
    options = cli(_tiny_model_options('fcn32s_vgg16_nyud-rgbd'))
    out = _run(ROOT / 'tools/infer.py', run['config'], run['ckpt'], image,
               '--depth', data / 'depth' / 'img_5001.png', '--out-dir',
               tmp_path / 'out', '--cfg-options', *options, cwd=ROOT)
    assert '1 image(s)' in out
    label = np.array(Image.open(tmp_path / 'out' / 'label' / 'room.png'))
    assert label.shape == SIZES['5001']
    # Without the depth: one error line, nothing written.
    import subprocess
    import sys
    proc = subprocess.run(
        [sys.executable, 'tools/infer.py', str(run['config']),
         str(run['ckpt']), str(image), '--out-dir', str(tmp_path / 'none'),
         '--cfg-options', *options], cwd=ROOT, capture_output=True,
        text=True)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith('error:') and 'depth' in lines[-1]
    assert 'Traceback' not in proc.stderr
