"""Layer names and parameter shapes of the plugin's FCN nets.

One table describes which Caffe layer lands in which state-dict key of the
plugin's ``EncoderDecoder`` (``backbone.conv1_1.weight``,
``decode_head.score_fr.bias`` ...) for every net of `FCN
<https://arxiv.org/abs/1605.06211>`_, so the converters and the checkpoint
checks agree on one contract.
"""
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

#: The 13 VGG16 convolutions, in order.
TRUNK_CONVS = ('conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1',
               'conv3_2', 'conv3_3', 'conv4_1', 'conv4_2', 'conv4_3',
               'conv5_1', 'conv5_2', 'conv5_3')
#: The trunk: the convs plus the convolutionalised classifier fc6/fc7.
TRUNK_LAYERS = TRUNK_CONVS + ('fc6', 'fc7')
#: Learned 1x1 score layers (with bias) and the trunk layer each one reads.
SCORE_INPUTS = {'score_fr': 'fc7', 'score_pool4': 'conv4_3',
                'score_pool3': 'conv3_3'}
#: Bias-free transposed convs and their kernel sizes.
UPSCORE_KERNELS = {'upscore': 64, 'upscore2': 4, 'upscore16': 32,
                   'upscore_pool4': 4, 'upscore8': 16}
#: The layers each head holds.
HEAD_LAYERS = {
    'vgg16': (),
    'fcn32s': ('score_fr', 'upscore'),
    'fcn16s': ('score_fr', 'upscore2', 'score_pool4', 'upscore16'),
    'fcn8s': ('score_fr', 'upscore2', 'score_pool4', 'upscore_pool4',
              'score_pool3', 'upscore8'),
    'fcn8s-atonce': ('score_fr', 'upscore2', 'score_pool4', 'upscore_pool4',
                     'score_pool3', 'upscore8'),
}
#: Every net a weight file can hold (``vgg16``: the trunk alone).
NETS = tuple(HEAD_LAYERS)
#: Training stage of each net: VGG16 -> 32s -> 16s -> 8s (at-once: one go).
STAGES = {'vgg16': 0, 'fcn32s': 1, 'fcn16s': 2, 'fcn8s': 3,
          'fcn8s-atonce': 3}
#: Human-readable names.
NET_TITLES = {'vgg16': 'VGG16 trunk', 'fcn32s': 'FCN-32s',
              'fcn16s': 'FCN-16s', 'fcn8s': 'FCN-8s',
              'fcn8s-atonce': 'FCN-8s at-once'}
#: Fixed Scale constants of voc-fcn8s-atonce (not parameters).
ATONCE_SCALES = {'scale_pool4': 0.01, 'scale_pool3': 0.0001}

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


def param_key(layer: str, kind: str) -> str:
    """State-dict key of a Caffe layer's ``weight`` or ``bias``."""
    prefix = 'backbone' if layer in TRUNK_LAYERS else 'decode_head'
    return f'{prefix}.{layer}.{kind}'


def layer_of(key: str) -> str:
    """Caffe layer name of a plugin state-dict key."""
    return key.split('.')[-2]


def has_bias(layer: str) -> bool:
    """Whether a layer has a bias (all but the transposed convs)."""
    return layer not in UPSCORE_KERNELS


def net_keys(net: str) -> List[str]:
    """All state-dict keys of ``net``, trunk first."""
    keys = []
    for layer in TRUNK_LAYERS + HEAD_LAYERS[net]:
        keys.append(param_key(layer, 'weight'))
        if has_bias(layer):
            keys.append(param_key(layer, 'bias'))
    return keys


def expected_shapes(net: str,
                    stage_channels: Sequence[int],
                    fc_channels: int,
                    num_classes: Optional[int] = None,
                    in_channels: int = 3) -> Dict[str, Shape]:
    """Parameter shapes of ``net`` for the given widths.

    Args:
        net (str): One of :data:`NETS`.
        stage_channels (Sequence[int]): Widths of the five conv stages.
        fc_channels (int): Width of fc6/fc7.
        num_classes (int, optional): Classes; needed unless ``net`` is
            ``'vgg16'``.
        in_channels (int): Input channels. Defaults to 3.

    Returns:
        dict[str, tuple]: Key to shape, in :func:`net_keys` order.
    """
    out: Dict[str, Shape] = {}
    cin = in_channels
    widths = {}
    for layer in TRUNK_CONVS:
        cout = stage_channels[int(layer[4]) - 1]
        out[param_key(layer, 'weight')] = (cout, cin, 3, 3)
        out[param_key(layer, 'bias')] = (cout, )
        widths[layer] = cin = cout
    out[param_key('fc6', 'weight')] = (fc_channels, cin, 7, 7)
    out[param_key('fc6', 'bias')] = (fc_channels, )
    out[param_key('fc7', 'weight')] = (fc_channels, fc_channels, 1, 1)
    out[param_key('fc7', 'bias')] = (fc_channels, )
    widths['fc7'] = fc_channels
    for layer in HEAD_LAYERS[net]:
        if layer in SCORE_INPUTS:
            cin = widths[SCORE_INPUTS[layer]]
            out[param_key(layer, 'weight')] = (num_classes, cin, 1, 1)
            out[param_key(layer, 'bias')] = (num_classes, )
        else:
            k = UPSCORE_KERNELS[layer]
            out[param_key(layer, 'weight')] = (num_classes, num_classes, k,
                                               k)
    return out


def net_of_layers(layers: Iterable[str]) -> str:
    """The net a set of layer (or key) names belongs to, by its skips.

    ``score_pool3`` means FCN-8s, ``score_pool4`` FCN-16s, ``score_fr``
    FCN-32s, none of them the VGG16 trunk. FCN-8s and FCN-8s at-once
    have the same layers; this returns ``'fcn8s'`` for both.
    """
    names = {n.split('.')[-2] if '.' in n else n for n in layers}
    if 'score_pool3' in names:
        return 'fcn8s'
    if 'score_pool4' in names:
        return 'fcn16s'
    if 'score_fr' in names:
        return 'fcn32s'
    return 'vgg16'


def widths_of(state_dict: Mapping[str, 'object']) -> Tuple[
        Optional[List[int]], Optional[int], Optional[int]]:
    """Read (stage_channels, fc_channels, num_classes) off a state dict.

    Values that cannot be read (missing keys) come back as None; the
    caller's shape check then reports the missing keys.
    """
    def out_ch(layer):
        value = state_dict.get(param_key(layer, 'weight'))
        return None if value is None else int(value.shape[0])

    stages = [out_ch(f'conv{s}_1') for s in range(1, 6)]
    return (None if None in stages else stages, out_ch('fc7'),
            out_ch('score_fr'))


def fmt_shape(shape: Sequence[int]) -> str:
    """``(4096, 512, 7, 7)`` -> ``'4096x512x7x7'``."""
    return 'x'.join(str(int(s)) for s in shape) or 'scalar'
