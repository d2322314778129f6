"""Layer names and parameter shapes of the plugin's FCN nets.

Which Caffe layer lands in which state-dict key of the plugin's
``EncoderDecoder`` (``backbone.conv1_1.weight``,
``decode_head.score_fr.bias`` ...) for every net of `FCN
<https://arxiv.org/abs/1605.06211>`_. The layers, kernels and net names
come from the models' own table (:mod:`fcn_plugin.models.net_table`), so
the converters, the checkpoint checks and the nets agree on one contract.

A net with several heads on one trunk (:class:`TwoHeadEncoderDecoder`, the
SIFT Flow nets) has the same layers in every head: its Caffe layers carry
the head's suffix (``score_fr_sem``, ``score_fr_geo``), its keys the head's
prefix (``decode_head.score_fr.weight``, ``geo_head.score_fr.weight``), as
the segmentor declares them (:data:`HEAD_SUFFIXES`).
"""
from typing import (Dict, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Union)

from fcn_plugin.models.decode_heads.head_layers import ScoreLayer
from fcn_plugin.models.net_table import (ALL_TRUNK_LAYERS, CAFFE_RELEASES,
                                         FIXED_SCALES, HEAD_LAYERS, NET_TITLES,
                                         NETS, SCORE_INPUTS, STAGES,
                                         TORCHFCN_ARCHS, TRUNK, TRUNK_CONVS,
                                         TRUNK_LAYERS, TRUNK_NET,
                                         UPSCORE_KERNELS, VARIANTS, head_layer,
                                         is_trunk, net_layers, net_of_layers,
                                         scaled_net, trunk_class)
from fcn_plugin.models.segmentors.two_head_encoder_decoder import \
    TwoHeadEncoderDecoder

__all__ = [
    'ALL_TRUNK_LAYERS', 'CAFFE_INPUT', 'CAFFE_RELEASES', 'FIXED_SCALES',
    'HEAD', 'HEAD_LAYERS',
    'HEAD_SUFFIXES', 'NETS', 'NET_TITLES', 'SCORE_INPUTS', 'STAGES',
    'TORCHFCN_ARCHS', 'TORCHVISION_INPUT', 'TRUNK', 'TRUNK_CONVS',
    'TRUNK_LAYERS', 'TRUNK_NET', 'UPSCORE_KERNELS', 'expected_shapes',
    'fmt_shape', 'has_bias', 'head_classes', 'head_layout', 'head_of_key',
    'heads_of', 'layer_of', 'net_keys', 'net_of_layers', 'param_key',
    'scaled_net', 'widths_of', 'is_trunk', 'trunk_class'
]

#: Input normalisation of Caffe VGG16 weights: BGR, 0-255, mean only.
CAFFE_INPUT = dict(
    mean=[104.00699, 116.66877, 122.67892],
    std=[1., 1., 1.],
    bgr_to_rgb=False)
#: Input normalisation of torchvision ImageNet weights, in MMSeg units:
#: RGB, 0-255, ImageNet mean/std times 255.
TORCHVISION_INPUT = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)

Shape = Tuple[int, ...]
#: Classes of a net: one number, or one per head.
Classes = Union[None, int, Mapping[str, Optional[int]]]
#: The head of a one-head net (MMSeg's ``EncoderDecoder``).
HEAD = 'decode_head'
#: The heads of a two-head net, its first the semantic one
#: (``decode_head``), with the suffix of their Caffe layer names
#: (:attr:`TwoHeadEncoderDecoder.caffe_suffixes`).
HEAD_SUFFIXES: Tuple[Tuple[str, str], ...] = tuple(
    TwoHeadEncoderDecoder.caffe_suffixes)
#: Every head a checkpoint of the plugin's nets can hold, first the one of
#: the one-head nets.
HEADS = (HEAD, ) + tuple(h for h, _ in HEAD_SUFFIXES if h != HEAD)
#: Words for the heads of a two-head net in messages
#: (:attr:`TwoHeadEncoderDecoder.head_titles`).
HEAD_TITLES: Dict[str, str] = dict(TwoHeadEncoderDecoder.head_titles)


def param_key(layer: str, kind: str, head: str = HEAD) -> str:
    """State-dict key of a Caffe layer's ``weight`` or ``bias``.

    Trunk layers are the backbone's; head layers are ``head``'s
    (``decode_head``, or ``geo_head`` for the ``*_geo`` layers of a
    two-head net).
    """
    prefix = 'backbone' if layer in ALL_TRUNK_LAYERS else head
    return f'{prefix}.{layer}.{kind}'


def head_of_key(key: str) -> Optional[str]:
    """The head a state-dict key belongs to (None: the trunk or other)."""
    prefix = key.split('.', 1)[0]
    return prefix if prefix in HEADS else None


def heads_of(keys: Iterable[str]) -> Tuple[str, ...]:
    """The heads that hold some of ``keys``, in declaration order."""
    present = {head_of_key(k) for k in keys}
    return tuple(h for h in HEADS if h in present)


def head_layout(keys: Iterable[str]) -> Tuple[str, ...]:
    """The heads of the net whose state dict has ``keys``.

    A key of a head other than ``decode_head`` means the two-head net (all
    of :data:`HEAD_SUFFIXES`, present or not); else ``decode_head`` when it
    has keys; a trunk has none.
    """
    present = heads_of(keys)
    if any(h != HEAD for h in present):
        return tuple(h for h, _ in HEAD_SUFFIXES)
    return present


def head_classes(state_dict: Mapping[str, 'object'],
                 heads: Optional[Sequence[str]] = None
                 ) -> Dict[str, Optional[int]]:
    """Rows of each head's ``score_fr`` (None where it is missing).

    Args:
        state_dict (Mapping): Keys to tensors or shapes.
        heads (Sequence[str], optional): Heads to read; those of the
            state dict (:func:`heads_of`) if None.
    """
    out: Dict[str, Optional[int]] = {}
    for head in heads_of(state_dict) if heads is None else heads:
        value = state_dict.get(param_key('score_fr', 'weight', head))
        if value is not None:
            value = int(getattr(value, 'shape', value)[0])
        out[head] = value
    return out


def layer_of(key: str) -> str:
    """Caffe layer name of a plugin state-dict key."""
    return key.split('.')[-2]


def has_bias(layer: str) -> bool:
    """Whether a layer has a bias (all but the transposed convs)."""
    return layer not in UPSCORE_KERNELS


def net_keys(net: str, heads: Sequence[str] = (HEAD, )) -> List[str]:
    """All state-dict keys of ``net``, trunk first, then head by head.

    Args:
        net (str): A net of the table.
        heads (Sequence[str]): The heads that hold the net's head layers;
            ``('decode_head', 'geo_head')`` for a two-head net.
    """
    layers = net_layers(net)
    keys = []
    for layer in layers:
        if layer in ALL_TRUNK_LAYERS:
            keys += [param_key(layer, 'weight'), param_key(layer, 'bias')]
    for head in heads:
        for layer in layers:
            if layer in ALL_TRUNK_LAYERS:
                continue
            keys.append(param_key(layer, 'weight', head))
            if has_bias(layer):
                keys.append(param_key(layer, 'bias', head))
    return keys


def expected_shapes(net: str,
                    stage_channels: Sequence[int],
                    fc_channels: int,
                    num_classes: Classes = None,
                    in_channels: int = 3) -> Dict[str, Shape]:
    """Parameter shapes of ``net`` for the given widths.

    Args:
        net (str): A net of the table (:data:`STAGES`).
        stage_channels (Sequence[int]): Widths of the trunk's five conv
            stages (VGG16's stages, CaffeNet's conv1 .. conv5).
        fc_channels (int): Width of fc6/fc7.
        num_classes (int | Mapping[str, int], optional): Classes; needed
            unless ``net`` is ``'vgg16'``. A mapping gives the classes of
            each head of a net with several heads, e.g.
            ``{'decode_head': 33, 'geo_head': 3}``.
        in_channels (int): Input channels. Defaults to 3.

    Returns:
        dict[str, tuple]: Key to shape, in :func:`net_keys` order.
    """
    if isinstance(num_classes, Mapping):
        heads = dict(num_classes)
    else:
        heads = {HEAD: num_classes}
    out: Dict[str, Shape] = {}
    with_fc = 'nofc' not in VARIANTS[net][1]
    cls = trunk_class(net)
    trunk = cls.layer_shapes(stage_channels, fc_channels, in_channels,
                             with_fc)
    for layer, shape in trunk.items():
        out[param_key(layer, 'weight')] = shape
        out[param_key(layer, 'bias')] = shape[:1]
    # The width each score layer reads: its trunk layer's (pool5's, i.e.
    # the last conv's, for score_fr without fc6/fc7).
    widths = {layer: shape[0] for layer, shape in trunk.items()}
    widths.setdefault(cls.fc_layers[-1],
                      widths[cls.output_layers['pool5']])
    for head, classes in heads.items():
        for layer in HEAD_LAYERS[VARIANTS[net][0]]:
            spec = head_layer(net, layer)
            if isinstance(spec, ScoreLayer):
                cin = widths[cls.output_layers[spec.reads]]
                out[param_key(layer, 'weight', head)] = (classes, cin, 1, 1)
                out[param_key(layer, 'bias', head)] = (classes, )
            else:
                k = spec.kernel
                out[param_key(layer, 'weight', head)] = (classes, classes, k,
                                                         k)
    return out


def widths_of(state_dict: Mapping[str, 'object']) -> Tuple[
        Optional[List[int]], Optional[int], Optional[int]]:
    """Read (stage_channels, fc_channels, num_classes) off a state dict.

    Values that cannot be read (missing keys) come back as None; the
    caller's shape check then reports the missing keys.
    """
    def out_ch(layer):
        value = state_dict.get(param_key(layer, 'weight'))
        return None if value is None else int(value.shape[0])

    stages, fc = trunk_class(net_of_layers(state_dict)).widths_of(out_ch)
    return stages, fc, out_ch('score_fr')


def fmt_shape(shape: Sequence[int]) -> str:
    """``(4096, 512, 7, 7)`` -> ``'4096x512x7x7'``."""
    return 'x'.join(str(int(s)) for s in shape) or 'scalar'
