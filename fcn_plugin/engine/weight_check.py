"""Checks of a weight file against the FCN net a config builds.

Used by :class:`~fcn_plugin.engine.FCNWeightsHook`; plain functions so
that they can be tested and reused without a Runner.
"""
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from fcn_plugin.converters.layers import (CAFFE_RELEASES, NET_TITLES, TRUNK,
                                          TRUNK_NET, fmt_shape, layer_of,
                                          net_of_layers)
from fcn_plugin.errors import WeightFileError
from fcn_plugin.models.net_table import (DESCRIPTIONS, VARIANTS,
                                         droppable_layers, lineage,
                                         variant_mismatch)

#: Converter commands that produce a trunk weight file.
TRUNK_HINTS = (
    'python tools/model_converters/caffe2mmseg.py '
    f'{TRUNK.net.caffe_release} {{path}}',
    'python tools/model_converters/vgg2mmseg.py vgg16-397923af.pth {path}'
    '   (torchvision weights: also use configs/_base_/models/'
    'torchvision_preprocessor.py)',
)
#: The key whose first dimension is a net's number of classes.
CLASSES_KEY = 'decode_head.score_fr.weight'


def model_net(model: nn.Module) -> Optional[str]:
    """The FCN net of a segmentor (None if it is not one of the plugin's)."""
    from fcn_plugin.models import net_name_of
    return net_name_of(model)


def checkpoint_net(state_dict: Mapping[str, Any],
                   meta: Optional[Mapping[str, Any]] = None) -> str:
    """The net a checkpoint holds: ``meta['fcn_net']`` or its layers."""
    if meta and meta.get('fcn_net') in VARIANTS:
        return meta['fcn_net']
    return net_of_layers(state_dict)


def converter_hint(path: str, net: str) -> str:
    """Commands that write ``path`` holding ``net`` weights."""
    ref = VARIANTS[net][0]
    if ref == TRUNK_NET:
        lines = [h.format(path=path) for h in TRUNK_HINTS]
    elif net in CAFFE_RELEASES:
        lines = [
            'python tools/model_converters/caffe2mmseg.py '
            f'{CAFFE_RELEASES[net]} {path}'
        ]
        if DESCRIPTIONS[net].torchfcn_arch:
            lines.append('python tools/model_converters/torchfcn2mmseg.py '
                         f'{net}_from_caffe.pth {path}')
    else:
        lines = [f'train the {NET_TITLES[net]} config (no released '
                 'weights exist for this net)']
    return '\n  '.join([''] + lines)


def missing_file_message(path: str, setting: str, net: str,
                         staged_from: Optional[str] = None) -> str:
    """Message for a weight file that a config names but does not exist."""
    want = staged_from or net
    msg = (f'{path} ({setting}) does not exist. It should hold the '
           f'{NET_TITLES[want]} weights')
    if staged_from and VARIANTS[staged_from][0] != TRUNK_NET:
        msg += (f' this {NET_TITLES[net]} training starts from (staged '
                f'training): train the {NET_TITLES[staged_from]} config '
                'first and point load_from to its last checkpoint, or '
                'convert the released model with one of:')
    else:
        msg += '; make it with one of:'
    return msg + converter_hint(path, want) + '\nSee docs/weights.md.'


@dataclass
class LoadPlan:
    """What loading a checkpoint into a net does, key by key.

    ``copied`` keys are loaded; ``kept`` keys keep the model's initial
    values; ``skipped`` keys (layers with no place in the net) and
    ``reset`` keys (class-sized layers of a file with another class
    count, see ``new_classes``) are dropped from the checkpoint.
    """
    source_net: str
    copied: List[str] = field(default_factory=list)
    kept: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    reset: List[str] = field(default_factory=list)
    classes: Tuple[Optional[int], Optional[int]] = (None, None)

    @property
    def dropped(self) -> List[str]:
        """Keys to remove from the checkpoint before MMEngine loads it."""
        return self.skipped + self.reset

    def describe(self, source: str, net: str) -> str:
        """A log line listing copied, kept, reset and skipped layers."""
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
        if self.reset:
            text += (f'; started afresh for {self.classes[1]} classes (the '
                     f'file has {self.classes[0]}; score layers zero, upscore '
                     f'layers bilinear): {layers(self.reset)}')
        if self.skipped:
            text += ('; skipped on purpose, no place in '
                     f'{NET_TITLES[net]}: ' + ', '.join(self.skipped))
        return text


def _shape_lines(model_shapes, state_dict, keys) -> List[str]:
    return [
        f'{k}: file {fmt_shape(state_dict[k].shape)}, model '
        f'{fmt_shape(model_shapes[k])}' for k in keys
    ]


def _classes(shapes: Mapping[str, Sequence[int]]) -> Optional[int]:
    shape = shapes.get(CLASSES_KEY)
    return None if shape is None else int(shape[0])


def reconvert_hint(meta: Optional[Mapping[str, Any]],
                   num_classes: int) -> str:
    """How to convert a release again for ``num_classes`` classes, or ''.

    A checkpoint converted from a release with its class rows reordered
    records ``meta['class_order']`` (release, target); when another target
    of that release has ``num_classes`` classes, the hint names its
    ``--classes``.
    """
    from fcn_plugin.datasets.class_orders import CLASS_ORDERS, dataset_meta
    record = (meta or {}).get('class_order')
    order = CLASS_ORDERS.get(record.get('release')) \
        if isinstance(record, Mapping) else None
    if order is None:
        return ''
    fits = [
        t for t in order.targets if t != record.get('target')
        and len(dataset_meta(t)['classes']) == num_classes
    ]
    if not fits:
        return ''
    source = f' (source: {meta["source"]})' if meta.get('source') else ''
    return (f'; it was converted from the {order.title} release for '
            f'--classes {record.get("target")}; for {order.targets[fits[0]]} '
            f'({num_classes} classes) reconvert with '
            f'tools/model_converters/caffe2mmseg.py --classes {fits[0]}'
            f'{source}')


def _class_change(model_shapes: Mapping[str, Sequence[int]], net: str,
                  state_dict: Mapping[str, torch.Tensor], source: str,
                  src_net: str, staged: bool, new_classes: bool,
                  meta: Optional[Mapping[str, Any]] = None
                  ) -> Tuple[List[str], Tuple[Optional[int], Optional[int]]]:
    """The head keys to start afresh for another class count, or fail.

    Returns:
        tuple: (keys to reset, (file classes, model classes)); no keys
        when the counts agree or the file has no head.
    """
    have = _classes({k: v.shape for k, v in state_dict.items()})
    want = _classes(model_shapes)
    if have is None or want is None or have == want:
        return [], (have, want)
    msg = (f'{source} holds {NET_TITLES[src_net]} weights, but the config '
           f'builds {NET_TITLES[net]} with another class count: the file has '
           f'{have} classes, the config num_classes={want} ({CLASSES_KEY}: '
           f'file {fmt_shape(state_dict[CLASSES_KEY].shape)}, model '
           f'{fmt_shape(model_shapes[CLASSES_KEY])})'
           + reconvert_hint(meta, want))
    if not staged:
        raise WeightFileError(
            msg + '; testing or resuming needs a checkpoint trained with '
            f'num_classes={want}')
    if not new_classes:
        raise WeightFileError(
            msg + '. To keep the other layers and start the score layers '
            'afresh as the recipe does (zero score layers, bilinear upscore '
            "layers), add dict(type='FCNWeightsHook', new_classes=True) to "
            f'custom_hooks; or set num_classes={have}')
    reset = [
        k for k in model_shapes
        if k.startswith('decode_head.') and k in state_dict
        and tuple(state_dict[k].shape) != tuple(model_shapes[k])
    ]
    return reset, (have, want)


def plan_load(model_shapes: Mapping[str, Sequence[int]],
              net: str,
              state_dict: Mapping[str, torch.Tensor],
              source: str,
              meta: Optional[Mapping[str, Any]] = None,
              staged: bool = False,
              new_classes: bool = False) -> LoadPlan:
    """Decide how ``state_dict`` loads into ``net``, or fail clearly.

    A file of the same net must match key for key. With ``staged`` (when
    training), a file of a net ``net`` is staged from (its lineage, e.g.
    VGG16 -> 32s -> 16s -> 8s, as each net declares) may initialise it as
    in the paper: its layers are copied, the new score layers keep their
    zero init and the upscore layers their bilinear init; its upscore
    layers that have no place in the new net (e.g. the 32s ``upscore`` in
    FCN-16s) are skipped and reported.

    Args:
        model_shapes (Mapping[str, Sequence[int]]): The model's state-dict
            shapes.
        net (str): The model's net.
        state_dict (Mapping[str, Tensor]): The file's state dict.
        source (str): The file, for messages.
        meta (Mapping, optional): The file's meta.
        staged (bool): Allow initialising from an earlier stage.
        new_classes (bool): With ``staged``, a file with another number of
            classes initialises every layer but the class-sized head
            layers, which keep their initial values. Otherwise such a file
            is refused, naming both counts.

    Returns:
        LoadPlan: Copied, kept, reset and skipped keys.

    Raises:
        WeightFileError: Naming the file, the nets, the layers and shapes.
    """
    src_net = checkpoint_net(state_dict, meta)
    mismatch = variant_mismatch(src_net, net)
    if mismatch:
        raise WeightFileError(
            f'{source} holds {NET_TITLES[src_net]} weights (meta fcn_net), '
            f'but the config builds {NET_TITLES[net]}; {mismatch}')
    # A trunk file (any trunk variant) starts every net; it is also a
    # trunk variant's own weights (fc6/fc7 dropped without them).
    trunk_file = VARIANTS[src_net][0] == TRUNK_NET
    same = src_net == net or trunk_file and VARIANTS[net][0] == TRUNK_NET
    staged_ok = trunk_file or src_net in lineage(net)[1:]
    if src_net != net and not staged_ok:
        why = ('a later-stage checkpoint cannot initialise an earlier net'
               if net in lineage(src_net) else
               f'{NET_TITLES[net]} is trained from '
               + ' <- '.join(NET_TITLES[n] for n in lineage(net)[1:]))
        _raise_other_net(model_shapes, net, state_dict, source, src_net, why)
    reset, classes = _class_change(model_shapes, net, state_dict, source,
                                   src_net, staged, new_classes, meta)
    wrong = [
        k for k in model_shapes if k in state_dict and k not in reset
        and tuple(state_dict[k].shape) != tuple(model_shapes[k])
    ]
    if wrong:
        raise WeightFileError(
            f'{source} ({NET_TITLES[src_net]}) does not fit the '
            f'{NET_TITLES[net]} of the config; shapes differ:\n  ' +
            '\n  '.join(_shape_lines(model_shapes, state_dict, wrong)))
    missing = [k for k in model_shapes if k not in state_dict]
    unexpected = [k for k in state_dict if k not in model_shapes]
    copied = [k for k in model_shapes if k in state_dict and k not in reset]
    if not same and not staged:
        _raise_other_net(model_shapes, net, state_dict, source, src_net,
                         'testing or resuming needs weights of the same net')
    if src_net == net:
        if missing or unexpected:
            raise WeightFileError(
                f'{source} ({NET_TITLES[src_net]}) does not match the '
                f'{NET_TITLES[net]} of the config; missing keys: '
                f'{", ".join(missing) or "none"}; unexpected keys: '
                f'{", ".join(unexpected) or "none"}')
        return LoadPlan(src_net, copied=copied, reset=reset, classes=classes)
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
    return LoadPlan(src_net, copied=copied, kept=missing, skipped=unexpected,
                    reset=reset, classes=classes)


def _raise_other_net(model_shapes: Mapping[str, Sequence[int]], net: str,
                     state_dict: Mapping[str, torch.Tensor], source: str,
                     src_net: str, why: str) -> None:
    extra = sorted({layer_of(k) for k in state_dict if k not in model_shapes})
    lacking = sorted(
        {layer_of(k) for k in model_shapes if k not in state_dict})
    raise WeightFileError(
        f'{source} holds {NET_TITLES[src_net]} weights, but the config '
        f'builds {NET_TITLES[net]} ({why}); layers only in the file: '
        f'{", ".join(extra) or "none"}; layers the file lacks: '
        f'{", ".join(lacking) or "none"}')


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
