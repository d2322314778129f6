"""Checks of a weight file against the FCN net a config builds.

Used by :class:`~fcn_plugin.engine.FCNWeightsHook`; plain functions so
that they can be tested and reused without a Runner.
"""
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence

import torch
import torch.nn as nn

from fcn_plugin.converters.layers import (NET_TITLES, STAGES, fmt_shape,
                                          layer_of, net_of_layers)
from fcn_plugin.errors import WeightFileError
from fcn_plugin.models.net_table import droppable_layers, variant_mismatch

#: Converter commands that produce each kind of weight file.
VGG_HINTS = (
    'python tools/model_converters/caffe2mmseg.py '
    'VGG_ILSVRC_16_layers.caffemodel {path}',
    'python tools/model_converters/vgg2mmseg.py vgg16-397923af.pth {path}'
    '   (torchvision weights: also use configs/_base_/models/'
    'torchvision_preprocessor.py)',
)
CAFFE_RELEASES = {'fcn32s': 'fcn32s-heavy-pascal.caffemodel',
                  'fcn16s': 'fcn16s-heavy-pascal.caffemodel',
                  'fcn8s': 'fcn8s-heavy-pascal.caffemodel',
                  'fcn8s-atonce': 'fcn8s-atonce-pascal.caffemodel'}


def model_net(model: nn.Module) -> Optional[str]:
    """The FCN net of a segmentor (None if it is not one of the plugin's)."""
    from fcn_plugin.models import net_name_of
    return net_name_of(model)


def checkpoint_net(state_dict: Mapping[str, Any],
                   meta: Optional[Mapping[str, Any]] = None) -> str:
    """The net a checkpoint holds: ``meta['fcn_net']`` or its layers."""
    if meta and meta.get('fcn_net') in STAGES:
        return meta['fcn_net']
    return net_of_layers(state_dict)


def converter_hint(path: str, net: str) -> str:
    """Commands that write ``path`` holding ``net`` weights."""
    if net not in CAFFE_RELEASES and not net.startswith('vgg16'):
        lines = [f'train the {NET_TITLES[net]} config (no released '
                 'weights exist for this variant)']
    elif net.startswith('vgg16'):
        lines = [h.format(path=path) for h in VGG_HINTS]
    else:
        lines = [
            'python tools/model_converters/caffe2mmseg.py '
            f'{CAFFE_RELEASES[net]} {path}',
            'python tools/model_converters/torchfcn2mmseg.py '
            f'{net}_from_caffe.pth {path}',
        ]
    return '\n  '.join([''] + lines)


def missing_file_message(path: str, setting: str, net: str,
                         staged_from: Optional[str] = None) -> str:
    """Message for a weight file that a config names but does not exist."""
    want = staged_from or net
    msg = (f'{path} ({setting}) does not exist. It should hold the '
           f'{NET_TITLES[want]} weights')
    if staged_from and staged_from != 'vgg16':
        msg += (f' this {NET_TITLES[net]} training starts from (staged '
                f'training): train the {NET_TITLES[staged_from]} config '
                'first and point load_from to its last checkpoint, or '
                'convert the released model with one of:')
    else:
        msg += '; make it with one of:'
    return msg + converter_hint(path, want) + '\nSee docs/weights.md.'


@dataclass
class LoadPlan:
    """What loading a checkpoint into a net does, key by key."""
    source_net: str
    copied: List[str] = field(default_factory=list)
    kept: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)

    def describe(self, source: str, net: str) -> str:
        """A log line listing copied, kept and skipped layers."""
        def layers(keys):
            names = []
            for k in keys:
                if layer_of(k) not in names:
                    names.append(layer_of(k))
            return ', '.join(names) or 'none'

        text = (f'{source}: {NET_TITLES[self.source_net]} weights into '
                f'{NET_TITLES[net]}: copied {len(self.copied)} tensors '
                f'({layers(self.copied)})')
        if self.kept:
            text += ('; kept at their initial values (score layers zero, '
                     f'upscore layers bilinear): {layers(self.kept)}')
        if self.skipped:
            text += ('; skipped on purpose, no place in '
                     f'{NET_TITLES[net]}: ' + ', '.join(self.skipped))
        return text


def _shape_lines(model_shapes, state_dict, keys) -> List[str]:
    lines = []
    for k in keys:
        lines.append(f'{k}: file {fmt_shape(state_dict[k].shape)}, model '
                     f'{fmt_shape(model_shapes[k])}')
        if layer_of(k) == 'score_fr' and k.endswith('weight'):
            lines.append(
                f'  -> the file has {state_dict[k].shape[0]} classes, the '
                f'config num_classes={model_shapes[k][0]}')
    return lines


def plan_load(model_shapes: Mapping[str, Sequence[int]],
              net: str,
              state_dict: Mapping[str, torch.Tensor],
              source: str,
              meta: Optional[Mapping[str, Any]] = None,
              staged: bool = False) -> LoadPlan:
    """Decide how ``state_dict`` loads into ``net``, or fail clearly.

    A file of the same net must match key for key. With ``staged`` (when
    training), a file of an earlier stage (VGG16 -> 32s -> 16s -> 8s) may
    initialise a later one as in the paper: its layers are copied, the new
    score layers keep their zero init and the upscore layers their bilinear
    init; its upscore layers that have no place in the new net (e.g. the
    32s ``upscore`` in FCN-16s) are skipped and reported.

    Args:
        model_shapes (Mapping[str, Sequence[int]]): The model's state-dict
            shapes.
        net (str): The model's net.
        state_dict (Mapping[str, Tensor]): The file's state dict.
        source (str): The file, for messages.
        meta (Mapping, optional): The file's meta.
        staged (bool): Allow initialising from an earlier stage.

    Returns:
        LoadPlan: Copied, kept and skipped keys.

    Raises:
        WeightFileError: Naming the file, the nets, the layers and shapes.
    """
    src_net = checkpoint_net(state_dict, meta)
    mismatch = variant_mismatch(src_net, net)
    if mismatch:
        raise WeightFileError(
            f'{source} holds {NET_TITLES[src_net]} weights (meta fcn_net), '
            f'but the config builds {NET_TITLES[net]}; {mismatch}')
    wrong = [
        k for k in model_shapes if k in state_dict
        and tuple(state_dict[k].shape) != tuple(model_shapes[k])
    ]
    if wrong:
        raise WeightFileError(
            f'{source} ({NET_TITLES[src_net]}) does not fit the '
            f'{NET_TITLES[net]} of the config; shapes differ:\n  ' +
            '\n  '.join(_shape_lines(model_shapes, state_dict, wrong)))
    missing = [k for k in model_shapes if k not in state_dict]
    unexpected = [k for k in state_dict if k not in model_shapes]
    copied = [k for k in model_shapes if k in state_dict]
    if STAGES[src_net] > STAGES[net] or (
            STAGES[src_net] < STAGES[net] and not staged):
        extra = sorted({layer_of(k) for k in unexpected})
        lacking = sorted({layer_of(k) for k in missing})
        why = ('testing or resuming needs weights of the same net'
               if STAGES[src_net] < STAGES[net] else
               'a later-stage checkpoint cannot initialise an earlier net')
        raise WeightFileError(
            f'{source} holds {NET_TITLES[src_net]} weights, but the config '
            f'builds {NET_TITLES[net]} ({why}); layers only in the file: '
            f'{", ".join(extra) or "none"}; layers the file lacks: '
            f'{", ".join(lacking) or "none"}')
    if src_net == net:
        if missing or unexpected:
            raise WeightFileError(
                f'{source} ({NET_TITLES[src_net]}) does not match the '
                f'{NET_TITLES[net]} of the config; missing keys: '
                f'{", ".join(missing) or "none"}; unexpected keys: '
                f'{", ".join(unexpected) or "none"}')
        return LoadPlan(src_net, copied=copied)
    bad_missing = [k for k in missing if not k.startswith('decode_head.')]
    bad_unexpected = [
        k for k in unexpected if layer_of(k) not in droppable_layers(net)
    ]
    if bad_missing or bad_unexpected:
        raise WeightFileError(
            f'{source} cannot initialise {NET_TITLES[net]} from '
            f'{NET_TITLES[src_net]}; trunk keys missing: '
            f'{", ".join(bad_missing) or "none"}; keys with no place: '
            f'{", ".join(bad_unexpected) or "none"}')
    return LoadPlan(src_net, copied=copied, kept=missing, skipped=unexpected)


def preprocessor_input(model: nn.Module) -> Optional[Dict[str, Any]]:
    """mean/std/bgr_to_rgb of a segmentor's ``SegDataPreProcessor``."""
    dp = getattr(model, 'data_preprocessor', None)
    mean = getattr(dp, 'mean', None)
    if dp is None or mean is None or not getattr(dp, '_enable_normalize',
                                                 False):
        return None
    return dict(mean=[round(float(v), 5) for v in dp.mean.flatten()],
                std=[round(float(v), 5) for v in dp.std.flatten()],
                bgr_to_rgb=bool(dp.channel_conversion))


def check_input(meta: Optional[Mapping[str, Any]], model: nn.Module,
                source: str) -> None:
    """Fail if the file was trained for another input normalisation.

    Raises:
        WeightFileError: When ``meta['input']`` and the model's
            ``data_preprocessor`` disagree.
    """
    want = (meta or {}).get('input')
    have = preprocessor_input(model)
    if not want or have is None:
        return
    same = (bool(want['bgr_to_rgb']) == have['bgr_to_rgb']
            and torch.allclose(torch.tensor(want['mean'], dtype=torch.float),
                               torch.tensor(have['mean']), atol=1e-3)
            and torch.allclose(torch.tensor(want['std'], dtype=torch.float),
                               torch.tensor(have['std']), atol=1e-3))
    if not same:
        origin = want.get('origin', 'its')
        raise WeightFileError(
            f'{source} expects {origin} input: data_preprocessor '
            f'mean={list(want["mean"])}, std={list(want["std"])}, '
            f'bgr_to_rgb={want["bgr_to_rgb"]}; the config has mean='
            f'{have["mean"]}, std={have["std"]}, bgr_to_rgb='
            f'{have["bgr_to_rgb"]}. Use the matching preprocessor (see '
            'docs/weights.md) or FCNWeightsHook(check_input=False).')


def load_for_check(path: str) -> Dict[str, Any]:
    """Load a local checkpoint safely and cheaply (memory-mapped).

    Raises:
        UnsafeCheckpointError: The file holds a pickled object outside the
            allowlist; it is not loaded.
        WeightFileError: The file is unreadable or holds no mapping.
    """
    from fcn_plugin.utils.safe_checkpoint import safe_load
    ckpt = safe_load(path, map_location='cpu', mmap=True)
    if not isinstance(ckpt, Mapping):
        raise WeightFileError(f'{path} does not hold a state dict')
    return ckpt
