"""Every config under configs/ is one listed here, named, loads and builds."""
import re
from pathlib import Path

import pytest
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope

from fcn_plugin.datasets.rgbd_transforms import MODALITY_CHANNELS
from fcn_tools.synthetic import make_synthetic_voc
from .conftest import CONFIGS

#: The paper's nets keep the reference's names (fcn.berkeleyvision.org).
PAPER_CONFIGS = [
    'fcn32s_vgg16_voc.py', 'fcn16s_vgg16_voc.py', 'fcn8s_vgg16_voc.py',
    'fcn8s-atonce_vgg16_voc.py'
] + [
    # pascalcontext-fcn*: 59 outputs (background ignored) and the
    # reference's 60
    f'fcn{net}_vgg16_pascal-context{task}.py' for net in ('32s', '16s', '8s')
    for task in ('-59', '')
] + [
    # siftflow-fcn*: two heads on one trunk
    f'fcn{net}_vgg16_siftflow.py' for net in ('32s', '16s', '8s')
] + [
    # voc-fcn-alexnet: the CaffeNet trunk with an FCN-32s head
    'fcn32s_alexnet_voc.py',
] + [
    # nyud-fcn32s-{color,hha,color-d,color-hha} and the paper's FCN-16s
    # late fusion
    f'fcn32s_vgg16_nyud-{task}.py' for task in ('rgb', 'hha', 'rgbd',
                                                'rgb-hha')
] + ['fcn16s_vgg16_nyud-rgb-hha.py']
#: The other top-level configs, in MMSeg's naming.
MMSEG_CONFIGS = [
    'fcn32s_vgg16_4xb2-40k_voc12aug-500x500.py',
    'fcn16s_vgg16_4xb2-40k_voc12aug-500x500.py',
    'fcn8s-atonce_vgg16_4xb2-40k_voc12aug-500x500.py',
    'fcn8s-atonce_vgg16_4xb2-amp-40k_voc12aug-500x500.py',
] + [
    # MMSeg's own dataset bases, and a folder of your own
    'fcn8s-atonce_vgg16_4xb4-80k_ade20k-512x512.py',
    'fcn8s-atonce_vgg16_4xb2-80k_cityscapes-512x1024.py',
    'fcn8s-atonce_vgg16_1xb4-20k_custom-512x512.py',
    'fcn8s-atonce_vgg16_4xb4-40k_pascal-context-59-480x480.py',
    'fcn8s-atonce_vgg16_1xb8-20k_siftflow-256x256.py',
]
DEMO_CONFIGS = [
    'demo/fcn32s_vgg16-tiny_1xb2-1.2k_synthetic-voc-224x224.py',
    'demo/fcn16s_vgg16-tiny_1xb2-0.6k_synthetic-voc-224x224.py',
    'demo/fcn8s_vgg16-tiny_1xb2-0.6k_synthetic-voc-224x224.py',
]
BASE_CONFIGS = [
    '_base_/default_runtime.py',
    '_base_/datasets/pascal_voc12_fcn.py',
    '_base_/datasets/pascal_voc12_aug_fcn.py',
    '_base_/datasets/synthetic_voc.py',
    '_base_/datasets/pascal_context_59_fcn.py',
    '_base_/datasets/pascal_context_fcn.py',
    '_base_/datasets/siftflow_fcn.py',
    '_base_/datasets/nyud_fcn.py',
    '_base_/models/fcn32s_vgg16.py',
    '_base_/models/fcn16s_vgg16.py',
    '_base_/models/fcn8s_vgg16.py',
    '_base_/models/fcn8s-atonce_vgg16.py',
    '_base_/models/fcn32s_alexnet.py',
    '_base_/models/fcn8s-atonce_vgg16_mean-loss.py',
    '_base_/models/fcn32s_vgg16_two-head.py',
    '_base_/models/fcn16s_vgg16_two-head.py',
    '_base_/models/fcn8s_vgg16_two-head.py',
    '_base_/models/torchvision_preprocessor.py',
    '_base_/schedules/demo_adam-poly_0.6k.py',
    '_base_/schedules/demo_adam-poly_1.2k.py',
    '_base_/schedules/study_adam-poly_0.4k.py',
    '_base_/schedules/fcn_paper_100k.py',
    '_base_/schedules/fcn_paper_300k.py',
    '_base_/schedules/poly_40k.py',
    '_base_/schedules/sgd-poly_20k.py',
    '_base_/schedules/sgd-poly_40k.py',
    '_base_/schedules/sgd-poly_80k.py',
]
#: The simplified FCN-8s and the single-switch ablations (docs/
#: architecture.md, "Config switches").
SWITCH_CONFIGS = [
    'fcn8s-simplified_vgg16_voc.py',
    'demo/fcn8s-simplified_vgg16-tiny_1xb4-0.4k_synthetic-voc-128x128.py',
    '_base_/models/fcn8s-simplified_vgg16.py',
] + [
    f'ablations/fcn8s-{name}_vgg16-tiny_1xb4-0.4k_synthetic-voc-128x128.py'
    for name in ('atonce', 'plain', 'nofc', 'nopad', 'pytorchinit',
                 'noscale')
]
EXPECTED = (PAPER_CONFIGS + MMSEG_CONFIGS + DEMO_CONFIGS + BASE_CONFIGS +
            SWITCH_CONFIGS)
#: {algorithm}_{backbone}_{N}xb{B}-{schedule}_{data}-{crop}
MMSEG_NAME = re.compile(r'^(?P<algorithm>fcn(32s|16s|8s|8s-atonce))_'
                        r'(?P<backbone>vgg16)_(?P<gpus>\d+)xb(?P<batch>\d+)-'
                        r'(?P<schedule>(amp-)?(?P<iters>\d+)k)_'
                        r'(?P<data>voc12aug|ade20k|cityscapes|custom|'
                        r'pascal-context-59|siftflow)-'
                        r'(?P<h>\d+)x(?P<w>\d+)\.py$')
#: The dataset each data name stands for, and its class count.
DATA = {
    'voc12aug': ('FCNVOCDataset', 21),
    'ade20k': ('ADE20KDataset', 150),
    'cityscapes': ('CityscapesDataset', 19),
    'custom': ('BaseSegDataset', 3),
    'pascal-context-59': ('PascalContextDataset59', 59),
    'siftflow': ('FCNSiftFlowDataset', 33),
}
#: The decode head each algorithm name stands for (type, skip scales).
HEADS = {
    'fcn32s': ('FCN32sHead', None, None),
    'fcn16s': ('FCN16sHead', 0.01, None),  # trained at once from VGG16
    'fcn8s': ('FCN8sHead', 1., 1.),
    'fcn8s-atonce': ('FCN8sHead', 0.01, 0.0001),
}
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def test_every_config_is_covered():
    """The configs on disk are exactly the listed ones."""
    on_disk = sorted(
        str(p.relative_to(CONFIGS)) for p in CONFIGS.rglob('*.py'))
    assert on_disk == sorted(EXPECTED)


@pytest.mark.parametrize('name', MMSEG_CONFIGS)
def test_mmseg_names_say_what_the_config_does(name: str):
    match = MMSEG_NAME.match(name)
    assert match, f'{name} is not {{algorithm}}_{{backbone}}_{{N}}xb{{B}}-'
    cfg = Config.fromfile(str(CONFIGS / name))
    head = cfg.model.decode_head
    head_type, pool4, pool3 = HEADS[match['algorithm']]
    assert head.type == head_type
    assert head.get('scale_pool4') == pool4
    assert head.get('scale_pool3') == pool3
    assert cfg.model.backbone.type == 'VGG16Caffe'
    assert cfg.train_dataloader.batch_size == int(match['batch'])
    assert cfg.train_cfg.max_iters == int(match['iters']) * 1000
    amp = match['schedule'].startswith('amp-')
    assert (cfg.optim_wrapper.type == 'AmpOptimWrapper') == amp
    crop = (int(match['h']), int(match['w']))
    assert cfg.model.data_preprocessor.size == crop
    crops = [t for t in cfg.train_pipeline if t.type == 'RandomCrop']
    assert [tuple(t.crop_size) for t in crops] == [crop]
    dataset_type, num_classes = DATA[match['data']]
    assert cfg.train_dataloader.dataset.type == dataset_type
    if match['data'] == 'voc12aug':
        assert cfg.train_dataloader.dataset.ann_file.endswith('trainaug.txt')
    # one class count for the head and the label check
    assert head.num_classes == num_classes
    checks = [
        t for t in cfg.train_pipeline + cfg.test_pipeline
        if t.type == 'CheckSegData'
    ]
    assert [t.num_classes for t in checks] == [num_classes] * 2


#: {algorithm}_vgg16-tiny_1xb{B}-{schedule}_synthetic-voc-{H}x{W}.py
TINY_NAME = re.compile(r'^(?P<algorithm>fcn[\w-]+)_vgg16-tiny_'
                       r'1xb(?P<batch>\d+)-(?P<iters>[\d.]+)k_'
                       r'synthetic-voc-(?P<h>\d+)x(?P<w>\d+)\.py$')


@pytest.mark.parametrize('name', [
    n for n in EXPECTED if n.startswith(('demo/', 'ablations/'))
])
def test_tiny_names_say_batch_schedule_and_image_size(name: str):
    """Demo and study configs name their batch, their iterations and the
    size of the synthetic images they are trained on."""
    from fcn_tools.demo import DATA
    from fcn_tools.variants.training import STUDY_DATA
    match = TINY_NAME.match(Path(name).name)
    assert match, name
    cfg = Config.fromfile(str(CONFIGS / name))
    assert cfg.train_dataloader.batch_size == int(match['batch'])
    assert cfg.train_cfg.max_iters == round(float(match['iters']) * 1000)
    assert cfg.param_scheduler[-1].end == cfg.train_cfg.max_iters
    staged = name in DEMO_CONFIGS
    data = DATA if staged else STUDY_DATA
    assert (int(match['h']), int(match['w'])) == tuple(data['size'])


@pytest.mark.parametrize('net, head_type, in_channels, in_index', [
    ('fcn16s', 'FCN16sHead', (512, 4096), (1, 2)),
    ('fcn8s', 'FCN8sHead', (256, 512, 4096), (0, 1, 2)),
    ('fcn8s-atonce', 'FCN8sHead', (256, 512, 4096), (0, 1, 2)),
])
def test_model_bases_merge_into_clean_heads(net, head_type, in_channels,
                                            in_index):
    """The skip nets' heads are FCN-32s' merged with what differs."""
    path = CONFIGS / f'_base_/models/{net}_vgg16.py'
    assert '_delete_' not in path.read_text()
    head = Config.fromfile(str(path)).model.decode_head
    assert head.type == head_type
    assert tuple(head.in_channels) == in_channels
    assert tuple(head.in_index) == in_index
    keys = {
        'type', 'in_channels', 'in_index', 'num_classes',
        'learnable_upsample', 'channels_last', 'loss_decode'
    }
    if head_type == 'FCN8sHead':
        keys |= {'scale_pool4', 'scale_pool3'}
    assert set(head) == keys
    assert head.loss_decode.reduction == 'sum'


def test_mean_loss_base_changes_only_the_loss():
    """The modern recipe's model base is the at-once net's, merged, with
    MMSeg's mean cross-entropy."""
    models = CONFIGS / '_base_/models'
    path = models / 'fcn8s-atonce_vgg16_mean-loss.py'
    assert '_delete_' not in path.read_text()
    mean = Config.fromfile(str(path)).model.to_dict()
    atonce = Config.fromfile(str(models / 'fcn8s-atonce_vgg16.py')).model
    assert mean['decode_head'].pop('loss_decode') == dict(
        atonce.decode_head.pop('loss_decode'), reduction='mean')
    assert mean == atonce.to_dict()


def _point_at(node, data_root: str):
    """Replace every data_root in a (nested) dataset config."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'data_root':
                node[key] = data_root
            else:
                _point_at(value, data_root)
    elif isinstance(node, list):
        for value in node:
            _point_at(value, data_root)


@pytest.fixture(scope='module')
def synthetic_root(tmp_path_factory) -> str:
    return str(make_synthetic_voc(tmp_path_factory.mktemp('voc'), 4))


@pytest.fixture(scope='module')
def data_roots(tmp_path_factory, synthetic_root) -> dict:
    """A tiny folder for each dataset type, in that dataset's layout."""
    from .test_datasets.test_any_dataset import (write_ade20k,
                                                 write_cityscapes,
                                                 write_custom,
                                                 write_pascal_context,
                                                 write_siftflow)
    from .test_datasets.test_nyud import write_nyud
    tmp = tmp_path_factory.mktemp('layouts')
    return {
        'FCNVOCDataset': synthetic_root,
        'ADE20KDataset': str(write_ade20k(tmp / 'ade20k')),
        'CityscapesDataset': str(write_cityscapes(tmp / 'cityscapes')),
        'BaseSegDataset': str(write_custom(tmp / 'custom')),
        **dict.fromkeys(('PascalContextDataset59', 'FCNPascalContextDataset',
                         'FCNPascalContextDataset59'),
                        str(write_pascal_context(tmp / 'context'))),
        'FCNSiftFlowDataset': str(write_siftflow(tmp / 'siftflow')),
        'FCNNYUDDataset': str(write_nyud(tmp / 'nyud')),
    }


@pytest.mark.parametrize('name', EXPECTED)
def test_config_loads_and_builds(name: str, data_roots: dict):
    """Each config builds its model and data through the registries."""
    from mmseg.registry import DATASETS, MODELS
    path = Path(CONFIGS / name)
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    built = 0
    if isinstance(cfg.get('model'), ConfigDict):
        model = MODELS.build(cfg.model)
        assert sum(p.numel() for p in model.parameters()) > 0
        del model
        built += 1
    for key, value in cfg.items():
        if key.endswith('data_preprocessor') and isinstance(
                value, ConfigDict):
            MODELS.build(value)
            built += 1
    for key in LOADERS:
        if isinstance(cfg.get(key), ConfigDict):
            dataset_cfg = cfg[key].dataset.to_dict()
            _point_at(dataset_cfg, data_roots[dataset_cfg['type']])
            dataset = DATASETS.build(dataset_cfg)
            assert len(dataset) > 0
            # the image, or the stacked modalities of an RGB-D net
            channels = sum(MODALITY_CHANNELS[m] for m in dataset_cfg.get(
                'modalities', ('color', )))
            assert dataset[0]['inputs'].shape[0] == channels
            built += 1
    if path.parent.name != 'schedules' and path.name != 'default_runtime.py':
        assert built > 0, f'{path} describes neither a model nor data'


def test_alexnet_recipe_is_the_reference_solver():
    """configs/fcn32s_alexnet_voc.py: voc-fcn-alexnet/solver.prototxt with
    Caffe's iter_size 20 as MMEngine's gradient accumulation, counted in
    forward/backward passes."""
    from mmengine.optim import build_optim_wrapper
    from mmseg.registry import MODELS

    from .conftest import TINY_ALEXNET_WIDTHS
    cfg = Config.fromfile(str(CONFIGS / 'fcn32s_alexnet_voc.py'))
    init_default_scope('mmseg')
    assert cfg.model.backbone.type == 'AlexNetCaffe'
    assert cfg.model.decode_head.type == 'FCN32sAlexNetHead'
    # normalize=True: the mean over the valid pixels
    assert cfg.model.decode_head.loss_decode.avg_non_ignore
    assert cfg.train_dataloader.batch_size == 1
    updates, passes = 100000, 20
    assert cfg.train_cfg.max_iters == updates * passes
    assert cfg.train_cfg.val_interval == 4000 * passes
    assert cfg.default_hooks.checkpoint.interval == 4000 * passes
    cfg.model.backbone.update(TINY_ALEXNET_WIDTHS, init_cfg=None)
    cfg.model.decode_head.in_channels = TINY_ALEXNET_WIDTHS['fc_channels']
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert wrapper._accumulative_counts == passes
    names = {id(p): n for n, p in model.named_parameters()}
    groups = {
        names[id(g['params'][0])]: (g['lr'], g['weight_decay'], g['momentum'])
        for g in wrapper.optimizer.param_groups
    }
    # score_fr's bias: lr_mult 2, decay_mult 0; every other layer Caffe's
    # defaults (the trunk's biases at the base lr, with decay)
    assert groups.pop('decode_head.score_fr.bias') == (2e-4, 0., 0.9)
    assert 'backbone.conv1.bias' in groups
    assert set(groups.values()) == {(1e-4, 5e-4, 0.9)}
