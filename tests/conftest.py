"""Shared test helpers: config paths, registry builds, tiny-width nets."""
import copy
import math
from pathlib import Path
from typing import Tuple

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope

import fcn_plugin  # noqa: F401  (registers the plugin)
from fcn_tools.benchmark.cases import PLAIN_OPTIONS

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / 'configs'
MODEL_CFGS = {
    'fcn32s': CONFIGS / '_base_/models/fcn32s_vgg16.py',
    'fcn16s': CONFIGS / '_base_/models/fcn16s_vgg16.py',
    'fcn8s': CONFIGS / '_base_/models/fcn8s_vgg16.py',
    'fcn8s-atonce': CONFIGS / '_base_/models/fcn8s-atonce_vgg16.py',
    'fcn32s-alexnet': CONFIGS / '_base_/models/fcn32s_alexnet.py',
}
#: Narrow widths with the exact VGG16 geometry, for fast CPU tests.
TINY_WIDTHS = dict(stage_channels=(4, 5, 6, 7, 8), fc_channels=9)
#: Narrow widths with the exact CaffeNet geometry (those of
#: ``tests/data/tiny_fcn32s_alexnet_voc.py``; even where the group-2 convs
#: need it).
TINY_ALEXNET_WIDTHS = dict(stage_channels=(4, 6, 6, 4, 6), fc_channels=9)
#: The tiny widths of each trunk, by backbone type (other types: VGG16's).
TINY_TRUNK_WIDTHS = {
    'VGG16Caffe': TINY_WIDTHS,
    'AlexNetCaffe': TINY_ALEXNET_WIDTHS,
}
#: Settings of the plain network (direct convolutions, NCHW throughout), by
#: dotted key, and the backbone's share of them.
PLAIN = PLAIN_OPTIONS
PLAIN_BACKBONE = {
    key.split('.', 1)[1]: value
    for key, value in PLAIN.items() if key.startswith('backbone.')
}
#: pool3 / pool4 / fc7 widths of the tiny trunk, as each head takes them.
TINY_HEAD_CHANNELS = {
    'fcn32s': 9,
    'fcn16s': (7, 9),
    'fcn8s': (6, 7, 9),
    'fcn8s-atonce': (6, 7, 9),
    'fcn32s-alexnet': 9,
}


def model_cfg(net: str,
              tiny: bool = True,
              num_classes: int = 21,
              options: dict = None) -> ConfigDict:
    """The model dict of a net's base config, as a config user gets it.

    ``options`` overrides settings by dotted key, e.g. :data:`PLAIN`.
    """
    cfg = Config.fromfile(str(MODEL_CFGS[net]))
    cfg.merge_from_dict({f'model.{k}': v for k, v in (options or {}).items()})
    model = copy.deepcopy(cfg.model)
    head = model['decode_head']
    head['num_classes'] = num_classes
    if tiny:
        model['backbone'].update(tiny_widths(model['backbone']['type']))
        head['in_channels'] = TINY_HEAD_CHANNELS[net]
    return model


def tiny_widths(backbone_type: str) -> dict:
    """``stage_channels`` and ``fc_channels`` of a trunk's tiny widths."""
    return TINY_TRUNK_WIDTHS.get(backbone_type, TINY_WIDTHS)


def tiny_output_widths(backbone_type: str) -> Tuple[int, ...]:
    """Widths of every output of a trunk at its tiny widths, in
    ``out_indices`` order (VGG16: pool1 ... pool5, fc7; CaffeNet: pool1,
    pool2, pool5, fc7); VGG16's for a type that is no declared trunk."""
    from mmseg.registry import MODELS

    from fcn_plugin.models.backbones import VGG16Caffe
    trunk = MODELS.get(backbone_type)
    if not hasattr(trunk, 'output_layers'):
        trunk = VGG16Caffe
    widths = tiny_widths(backbone_type)
    shapes = trunk.layer_shapes(widths['stage_channels'],
                                widths['fc_channels'])
    return tuple(shapes[layer][0] for layer in trunk.output_layers.values())


def build_model(net: str, tiny: bool = True, **kwargs) -> torch.nn.Module:
    """Build a segmentor through MMSeg's MODELS registry."""
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    return MODELS.build(model_cfg(net, tiny=tiny, **kwargs))


def randomize(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights (unit-variance activations) for every parameter."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))
    return model


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
