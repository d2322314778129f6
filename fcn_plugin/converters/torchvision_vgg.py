"""torchvision VGG16 ImageNet weights -> the plugin's VGG16Caffe trunk."""
from collections import OrderedDict
from typing import Dict, List, Mapping, Tuple

import torch

from ..errors import WeightFileError
from .foreign import foreign_net_message
from .layers import TRUNK_CONVS, fmt_shape, param_key

#: Index in ``torchvision.models.vgg16().features`` of each conv.
FEATURE_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
#: ``classifier`` index of fc6, fc7 and the dropped fc8.
CLASSIFIER_INDICES = {'fc6': 0, 'fc7': 3, 'fc8': 6}


def torchvision_key_map() -> Dict[str, str]:
    """torchvision key -> plugin key for every converted parameter."""
    out = {}
    for idx, layer in zip(FEATURE_INDICES, TRUNK_CONVS):
        for kind in ('weight', 'bias'):
            out[f'features.{idx}.{kind}'] = param_key(layer, kind)
    for layer in ('fc6', 'fc7'):
        idx = CLASSIFIER_INDICES[layer]
        for kind in ('weight', 'bias'):
            out[f'classifier.{idx}.{kind}'] = param_key(layer, kind)
    return out


def convert_torchvision_vgg16(
        src: Mapping[str, torch.Tensor],
        path: str) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Map a torchvision VGG16 state dict onto the VGG16Caffe trunk.

    ``features.{0,2,...,28}`` become ``conv1_1`` .. ``conv5_3``;
    ``classifier.0`` (fc6, ``out x (C*7*7)``) is reshaped to a 7x7 conv and
    ``classifier.3`` (fc7) to a 1x1 conv, keeping torchvision's C, H, W
    flattening order, which is the order of the pool5 map; ``classifier.6``
    (fc8, the 1000-class ImageNet classifier) is dropped and reported.

    Args:
        src (Mapping[str, Tensor]): The torchvision state dict.
        path (str): Its file, for messages.

    Returns:
        tuple: The plugin state dict and the notes on dropped layers.

    Raises:
        WeightFileError: If any key is missing or unexpected (e.g. the
            batch-norm VGG16), fc6 does not fit conv5_3 x 7 x 7, or the file
            is torchvision's AlexNet (not the CaffeNet of FCN-AlexNet).
    """
    foreign = foreign_net_message(src, path)
    if foreign:
        raise WeightFileError(foreign)
    key_map = torchvision_key_map()
    dropped = {f'classifier.6.{k}' for k in ('weight', 'bias')}
    missing = [k for k in key_map if k not in src]
    unexpected = [k for k in src if k not in key_map and k not in dropped]
    if any(k.startswith('decode_head.') for k in src):
        raise WeightFileError(
            f'{path} is a checkpoint of the plugin (an MMSeg segmentor), not '
            'torchvision VGG16 weights: it needs no conversion; use it as '
            'load_from or with tools/test.py')
    if any(k.startswith('backbone.features.') for k in src):
        raise WeightFileError(
            f'{path} holds MMPretrain VGG16 weights, not torchvision ones: '
            'convert it with tools/model_converters/mmpretrain2mmseg.py')
    if missing or unexpected:
        lines = []
        if missing:
            lines.append('missing keys: ' + ', '.join(missing))
        if unexpected:
            lines.append('unexpected keys: ' + ', '.join(
                f'{k} ({fmt_shape(src[k].shape)})' for k in unexpected))
        raise WeightFileError(
            f'{path} is not a torchvision VGG16 state dict (plain VGG16, '
            'no batch norm):\n  ' + '\n  '.join(lines))
    out = OrderedDict()
    for key, new_key in key_map.items():
        out[new_key] = src[key].float()
    conv5 = out[param_key('conv5_3', 'weight')].shape[0]
    fc6 = out[param_key('fc6', 'weight')]
    if fc6.dim() != 2 or fc6.shape[1] != conv5 * 49:
        raise WeightFileError(
            f'{path}: classifier.0.weight is {fmt_shape(fc6.shape)}; fc6 '
            f'needs (out, {conv5}*7*7 = {conv5 * 49}) to become a 7x7 conv '
            f'on the {conv5}-channel pool5')
    out[param_key('fc6', 'weight')] = fc6.reshape(fc6.shape[0], conv5, 7, 7)
    fc7 = out[param_key('fc7', 'weight')]
    if fc7.dim() != 2:
        raise WeightFileError(
            f'{path}: classifier.3.weight is {fmt_shape(fc7.shape)}, not a '
            'fully connected (out, in) matrix')
    out[param_key('fc7', 'weight')] = fc7.reshape(*fc7.shape, 1, 1)
    notes = []
    present = sorted(k for k in dropped if k in src)
    if present:
        notes.append(
            'fc8 (' + ', '.join(present) + f', '
            f'{fmt_shape(src[present[-1]].shape)}): ImageNet classifier, '
            'dropped; FCN scores with its own score_fr')
    return out, notes
