"""The one table of the plugin's FCN nets: names, layers and geometry.

Everything here is read off the models: the trunk layers off
:class:`VGG16Caffe`, the head layers (Caffe names, upscore kernels and
strides, skip crop offsets) off the ``layers`` each head of `FCN
<https://arxiv.org/abs/1605.06211>`_ declares, the at-once constants off
:class:`FCN8sHead`. The converters (``fcn_plugin.converters.layers``) and
the checkpoint checks (``fcn_plugin.engine.weight_check``) use this table
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
from typing import Dict, FrozenSet, Iterable, Optional, Tuple

import torch.nn as nn

from .backbones.vgg16_caffe import OUTPUT_NAMES, VGG16_STAGE_DEPTHS, VGG16Caffe
from .decode_heads import CaffeFCNHead, FCN8sHead, FCN16sHead, FCN32sHead
from .decode_heads.head_layers import ScoreLayer, UpscoreLayer

#: The 13 VGG16 convolutions, in order.
TRUNK_CONVS = tuple(f'conv{stage}_{i}'
                    for stage, depth in enumerate(VGG16_STAGE_DEPTHS, 1)
                    for i in range(1, depth + 1))
#: The convolutionalised ImageNet classifier (``with_fc=True``).
TRUNK_FC = ('fc6', 'fc7')
#: The trunk: the convs plus fc6/fc7.
TRUNK_LAYERS = TRUNK_CONVS + TRUNK_FC
#: The last trunk layer before each backbone output (its width).
OUTPUT_LAYERS = {
    **{
        f'pool{stage}': f'conv{stage}_{depth}'
        for stage, depth in enumerate(VGG16_STAGE_DEPTHS, 1)
    }, OUTPUT_NAMES[-1]: 'fc7'
}

#: Head class of each reference net.
HEADS = {
    'fcn32s': FCN32sHead,
    'fcn16s': FCN16sHead,
    'fcn8s': FCN8sHead,
    'fcn8s-atonce': FCN8sHead,
}
#: Fixed Scale constants of voc-fcn8s-atonce (not parameters).
ATONCE_SCALES = dict(FCN8sHead.atonce_scales)
#: The layers each reference net's head holds, in forward order.
HEAD_LAYERS: Dict[str, Tuple[str, ...]] = {
    'vgg16': (),
    **{
        net: tuple(layer.name for layer in head.layers)
        for net, head in HEADS.items()
    }
}
#: Every reference net a weight file can hold (``vgg16``: the trunk).
NETS = tuple(HEAD_LAYERS)
#: Bias-free transposed convs of all heads: name -> declaration.
UPSCORE_LAYERS: Dict[str, UpscoreLayer] = {
    layer.name: layer
    for head in HEADS.values() for layer in head.layers
    if isinstance(layer, UpscoreLayer)
}
#: Kernel size of each transposed conv.
UPSCORE_KERNELS = {name: ly.kernel for name, ly in UPSCORE_LAYERS.items()}
#: Score layers of all heads: name -> declaration.
SCORE_LAYERS: Dict[str, ScoreLayer] = {
    layer.name: layer
    for head in HEADS.values() for layer in head.layers
    if isinstance(layer, ScoreLayer)
}
#: The trunk layer whose output each score layer reads (with fc6/fc7).
SCORE_INPUTS = {
    name: OUTPUT_LAYERS[ly.reads]
    for name, ly in SCORE_LAYERS.items()
}

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
_TITLES = {'vgg16': 'VGG16 trunk', 'fcn32s': 'FCN-32s',
           'fcn16s': 'FCN-16s', 'fcn8s': 'FCN-8s',
           'fcn8s-atonce': 'FCN-8s at-once'}
_PREVIOUS = {'fcn32s': 'vgg16', 'fcn16s': 'fcn32s', 'fcn8s': 'fcn16s',
             'fcn8s-atonce': 'vgg16'}


def _name(reference: str, switches: Iterable[str]) -> str:
    name = '-'.join([reference] + [s for s, _, _ in SWITCHES
                                   if s in set(switches)])
    return ALIASES.get(name, name)


def _variants() -> Dict[str, Tuple[str, FrozenSet[str]]]:
    """name -> (reference net, switches) of every net that can run.

    The Caffe crop offsets exist only for the pad-100 trunk with fc6/fc7,
    so the trunk switches come with ``plain``.
    """
    out = {'vgg16': ('vgg16', frozenset()),
           'vgg16-nofc': ('vgg16', frozenset({'nofc'}))}
    for net in HEADS:
        out[net] = (net, frozenset())
        for n in range(3):
            for trunk in combinations(('nofc', 'nopad'), n):
                switches = frozenset(('plain', ) + trunk)
                out[_name(net, switches)] = (net, switches)
    return out


#: Every net name: reference net and switches.
VARIANTS = _variants()
#: Training stage of each net: VGG16 -> 32s -> 16s -> 8s (at-once and its
#: variants: one go from the trunk).
STAGES = {
    name: {'vgg16': 0, 'fcn32s': 1, 'fcn16s': 2, 'fcn8s': 3,
           'fcn8s-atonce': 3}[ref]
    for name, (ref, _) in VARIANTS.items()
}


def _title(name: str) -> str:
    ref, switches = VARIANTS[name]
    if name == 'fcn8s-simplified':
        return 'simplified FCN-8s (plain alignment, no fc6/fc7, conv1_1 ' \
            'pad 1)'
    words = [on for s, on, _ in SWITCHES if s in switches]
    return _TITLES[ref] + (f' ({", ".join(words)})' if words else '')


#: Human-readable names.
NET_TITLES = {name: _title(name) for name in VARIANTS}
#: The net each net is trained from (the paper's staged training; the
#: variants stage through the same variants).
PREVIOUS_STAGE = {
    name: _name(_PREVIOUS[ref], switches if _PREVIOUS[ref] != 'vgg16' else
                switches & set(TRUNK_SWITCHES))
    for name, (ref, switches) in VARIANTS.items() if ref != 'vgg16'
}


def net_layers(net: str) -> Tuple[str, ...]:
    """All layers (with parameters) of ``net``, trunk first."""
    ref, switches = VARIANTS[net]
    trunk = TRUNK_CONVS if 'nofc' in switches else TRUNK_LAYERS
    return trunk + HEAD_LAYERS[ref]


def droppable_layers(net: str) -> FrozenSet[str]:
    """Layers of an earlier-stage file that ``net`` has no place for.

    Upscore layers of an earlier head (e.g. the 32s ``upscore`` in
    FCN-16s), and fc6/fc7 of a trunk file in a net without them.
    """
    extra = set(TRUNK_FC) if 'nofc' in VARIANTS[net][1] else set()
    return frozenset(set(UPSCORE_LAYERS) | extra)


def variant_mismatch(src: str, net: str) -> Optional[str]:
    """Why a ``src`` file cannot load into ``net`` at all, or None.

    Nets whose function differs beyond the staged growth of the heads
    (other switches, other skip scaling) never share weights; a trunk
    file initialises every variant (its fc6/fc7 are dropped without
    them).
    """
    (src_ref, src_sw), (ref, sw) = VARIANTS[src], VARIANTS[net]
    if src == net or src_ref == 'vgg16':
        return None
    if src_sw != sw:
        def words(switches):
            return ', '.join(on if s in switches else off
                             for s, on, off in SWITCHES)

        return (f'the file\'s net has {words(src_sw)}, the config\'s '
                f'{words(sw)}')
    if {src_ref, ref} == {'fcn8s', 'fcn8s-atonce'}:
        return 'their pool3/pool4 skips are scaled differently'
    return None


def net_of_layers(layers: Iterable[str]) -> str:
    """The reference net a set of layer (or key) names belongs to.

    By the skips: ``score_pool3`` means FCN-8s, ``score_pool4`` FCN-16s,
    ``score_fr`` FCN-32s, none of them a trunk (``vgg16``, or
    ``vgg16-nofc`` when convs but no fc6/fc7 are present). FCN-8s and
    FCN-8s at-once, and the variants, have the same layers; this returns
    the staged reference net.
    """
    names = {n.split('.')[-2] if '.' in n else n for n in layers}
    for net in ('fcn8s', 'fcn16s', 'fcn32s'):
        finest = [ly for ly in HEADS[net].layers
                  if isinstance(ly, ScoreLayer)][-1]
        if finest.name in names:
            return net
    if names & set(TRUNK_CONVS) and not names & set(TRUNK_FC):
        return 'vgg16-nofc'
    return 'vgg16'


def net_name_of(model: nn.Module) -> Optional[str]:
    """The net a segmentor computes (None if it is not one of the table's).

    The head gives the reference net and its alignment
    (:attr:`CaffeFCNHead.net_name`), the backbone its trunk switches.
    """
    head = getattr(model, 'decode_head', None)
    if not isinstance(head, CaffeFCNHead):
        return None
    ref = head.net_name
    switches = set()
    if head.align == 'plain':
        ref = ref[:-len('-plain')]
        switches.add('plain')
    backbone = getattr(model, 'backbone', None)
    if isinstance(backbone, VGG16Caffe):
        if not backbone.with_fc:
            switches.add('nofc')
        if backbone.first_pad == 1:
            switches.add('nopad')
        elif backbone.first_pad != 100:
            return None
    name = _name(ref, switches)
    return name if name in VARIANTS else None


def trunk_net_of(module: nn.Module) -> str:
    """The trunk net (``vgg16`` or ``vgg16-nofc``) a backbone holds."""
    if isinstance(module, VGG16Caffe) and not module.with_fc:
        return 'vgg16-nofc'
    return 'vgg16'
