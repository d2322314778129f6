"""The one table of the plugin's FCN nets: names, layers and geometry.

Everything here is read off the models' declarations: the trunk layers off
each trunk (:class:`VGG16Caffe`; :class:`AlexNetCaffe`, the CaffeNet of
FCN-AlexNet), and off each head of `FCN
<https://arxiv.org/abs/1605.06211>`_ its trunk (``trunk``), its nets
(:class:`NetDescription`: names, titles, staging, Caffe releases, fixed
skip scales) and its layers (Caffe names, upscore kernels and strides,
skip crop offsets). The tables are live: a head class defined later (say,
in a user's module imported by ``custom_imports``) is in every table from
then on. The converters (``fcn_plugin.converters.layers``) and the
checkpoint checks (``fcn_plugin.engine.weight_check``) use this table
instead of keeping copies.

Net names: the reference nets (``vgg16`` for the trunk alone, ``fcn32s``,
``fcn16s``, ``fcn8s``, ``fcn8s-atonce``) and their variants, named by the
switches that change the function (``-plain``: ``align='plain'``;
``-nofc``: ``VGG16Caffe(with_fc=False)``; ``-nopad``: ``first_pad=1``),
e.g. ``fcn8s-atonce-plain-nofc``. The tutorials' simplified FCN-8s
(``fcn8s-plain-nofc-nopad``) is called ``fcn8s-simplified``. The
initialisation (``init``) changes no function and no parameter, so it is
not part of a name.
"""
from itertools import combinations
from typing import (Callable, Dict, FrozenSet, Iterable, Iterator, List,
                    Mapping, Optional, Sequence, Tuple, TypeVar)

import torch.nn as nn

from .backbones.vgg16_caffe import VGG16Caffe
from .decode_heads import CaffeFCNHead
from .decode_heads.head_layers import HeadLayer, ScoreLayer, UpscoreLayer
from .net_description import REGISTRY, NetDescription, descriptions

K = TypeVar('K')
V = TypeVar('V')


class _Derived(Mapping[K, V]):
    """A read-only table computed from the declared nets.

    Rebuilt when a model class declaring nets is defined after the first
    look (e.g. a head written in a user's module), so that every table
    always covers every declared net.
    """

    def __init__(self, build: Callable[[], Dict[K, V]]) -> None:
        self._build = build
        self._version = -1
        self._data: Dict[K, V] = {}

    def _table(self) -> Dict[K, V]:
        if self._version != REGISTRY.version:
            self._data = self._build()
            self._version = REGISTRY.version
        return self._data

    def __getitem__(self, key: K) -> V:
        return self._table()[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def __repr__(self) -> str:
        return repr(self._table())


class _DerivedNames(Sequence[str]):
    """The keys of a :class:`_Derived` table as a live tuple of names."""

    def __init__(self, table: _Derived) -> None:
        self._table = table

    def __getitem__(self, index):
        return tuple(self._table)[index]

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, name: object) -> bool:
        return name in self._table

    def __repr__(self) -> str:
        return repr(tuple(self._table))


#: The VGG16 trunk of the reference nets (its ``net`` is the trunk net);
#: the trunk of every head that does not declare another
#: (:attr:`CaffeFCNHead.trunk`), and of the ImageNet VGG16 converters.
TRUNK = VGG16Caffe
#: The VGG16 trunk convolutions, in order.
TRUNK_CONVS = tuple(name for name, _ in TRUNK.caffe_layers
                    if name not in TRUNK.fc_layers)
#: The convolutionalised ImageNet classifier (``with_fc=True``).
TRUNK_FC = TRUNK.fc_layers
#: The VGG16 trunk: the convs plus fc6/fc7.
TRUNK_LAYERS = TRUNK_CONVS + TRUNK_FC
#: The last VGG16 layer before each backbone output (its width).
OUTPUT_LAYERS = TRUNK.output_layers
#: Name of the VGG16 trunk net (weight files of the trunk alone).
TRUNK_NET = TRUNK.net.name


def _convs(trunk: type) -> Tuple[str, ...]:
    return tuple(n for n, _ in trunk.caffe_layers if n not in trunk.fc_layers)


def _head_nets() -> Dict[str, Tuple[type, NetDescription]]:
    return {
        d.name: (cls, d)
        for cls in REGISTRY.heads for d in cls.nets
    }


def _head_layers(kind: type) -> Dict[str, object]:
    """Head layers of one kind: Caffe name -> the declaration.

    Heads on one trunk must agree on a name's layer; heads on different
    trunks may declare the same name differently (``upscore``: 64 / 32 on
    VGG16, 63 / 32 on CaffeNet), and the table keeps the first trunk's.
    Per-net values come from :func:`head_layer`.
    """
    out: Dict[str, object] = {}
    trunks: Dict[str, type] = {}
    for cls in REGISTRY.heads:
        for layer in cls.layers:
            if isinstance(layer, kind):
                seen = out.setdefault(layer.name, layer)
                trunk = trunks.setdefault(layer.name, cls.trunk)
                if (seen != layer and kind is UpscoreLayer
                        and trunk is cls.trunk):
                    raise ValueError(
                        f'{cls.__name__} declares {layer} but another head '
                        f'on the {trunk.net.title} declares {seen}; one '
                        'Caffe name, one layer')
    return out


#: Head class of each declared net.
HEADS: Mapping[str, type] = _Derived(
    lambda: {net: cls for net, (cls, _) in _head_nets().items()})
#: Every declared net: name -> :class:`NetDescription`.
DESCRIPTIONS: Mapping[str, NetDescription] = _Derived(descriptions)
#: Fixed Scale constants of the nets that have them (not parameters):
#: Caffe layer name -> value (the at-once net's scale_pool4/scale_pool3).
FIXED_SCALES: Mapping[str, float] = _Derived(lambda: {
    name: value
    for d in descriptions().values() for name, value in d.fixed_scales
})
#: The layers each net's head holds, in forward order.
HEAD_LAYERS: Mapping[str, Tuple[str, ...]] = _Derived(lambda: {
    **{trunk: () for trunk in TRUNKS},
    **{
        net: tuple(layer.name for layer in cls.layers)
        for net, (cls, _) in _head_nets().items()
    }
})
#: Every net a weight file can hold (``vgg16``: the trunk).
NETS: Sequence[str] = _DerivedNames(HEAD_LAYERS)
#: Bias-free transposed convs of all heads: name -> declaration.
UPSCORE_LAYERS: Mapping[str, UpscoreLayer] = _Derived(
    lambda: _head_layers(UpscoreLayer))
#: Kernel size of each transposed conv (of the first trunk that has it;
#: :func:`head_layer` gives a net's own).
UPSCORE_KERNELS: Mapping[str, int] = _Derived(
    lambda: {name: ly.kernel for name, ly in UPSCORE_LAYERS.items()})
#: Score layers of all heads: name -> declaration.
SCORE_LAYERS: Mapping[str, ScoreLayer] = _Derived(
    lambda: _head_layers(ScoreLayer))
#: The trunk layer whose output each score layer reads (with fc6/fc7;
#: ``score_fr`` reads fc7 on every trunk).
SCORE_INPUTS: Mapping[str, str] = _Derived(lambda: {
    ly.name: cls.trunk.output_layers[ly.reads]
    for cls in reversed(REGISTRY.heads) for ly in cls.layers
    if isinstance(ly, ScoreLayer)
})


def _trunks() -> List[type]:
    """The declared trunks, VGG16 (:data:`TRUNK`) first."""
    return [TRUNK] + [cls for cls in REGISTRY.trunks if cls is not TRUNK]


#: Every declared trunk: trunk net name -> backbone class.
TRUNKS: Mapping[str, type] = _Derived(
    lambda: {cls.net.name: cls for cls in _trunks()})
#: Every layer of every trunk (the backbone's layers), in trunk order.
ALL_TRUNK_LAYERS: Sequence[str] = _DerivedNames(_Derived(lambda: {
    name: None
    for cls in _trunks() for name, _ in cls.caffe_layers
}))
#: Released Caffe model of each net that has one.
CAFFE_RELEASES: Mapping[str, str] = _Derived(lambda: {
    name: d.caffe_release
    for name, d in descriptions().items() if d.caffe_release
})
#: pytorch-fcn class name -> net.
TORCHFCN_ARCHS: Mapping[str, str] = _Derived(lambda: {
    d.torchfcn_arch: name
    for name, d in descriptions().items() if d.torchfcn_arch
})

#: Switches that change a net's function, in name order, with the words
#: for messages: (suffix, meaning when on, meaning when off).
SWITCHES = (
    ('plain', 'plain alignment (no Caffe crops)', 'Caffe crops'),
    ('nofc', 'no fc6/fc7', 'fc6/fc7'),
    ('nopad', 'conv1_1 pad 1', 'conv1_1 pad 100'),
)
#: Trunk switches: only these change a trunk weight file's layers.
TRUNK_SWITCHES = ('nofc', )
#: Short names of switch combinations.
ALIASES = {'fcn8s-plain-nofc-nopad': 'fcn8s-simplified'}


def _name(reference: str, switches: Iterable[str]) -> str:
    name = '-'.join([reference] + [s for s, _, _ in SWITCHES
                                   if s in set(switches)])
    return ALIASES.get(name, name)


def _variants() -> Dict[str, Tuple[str, FrozenSet[str]]]:
    """name -> (declared net, switches) of every net that can run.

    The Caffe crop offsets exist only for the pad-100 trunk with fc6/fc7,
    so the trunk switches (those a trunk declares in ``switches``) come
    with ``plain``.
    """
    out = {}
    for trunk_net, cls in TRUNKS.items():
        own = [s for s in TRUNK_SWITCHES if s in cls.switches]
        out.update({_name(trunk_net, trunk): (trunk_net, frozenset(trunk))
                    for n in range(len(own) + 1)
                    for trunk in combinations(own, n)})
    for net, cls in HEADS.items():
        out[net] = (net, frozenset())
        # A trunk without switches is built in its reference form only,
        # with the Caffe crops of its head.
        own = cls.trunk.switches
        for n in range(len(own) + 1 if own else 0):
            for trunk in combinations(own, n):
                switches = frozenset(('plain', ) + trunk)
                out[_name(net, switches)] = (net, switches)
    return out


#: Every net name: declared net and switches.
VARIANTS: Mapping[str, Tuple[str, FrozenSet[str]]] = _Derived(_variants)


def lineage(net: str) -> List[str]:
    """``net`` and the nets it is staged from, back to the trunk.

    E.g. ``['fcn8s', 'fcn16s', 'fcn32s', 'vgg16']``; a variant stages
    through the same variants (:data:`PREVIOUS_STAGE`).
    """
    chain = [net]
    while chain[-1] in PREVIOUS_STAGE:
        chain.append(PREVIOUS_STAGE[chain[-1]])
    return chain


def _title(name: str) -> str:
    ref, switches = VARIANTS[name]
    if name == 'fcn8s-simplified':
        return 'simplified FCN-8s (plain alignment, no fc6/fc7, conv1_1 ' \
            'pad 1)'
    words = [on for s, on, _ in SWITCHES if s in switches]
    return DESCRIPTIONS[ref].title + (f' ({", ".join(words)})'
                                      if words else '')


def _previous(ref: str, switches: FrozenSet[str]) -> str:
    before = DESCRIPTIONS[ref].staged_from
    return _name(before, switches if before not in TRUNKS else
                 switches & set(TRUNK_SWITCHES))


#: Human-readable names.
NET_TITLES: Mapping[str, str] = _Derived(
    lambda: {name: _title(name) for name in VARIANTS})
#: The net each net is trained from (the paper's staged training; the
#: variants stage through the same variants).
PREVIOUS_STAGE: Mapping[str, str] = _Derived(lambda: {
    name: _previous(ref, switches)
    for name, (ref, switches) in VARIANTS.items() if ref not in TRUNKS
})
#: Training stage of each net: its number of steps from the trunk
#: (VGG16 0 -> FCN-32s 1 -> FCN-16s 2 -> FCN-8s 3; at-once: 1).
STAGES: Mapping[str, int] = _Derived(
    lambda: {name: len(lineage(name)) - 1 for name in VARIANTS})


def trunk_class(net: str) -> type:
    """The backbone class of ``net`` (its trunk, or its head's trunk)."""
    ref = VARIANTS[net][0]
    return TRUNKS[ref] if ref in TRUNKS else HEADS[ref].trunk


def is_trunk(net: str) -> bool:
    """Whether ``net`` is a trunk alone (``vgg16``, ``caffenet`` ...)."""
    return VARIANTS[net][0] in TRUNKS


def trunk_layers(net: str) -> Tuple[str, ...]:
    """The trunk layers of ``net``, in order (no fc6/fc7 with ``nofc``)."""
    trunk = trunk_class(net)
    if 'nofc' in VARIANTS[net][1]:
        return _convs(trunk)
    return tuple(name for name, _ in trunk.caffe_layers)


def head_layer(net: str, name: str) -> HeadLayer:
    """The declaration of head layer ``name`` in ``net``."""
    for layer in HEADS[VARIANTS[net][0]].layers:
        if layer.name == name:
            return layer
    raise KeyError(f'{NET_TITLES[net]} has no head layer {name}')


def net_layers(net: str) -> Tuple[str, ...]:
    """All layers (with parameters) of ``net``, trunk first."""
    return trunk_layers(net) + HEAD_LAYERS[VARIANTS[net][0]]


def droppable_layers(net: str) -> FrozenSet[str]:
    """Layers of an earlier-stage file that ``net`` has no place for.

    Upscore layers of an earlier head (e.g. the 32s ``upscore`` in
    FCN-16s), and fc6/fc7 of a trunk file in a net without them.
    """
    extra = set(TRUNK_FC) if 'nofc' in VARIANTS[net][1] else set()
    return frozenset(set(UPSCORE_LAYERS) | extra)


def _scales(ref: str) -> str:
    scales = DESCRIPTIONS[ref].fixed_scales
    return ', '.join(f'{n} {v:g}' for n, v in scales) or 'no fixed scales'


def variant_mismatch(src: str, net: str) -> Optional[str]:
    """Why a ``src`` file cannot load into ``net`` at all, or None.

    Nets whose function differs beyond the staged growth of the heads
    (other switches, other skip scaling) never share weights; a trunk
    file initialises every variant (its fc6/fc7 are dropped without
    them).
    """
    (src_ref, src_sw), (ref, sw) = VARIANTS[src], VARIANTS[net]
    if trunk_class(src) is not trunk_class(net):
        return (f'the file\'s net is built on the '
                f'{trunk_class(src).net.title}, the config\'s on the '
                f'{trunk_class(net).net.title}')
    if src == net or src_ref in TRUNKS:
        return None
    if src_sw != sw:
        def words(switches):
            return ', '.join(on if s in switches else off
                             for s, on, off in SWITCHES)

        return (f'the file\'s net has {words(src_sw)}, the config\'s '
                f'{words(sw)}')
    if (HEAD_LAYERS[src_ref] == HEAD_LAYERS[ref]
            and DESCRIPTIONS[src_ref].fixed_scales !=
            DESCRIPTIONS[ref].fixed_scales):
        return (f'their skips are scaled differently ({_scales(src_ref)} '
                f'against {_scales(ref)})')
    return None


def net_of_layers(layers: Iterable[str]) -> str:
    """The net a set of layer (or key) names belongs to.

    The declared net (without fixed scales) whose score layers are all
    present, the one with the most of them: ``score_pool3`` means FCN-8s,
    ``score_pool4`` FCN-16s, ``score_fr`` FCN-32s; none of them a trunk
    (``vgg16``, or ``vgg16-nofc`` when convs but no fc6/fc7 are present).
    Nets with the same layers (FCN-8s and FCN-8s at-once, and the
    variants) are told apart elsewhere; this returns the staged one.
    """
    names = {n.split('.')[-2] if '.' in n else n for n in layers}
    trunk = _trunk_of_names(names)
    best, most = None, 0
    for net, (cls, description) in _head_nets().items():
        scores = {ly.name for ly in cls.layers if isinstance(ly, ScoreLayer)}
        if (cls.trunk is trunk and not description.fixed_scales
                and scores <= names and len(scores) > most):
            best, most = net, len(scores)
    if best is not None:
        return best
    if ('nofc' in trunk.switches and names & set(_convs(trunk))
            and not names & set(trunk.fc_layers)):
        return _name(trunk.net.name, ('nofc', ))
    return trunk.net.name


def _trunk_of_names(names: FrozenSet[str]) -> type:
    """The trunk whose convolutions ``names`` has most of (default VGG16).

    The trunks' conv names differ (``conv1_1`` ... in VGG16, ``conv1`` ...
    in CaffeNet); fc6/fc7 and the head layers do not tell them apart.
    """
    best, most = TRUNK, 0
    for cls in TRUNKS.values():
        shared = len(names & set(_convs(cls)))
        if shared > most:
            best, most = cls, shared
    return best


def scaled_net(net: str, scale_layers: Iterable[str]) -> Optional[str]:
    """The declared net with the layers of ``net`` and these Scale layers.

    E.g. ``scaled_net('fcn8s', ['scale_pool4', 'scale_pool3'])`` is
    ``'fcn8s-atonce'``; None if no net has them.
    """
    scale_layers = set(scale_layers)
    for name, d in DESCRIPTIONS.items():
        if (d.fixed_scales and {n for n, _ in d.fixed_scales} == scale_layers
                and HEAD_LAYERS.get(name) == HEAD_LAYERS.get(net)):
            return name
    return None


def net_name_of(model: nn.Module) -> Optional[str]:
    """The net a segmentor computes (None if it is not one of the table's).

    The head gives the reference net and its alignment
    (:attr:`CaffeFCNHead.net_name`), the backbone its trunk switches. A
    segmentor with several heads (``caffe_suffixes``, e.g.
    ``TwoHeadEncoderDecoder``) computes a net of the table only when all
    its heads are the same net.
    """
    heads = [h for h, _ in getattr(type(model), 'caffe_suffixes', ())]
    names = {_head_net_name(model, head)
             for head in heads or ['decode_head']}
    return names.pop() if len(names) == 1 else None


def _head_net_name(model: nn.Module, head_name: str) -> Optional[str]:
    """The net of a segmentor's trunk with its head ``head_name``."""
    head = getattr(model, head_name, None)
    if not isinstance(head, CaffeFCNHead):
        return None
    ref = head.net_name
    switches = set()
    if head.align == 'plain':
        ref = ref[:-len('-plain')]
        switches.add('plain')
    backbone = getattr(model, 'backbone', None)
    trunk = head.trunk
    if isinstance(backbone, trunk):
        if 'nofc' in trunk.switches and not backbone.with_fc:
            switches.add('nofc')
        if 'nopad' in trunk.switches and backbone.first_pad == 1:
            switches.add('nopad')
        elif backbone.first_pad != 100:
            return None
    elif isinstance(backbone, tuple(TRUNKS.values())):
        return None  # a declared trunk, but not the head's
    name = _name(ref, switches)
    return name if name in VARIANTS else None


def trunk_net_of(module: nn.Module) -> str:
    """The trunk net (``vgg16``, ``vgg16-nofc``, ``caffenet``) of a backbone.

    ``vgg16`` for a backbone that is no declared trunk.
    """
    for name, cls in TRUNKS.items():
        if isinstance(module, cls):
            if 'nofc' in cls.switches and not module.with_fc:
                return _name(name, ('nofc', ))
            return name
    return TRUNK_NET
