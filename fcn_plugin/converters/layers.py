"""Layer names and parameter shapes of the plugin's FCN nets.

Which Caffe layer lands in which state-dict key of the plugin's
``EncoderDecoder`` (``backbone.conv1_1.weight``,
``decode_head.score_fr.bias`` ...) for every net of `FCN
<https://arxiv.org/abs/1605.06211>`_. The layers, kernels and net names
come from the models' own table (:mod:`fcn_plugin.models.net_table`), so
the converters, the checkpoint checks and the nets agree on one contract.
"""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from fcn_plugin.models.net_table import (CAFFE_RELEASES, FIXED_SCALES,
                                         HEAD_LAYERS, NET_TITLES, NETS,
                                         SCORE_INPUTS, STAGES, TORCHFCN_ARCHS,
                                         TRUNK, TRUNK_CONVS, TRUNK_LAYERS,
                                         TRUNK_NET, UPSCORE_KERNELS, VARIANTS,
                                         net_layers, net_of_layers, scaled_net)

__all__ = [
    'CAFFE_INPUT', 'CAFFE_RELEASES', 'FIXED_SCALES', 'HEAD_LAYERS', 'NETS',
    'NET_TITLES', 'SCORE_INPUTS', 'STAGES', 'TORCHFCN_ARCHS',
    'TORCHVISION_INPUT', 'TRUNK',
    'TRUNK_CONVS', 'TRUNK_LAYERS', 'TRUNK_NET', 'UPSCORE_KERNELS',
    'expected_shapes', 'fmt_shape', 'has_bias', 'layer_of', 'net_keys',
    'net_of_layers', 'param_key', 'scaled_net', 'widths_of'
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
    for layer in net_layers(net):
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
        net (str): A net of the table (:data:`STAGES`).
        stage_channels (Sequence[int]): Widths of the five conv stages.
        fc_channels (int): Width of fc6/fc7.
        num_classes (int, optional): Classes; needed unless ``net`` is
            ``'vgg16'``.
        in_channels (int): Input channels. Defaults to 3.

    Returns:
        dict[str, tuple]: Key to shape, in :func:`net_keys` order.
    """
    out: Dict[str, Shape] = {}
    with_fc = 'nofc' not in VARIANTS[net][1]
    trunk = TRUNK.layer_shapes(stage_channels, fc_channels, in_channels,
                               with_fc)
    for layer, shape in trunk.items():
        out[param_key(layer, 'weight')] = shape
        out[param_key(layer, 'bias')] = shape[:1]
    # The width each score layer reads: its trunk layer's (pool5's, i.e.
    # the last conv's, for score_fr without fc6/fc7).
    widths = {layer: shape[0] for layer, shape in trunk.items()}
    widths.setdefault(TRUNK_LAYERS[-1], widths[TRUNK_CONVS[-1]])
    for layer in net_layers(net):
        if layer in TRUNK_LAYERS:
            continue
        if layer in SCORE_INPUTS:
            cin = widths[SCORE_INPUTS[layer]]
            out[param_key(layer, 'weight')] = (num_classes, cin, 1, 1)
            out[param_key(layer, 'bias')] = (num_classes, )
        else:
            k = UPSCORE_KERNELS[layer]
            out[param_key(layer, 'weight')] = (num_classes, num_classes, k,
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

    stages, fc = TRUNK.widths_of(out_ch)
    return stages, fc, out_ch('score_fr')


def fmt_shape(shape: Sequence[int]) -> str:
    """``(4096, 512, 7, 7)`` -> ``'4096x512x7x7'``."""
    return 'x'.join(str(int(s)) for s in shape) or 'scalar'
