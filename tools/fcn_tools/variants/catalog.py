"""The FCN-8s variants of the study: their configs and models.

Every variant is a config of the same ``VGG16Caffe`` backbone and
``FCN8sHead`` (docs/architecture.md, "Config switches"): the original
FCN-8s at-once, the simplified FCN-8s of tutorials, and the ablations of
``configs/ablations/`` in between, each of which changes one switch of the
config it inherits. The configs are the demo-width twins that train on the
synthetic VOC set; for the cost measures the same model is built at the
full VGG16 widths (or the benchmark's tiny widths).
"""
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

import torch.nn as nn
from mmengine.config import Config

from ..benchmark.cases import TINY_WIDTHS

#: The repository (configs are named relative to it).
ROOT = Path(__file__).resolve().parents[3]
#: The demo-width configs on the synthetic VOC set end like this (the
#: image size in the name may change with the demo's data set).
_DEMO = 'vgg16-tiny_1xb4-*_synthetic-voc-*.py'


@dataclass(frozen=True)
class Variant:
    """One net of the study.

    Args:
        name (str): Short name (``original``, ``simplified``, ``plain``...).
        config (str): Glob of its demo-width config, relative to the
            repository; exactly one file must match.
        change (str): What it changes against ``parent``.
        parent (str, optional): The variant its config inherits, None for
            the two ends of the study.
    """
    name: str
    config: str
    change: str
    parent: Optional[str] = None


#: The variants, the original first (ratios are taken against it).
VARIANTS: Dict[str, Variant] = {
    v.name: v
    for v in (
        Variant(
            'original', f'configs/ablations/fcn8s-atonce_{_DEMO}',
            'FCN-8s at-once: pad 100, fc6/fc7, Caffe crops, zero/bilinear '
            'init, skips x0.01/x0.0001'),
        Variant(
            'simplified', f'configs/demo/fcn8s-simplified_{_DEMO}',
            'no fc6/fc7, pad 1, plain alignment, PyTorch init, unscaled '
            'skips, torchvision normalisation'),
        Variant('plain', f'configs/ablations/fcn8s-plain_{_DEMO}',
                "align='plain' (no Caffe crops)", 'original'),
        Variant('pytorchinit', f'configs/ablations/fcn8s-pytorchinit_{_DEMO}',
                "init='pytorch', upscore layers trained", 'original'),
        Variant('noscale', f'configs/ablations/fcn8s-noscale_{_DEMO}',
                'skips unscaled (1, 1)', 'original'),
        Variant('nofc', f'configs/ablations/fcn8s-nofc_{_DEMO}',
                'with_fc=False (score_fr reads pool5)', 'plain'),
        Variant('nopad', f'configs/ablations/fcn8s-nopad_{_DEMO}',
                'first_pad=1', 'nofc'),
    )
}
#: The variant every ratio is taken against.
REFERENCE = 'original'
#: Trunk widths of the cost measures: VGG16's, or the benchmark's tiny
#: ones (same geometry) for smoke runs. Dropout as in the reference nets.
WIDTHS = {
    'full':
    dict(
        stage_channels=(64, 128, 256, 512, 512),
        fc_channels=4096,
        dropout_ratio=0.5),
    'tiny':
    dict(TINY_WIDTHS, dropout_ratio=0.5),
}


def config_path(name: str) -> Path:
    """The config file of variant ``name``; an error names a missing or
    ambiguous one."""
    pattern = VARIANTS[name].config
    paths = sorted(ROOT.glob(pattern))
    if len(paths) != 1:
        found = ', '.join(str(p.relative_to(ROOT)) for p in paths)
        raise FileNotFoundError(
            f'{pattern} (the config of variant {name!r}) matches '
            + (f'{len(paths)} files ({found}); keep one' if paths else
               'no file; restore it') + ', or leave the variant out of '
            '--variants')
    return paths[0]


def load_config(name: str) -> Config:
    """The demo-width config of variant ``name``."""
    return Config.fromfile(str(config_path(name)))


def model_cfg(name: str, widths: Optional[str] = None) -> dict:
    """The model dict of variant ``name``.

    Args:
        name (str): The variant.
        widths (str, optional): ``'full'`` or ``'tiny'`` (see
            :data:`WIDTHS`) to rebuild the config's net at those trunk
            widths, the head's ``in_channels`` following the backbone
            outputs it reads; None keeps the config's (demo) widths.
    """
    model = copy.deepcopy(load_config(name).model)
    if widths is None:
        return model
    backbone, head = model['backbone'], model['decode_head']
    backbone.update(WIDTHS[widths])
    # The cost measures need no weights.
    backbone.pop('init_cfg', None)
    outputs = (tuple(backbone['stage_channels']) +
               (backbone['fc_channels'], ))
    selected = [outputs[i] for i in backbone['out_indices']]
    index = head['in_index']
    head['in_channels'] = (
        tuple(selected[i] for i in index) if isinstance(index, (list, tuple))
        else selected[index])
    return model


def build_model(name: str, widths: Optional[str] = None) -> nn.Module:
    """Build variant ``name`` through MMSeg's registry (see
    :func:`model_cfg`)."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import fcn_plugin  # noqa: F401  (registers the plugin)
    init_default_scope('mmseg')
    return MODELS.build(model_cfg(name, widths))


def count_parameters(model: nn.Module) -> Tuple[int, int]:
    """(all, trainable) parameter counts; the fixed bilinear upscore
    kernels count as parameters that are not trained."""
    params = list(model.parameters())
    return (sum(p.numel() for p in params),
            sum(p.numel() for p in params if p.requires_grad))
