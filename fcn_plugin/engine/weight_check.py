"""Checks of a weight file against the FCN net a config builds.

Used by :class:`~fcn_plugin.engine.FCNWeightsHook`; plain functions so
that they can be tested and reused without a Runner.

A net may have several heads on one trunk (``TwoHeadEncoderDecoder``:
``decode_head`` and ``geo_head``, the SIFT Flow nets); every head is
checked, staged and counted on its own, and a file must have the heads
of the config's net (a trunk file has none and starts every net).
"""
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from fcn_plugin.converters.foreign import foreign_net_message
from fcn_plugin.converters.layers import (CAFFE_RELEASES, HEAD, HEAD_LAYERS,
                                          HEAD_SUFFIXES, HEAD_TITLES, HEADS,
                                          NET_TITLES, TRUNK_NET, fmt_shape,
                                          head_classes, head_of_key, heads_of,
                                          layer_of, net_of_layers, param_key)
from fcn_plugin.errors import WeightFileError
from fcn_plugin.models.net_table import (DESCRIPTIONS, TRUNKS, VARIANTS,
                                         droppable_layers, is_trunk, lineage,
                                         trunk_layers, variant_mismatch)

#: Converter commands that produce a VGG16 trunk weight file besides the
#: Caffe release's.
VGG16_HINTS = (
    'python tools/model_converters/vgg2mmseg.py vgg16-397923af.pth {path}'
    '   (torchvision weights: also use configs/_base_/models/'
    'torchvision_preprocessor.py)', )


def trunk_hints(trunk_net: str) -> Tuple[str, ...]:
    """Converter commands (with ``{path}``) that write a trunk's file."""
    release = TRUNKS[trunk_net].net.caffe_release
    return (f'python tools/model_converters/caffe2mmseg.py {release} '
            '{path}', ) + (VGG16_HINTS if trunk_net == TRUNK_NET else ())


#: The key whose first dimension is a net's number of classes.
CLASSES_KEY = param_key('score_fr', 'weight')


def model_net(model: nn.Module) -> Optional[str]:
    """The FCN net of a segmentor (None if it is not one of the plugin's)."""
    from fcn_plugin.models import net_name_of
    return net_name_of(model)


def model_heads(model: nn.Module) -> Tuple[str, ...]:
    """The heads of a segmentor (``('decode_head', 'geo_head')`` for a
    ``TwoHeadEncoderDecoder``)."""
    return tuple(h for h in HEADS
                 if isinstance(getattr(model, h, None), nn.Module))


def _head_words(head: str, net: Optional[str] = None) -> str:
    """``geo_head (the geometric head: score_fr_geo, upscore_geo)``."""
    title = HEAD_TITLES.get(head)
    suffix = dict(HEAD_SUFFIXES).get(head)
    layers = ''
    if net is not None and suffix is not None:
        names = HEAD_LAYERS.get(VARIANTS[net][0], ())
        layers = ', '.join(n + suffix for n in names)
    inner = '; Caffe layers: '.join(x for x in (title, layers) if x)
    return f'{head} ({inner})' if inner else head


def two_head_releases(net: str, heads: Sequence[str]) -> List[str]:
    """Released ``.caffemodel`` files of ``net`` with these ``heads``."""
    from fcn_plugin.converters.class_order import order_heads
    from fcn_plugin.datasets.class_orders import CLASS_ORDERS
    return [
        o.caffe_releases[net] for o in CLASS_ORDERS.values()
        if net in o.caffe_releases and order_heads(o) == tuple(heads)
    ]


def checkpoint_net(state_dict: Mapping[str, Any],
                   meta: Optional[Mapping[str, Any]] = None) -> str:
    """The net a checkpoint holds: ``meta['fcn_net']`` or its layers."""
    if meta and meta.get('fcn_net') in VARIANTS:
        return meta['fcn_net']
    return net_of_layers(state_dict)


def converter_hint(path: str, net: str,
                   heads: Sequence[str] = (HEAD, )) -> str:
    """Commands that write ``path`` holding ``net`` weights (with these
    ``heads``: a two-head net names its two-head releases)."""
    ref = VARIANTS[net][0]
    releases = two_head_releases(net, heads) if len(heads) > 1 else []
    if ref in TRUNKS:
        lines = [h.format(path=path) for h in trunk_hints(ref)]
    elif len(heads) > 1:
        lines = [
            f'python tools/model_converters/caffe2mmseg.py {r} {path}'
            for r in releases
        ] or [f'train the two-head {NET_TITLES[net]} config (no released '
              'weights exist for this net)']
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
                         staged_from: Optional[str] = None,
                         heads: Sequence[str] = (HEAD, )) -> str:
    """Message for a weight file that a config names but does not exist."""
    want = staged_from or net
    if is_trunk(want):
        heads = ()
    two = 'two-head ' if len(heads) > 1 else ''
    msg = (f'{path} ({setting}) does not exist. It should hold the '
           f'{two}{NET_TITLES[want]} weights')
    if staged_from and not is_trunk(staged_from):
        msg += (f' this {two}{NET_TITLES[net]} training starts from (staged '
                f'training): train the {two}{NET_TITLES[staged_from]} config '
                'first and point load_from to its last checkpoint, or '
                'convert the released model with one of:')
    else:
        msg += '; make it with one of:'
    return (msg + converter_hint(path, want, heads or (HEAD, )) +
            '\nSee docs/weights.md.')


@dataclass
class LoadPlan:
    """What loading a checkpoint into a net does, key by key.

    ``copied`` keys are loaded; ``kept`` keys keep the model's initial
    values; ``skipped`` keys (layers with no place in the net) and
    ``reset`` keys (class-sized layers of a file with another class
    count, see ``new_classes``) are dropped from the checkpoint.
    ``classes`` are (file, model) classes of ``decode_head``;
    ``head_classes`` those of every head of the model (``heads``).
    """
    source_net: str
    copied: List[str] = field(default_factory=list)
    kept: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    reset: List[str] = field(default_factory=list)
    classes: Tuple[Optional[int], Optional[int]] = (None, None)
    heads: Tuple[str, ...] = (HEAD, )
    head_classes: Dict[str, Tuple[Optional[int], Optional[int]]] = field(
        default_factory=dict)
    #: Keys the hook replaces in the checkpoint before MMEngine loads it:
    #: a trunk's first conv widened to more input channels.
    widened: Dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def dropped(self) -> List[str]:
        """Keys to remove from the checkpoint before MMEngine loads it."""
        return self.skipped + self.reset

    def describe(self, source: str, net: str) -> str:
        """A log line listing copied, kept, reset and skipped layers."""
        several = len(self.heads) > 1

        def layers(keys):
            names = []
            for k in keys:
                head = head_of_key(k)
                name = f'{head}.{layer_of(k)}' if several and head \
                    else layer_of(k)
                if name not in names:
                    names.append(name)
            return ', '.join(names) or 'none'

        title = NET_TITLES[net]
        text = (f'{source}: {NET_TITLES[self.source_net]} weights into '
                f'{title}: copied {len(self.copied)} tensors '
                f'({layers(self.copied)})')
        if self.kept:
            text += ('; kept at their initial values (score layers zero, '
                     f'upscore layers bilinear): {layers(self.kept)}')
        if self.reset and several:
            counts = ', '.join(
                f'{h} {want} classes (the file has {have})'
                for h, (have, want) in self.head_classes.items()
                if have is not None and have != want)
            text += (f'; started afresh for {counts} (score layers zero, '
                     f'upscore layers bilinear): {layers(self.reset)}')
        elif self.reset:
            text += (f'; started afresh for {self.classes[1]} classes (the '
                     f'file has {self.classes[0]}; score layers zero, upscore '
                     f'layers bilinear): {layers(self.reset)}')
        if self.skipped:
            text += ('; skipped on purpose, no place in '
                     f'{title}: ' + ', '.join(self.skipped))
        for key, value in self.widened.items():
            text += (f'; {layer_of(key)} widened to {value.shape[1]} input '
                     'channels (the added ones start as the mean of the '
                     "file's, as nyud-fcn32s-color-d/solve.py does)")
        return text


def widen_first_conv(model_shapes: Mapping[str, Sequence[int]], net: str,
                     state_dict: Mapping[str, torch.Tensor]
                     ) -> Dict[str, torch.Tensor]:
    """A trunk file's first conv widened to the model's input channels.

    The early-fusion RGB-D net (``nyud-fcn32s-color-d``) feeds BGR plus
    depth to a 4-channel ``conv1_1`` (Caffe: ``conv1_1_bgrd``); its
    ``solve.py`` copies the VGG16 weights for BGR and gives the depth
    channel their mean over the three. Each added channel starts as that
    mean; the bias is copied.

    Returns:
        dict: ``{key: widened weight}``; empty when the shapes agree.
    """
    key = param_key(trunk_layers(net)[0], 'weight')
    have, want = state_dict.get(key), model_shapes.get(key)
    if have is None or want is None or have.dim() != 4 or len(want) != 4:
        return {}
    extra = int(want[1]) - int(have.shape[1])
    if extra <= 0 or tuple(have.shape[:1]) + tuple(have.shape[2:]) != (
            tuple(want[:1]) + tuple(want[2:])):
        return {}
    mean = have.float().mean(dim=1, keepdim=True).to(have.dtype)
    return {key: torch.cat([have] + [mean] * extra, dim=1)}


def _shape_lines(model_shapes, state_dict, keys) -> List[str]:
    return [
        f'{k}: file {fmt_shape(state_dict[k].shape)}, model '
        f'{fmt_shape(model_shapes[k])}' for k in keys
    ]


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
                  ) -> Tuple[List[str], Dict[str, Tuple[Optional[int],
                                                        Optional[int]]]]:
    """The head keys to start afresh for other class counts, or fail.

    Every head of the model is compared with the same head of the file
    (its ``score_fr`` rows); the message names each head that differs.

    Returns:
        tuple: (keys to reset, head -> (file classes, model classes)); no
        keys when the counts agree or the file has no head.
    """
    heads = heads_of(model_shapes) or (HEAD, )
    have = head_classes(state_dict, heads)
    want = head_classes(model_shapes, heads)
    counts = {h: (have[h], want[h]) for h in heads}
    differ = [h for h in heads if None not in counts[h]
              and counts[h][0] != counts[h][1]]
    if not differ:
        return [], counts

    def key(head):
        return param_key('score_fr', 'weight', head)

    def shapes(head):
        return (f'{key(head)}: file {fmt_shape(state_dict[key(head)].shape)}'
                f', model {fmt_shape(model_shapes[key(head)])}')

    if len(heads) == 1:
        h = heads[0]
        msg = (f'{source} holds {NET_TITLES[src_net]} weights, but the '
               f'config builds {NET_TITLES[net]} with another class count: '
               f'the file has {have[h]} classes, the config num_classes='
               f'{want[h]} ({shapes(h)})' + reconvert_hint(meta, want[h]))
        needs = f'num_classes={want[h]}'
        keep = f'num_classes={have[h]}'
    else:
        msg = (f'{source} holds two-head {NET_TITLES[src_net]} weights, but '
               f'the config builds two-head {NET_TITLES[net]} with other '
               'class counts: ' + '; '.join(
                   f'{h} has {have[h]} classes in the file, the config '
                   f'{h} num_classes={want[h]} ({shapes(h)})'
                   for h in differ))
        if HEAD in differ:
            msg += reconvert_hint(meta, want[HEAD])
        needs = ', '.join(f'{h} num_classes={want[h]}' for h in differ)
        keep = ', '.join(f'{h} num_classes={have[h]}' for h in differ)
    if not staged:
        raise WeightFileError(
            msg + '; testing or resuming needs a checkpoint trained with '
            f'{needs}')
    if not new_classes:
        raise WeightFileError(
            msg + '. To keep the other layers and start the score layers '
            'afresh as the recipe does (zero score layers, bilinear upscore '
            "layers), add dict(type='FCNWeightsHook', new_classes=True) to "
            f'custom_hooks; or set {keep}')
    reset = [
        k for k in model_shapes
        if head_of_key(k) in differ and k in state_dict
        and tuple(state_dict[k].shape) != tuple(model_shapes[k])
    ]
    return reset, counts


def _heads_mismatch(model_heads: Sequence[str], file_heads: Sequence[str],
                    state_dict: Mapping[str, torch.Tensor], source: str,
                    src_net: str, net: str) -> Optional[str]:
    """Why a file with ``file_heads`` cannot load into a net with
    ``model_heads``, or None (same heads, or a trunk file)."""
    if not file_heads or not model_heads or \
            tuple(file_heads) == tuple(model_heads):
        return None
    counts = head_classes(state_dict, file_heads)

    def have(heads):
        if len(heads) == 1:
            h = heads[0]
            return f'a one-head {NET_TITLES[src_net]} ({h}, {counts[h]} ' \
                'classes)'
        return (f'a two-head {NET_TITLES[src_net]} (' + ', '.join(
            f'{h} {counts[h]} classes' for h in heads) + ')')

    lacking = [h for h in model_heads if h not in file_heads]
    extra = [h for h in file_heads if h not in model_heads]
    built = ('a two-head' if len(model_heads) > 1 else 'a one-head') + \
        f' {NET_TITLES[net]} ({", ".join(model_heads)})'
    msg = f'{source} holds {have(file_heads)}, but the config builds {built}'
    if lacking:
        releases = two_head_releases(net, model_heads)
        msg += ('; the file has no ' +
                ', no '.join(_head_words(h, net) for h in lacking) +
                '. Convert a release with these heads (tools/model_'
                'converters/caffe2mmseg.py ' +
                (' or '.join(releases) or 'a two-head .caffemodel') +
                ') or start from a VGG16 trunk file')
    if extra:
        msg += ('; the config has no ' + ', no '.join(extra) +
                ": build the net with them (model type='"
                "TwoHeadEncoderDecoder' and a geo_head) or use a one-head "
                'file')
    return msg


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
    foreign = foreign_net_message(state_dict, source)
    if foreign:
        raise WeightFileError(foreign)
    src_net = checkpoint_net(state_dict, meta)
    mismatch = variant_mismatch(src_net, net)
    if mismatch:
        raise WeightFileError(
            f'{source} holds {NET_TITLES[src_net]} weights (meta fcn_net), '
            f'but the config builds {NET_TITLES[net]}; {mismatch}')
    model_heads = heads_of(model_shapes)
    mismatch = _heads_mismatch(model_heads, heads_of(state_dict), state_dict,
                               source, src_net, net)
    if mismatch:
        raise WeightFileError(mismatch)
    # A trunk file (any trunk variant) starts every net; it is also a
    # trunk variant's own weights (fc6/fc7 dropped without them).
    trunk_file = is_trunk(src_net)
    same = src_net == net or trunk_file and is_trunk(net)
    staged_ok = trunk_file or src_net in lineage(net)[1:]
    if src_net != net and not staged_ok:
        why = ('a later-stage checkpoint cannot initialise an earlier net'
               if net in lineage(src_net) else
               f'{NET_TITLES[net]} is trained from '
               + ' <- '.join(NET_TITLES[n] for n in lineage(net)[1:]))
        _raise_other_net(model_shapes, net, state_dict, source, src_net, why)
    widened = widen_first_conv(model_shapes, net, state_dict) \
        if trunk_file and staged else {}
    if widened:
        state_dict = {**state_dict, **widened}
    reset, counts = _class_change(model_shapes, net, state_dict, source,
                                  src_net, staged, new_classes, meta)
    info = dict(classes=counts.get(HEAD, (None, None)),
                heads=model_heads or (HEAD, ), head_classes=counts,
                widened=widened)
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
        return LoadPlan(src_net, copied=copied, reset=reset, **info)
    # Layers of the model's heads the file lacks start at their init (the
    # file has the same heads, or none: a trunk file).
    bad_missing = [k for k in missing if head_of_key(k) not in model_heads]
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
                    reset=reset, **info)


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


def check_input(meta: Optional[Mapping[str, Any]],
                model: nn.Module,
                source: str,
                trunk: bool = False,
                channels: Optional[slice] = None) -> Optional[str]:
    """Fail if the file was trained for another input normalisation.

    Args:
        meta (Mapping, optional): The file's meta (its ``input``).
        model (nn.Module): The segmentor (its ``data_preprocessor``).
        source (str): The file, for messages.
        trunk (bool): The file is a trunk that starts a training: then a
            mean that differs with the same channel order and std passes
            with a note (the SIFT Flow recipe feeds the ImageNet VGG16 its
            own data's mean, as the reference does); channel order or scale
            still have to agree. A trunk for fewer channels than the
            config's (a widened first conv) is compared on its channels.
        channels (slice, optional): The model's input channels the file
            is for (one stream of a late-fusion net). Defaults to all.

    Returns:
        str | None: The note on a differing trunk mean, else None.

    Raises:
        WeightFileError: When ``meta['input']`` and the model's
            ``data_preprocessor`` disagree.
    """
    want = (meta or {}).get('input')
    have = preprocessor_input(model)
    if not want or have is None:
        return None
    if channels is not None:
        have = dict(have, mean=have['mean'][channels],
                    std=have['std'][channels])
    extra = ''
    if len(want['mean']) != len(have['mean']):
        n = len(want['mean'])
        if not (trunk and n < len(have['mean'])):
            raise WeightFileError(
                f'{source} expects {n}-channel input (mean='
                f'{list(want["mean"])}); the config feeds '
                f'{len(have["mean"])} channels (mean={have["mean"]}). Use '
                'the config of the net the file holds (see docs/weights.md)')
        extra = (f'; the config\'s channels {n + 1}-{len(have["mean"])} '
                 f'(mean {have["mean"][n:]}) are new inputs of the widened '
                 'first conv')
        have = dict(have, mean=have['mean'][:n], std=have['std'][:n])

    def close(a, b):
        return torch.allclose(torch.tensor(a, dtype=torch.float),
                              torch.tensor(b, dtype=torch.float), atol=1e-3)

    same_scale = (bool(want['bgr_to_rgb']) == have['bgr_to_rgb']
                  and close(want['std'], have['std']))
    if same_scale and close(want['mean'], have['mean']):
        return f'{source}: input as the file expects{extra}' if extra \
            else None
    origin = want.get('origin', 'its')
    if same_scale and trunk:
        return (f'{source}: trunk weights for {origin} input with mean='
                f'{list(want["mean"])}; the config subtracts mean='
                f'{have["mean"]} (same channel order and std), which the '
                f'training adapts to{extra}')
    modalities = getattr(getattr(model, 'data_preprocessor', None),
                         'modalities', None)
    release = ''
    if modalities and not (meta or {}).get('modalities'):
        # a one-stream RGB-D release converted without --modality records
        # the colour mean
        release = (' A Caffe release of another input than colour needs '
                   'tools/model_converters/caffe2mmseg.py ... --modality '
                   f'{"/".join(modalities)} (docs/nyud.md).')
    raise WeightFileError(
        f'{source} expects {origin} input: data_preprocessor '
        f'mean={list(want["mean"])}, std={list(want["std"])}, '
        f'bgr_to_rgb={want["bgr_to_rgb"]}; the config has mean='
        f'{have["mean"]}, std={have["std"]}, bgr_to_rgb='
        f'{have["bgr_to_rgb"]}. Use the matching preprocessor (see '
        'docs/weights.md) or FCNWeightsHook(check_input=False).' + release)


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
