"""pytorch-fcn checkpoints -> the plugin's FCN nets.

pytorch-fcn (``torchfcn.models.FCN32s`` ...) names its modules after the
Caffe layers, so ``conv1_1.weight`` becomes ``backbone.conv1_1.weight``
and ``score_fr.bias`` becomes ``decode_head.score_fr.bias``. Its
``*_from_caffe.pth`` files are the Caffe ``voc-fcn*`` weights and expect
the Caffe input (BGR, 0-255, mean subtracted).
"""
import os.path as osp
from collections import OrderedDict
from typing import Any, List, Mapping, Optional, Tuple

import torch

from ..errors import WeightFileError
from .layers import (HEAD_LAYERS, NET_TITLES, TORCHFCN_ARCHS, TRUNK_LAYERS,
                     fmt_shape, net_of_layers, param_key)


def _same_layers(net: str) -> List[str]:
    """Other nets with exactly the layers of ``net`` (FCN-8s at-once)."""
    return [n for n, layers in HEAD_LAYERS.items()
            if n != net and layers == HEAD_LAYERS[net]]


def torchfcn_net(state_dict: Mapping[str, torch.Tensor], obj: Any,
                 path: str, want_net: Optional[str]) -> Tuple[str, str]:
    """Which net a pytorch-fcn file holds, and how that was decided.

    Nets with the same layers (FCN-8s and FCN-8s at-once) are told apart
    by ``want_net``, the checkpoint's ``arch`` entry (the pytorch-fcn class
    each net declares) or the other net's suffix (``atonce``) in the file
    name, else the staged net is assumed (and said so).
    """
    detected = net_of_layers(state_dict)
    twins = _same_layers(detected)
    if want_net is not None:
        if want_net != detected and want_net not in twins:
            raise WeightFileError(
                f'{path} holds a {NET_TITLES[detected]} (its deepest skip '
                f'layers), not the requested {NET_TITLES[want_net]}')
        return want_net, 'given by --net'
    if not twins:
        return detected, 'detected from its layers'
    arch = obj.get('arch') if isinstance(obj, Mapping) else None
    if TORCHFCN_ARCHS.get(arch) in twins + [detected]:
        return TORCHFCN_ARCHS[arch], f'from its arch entry {arch!r}'
    base = osp.basename(path).lower().replace('_', '').replace('-', '')
    for twin in twins:
        if twin.replace(detected, '').replace('-', '') in base:
            return twin, 'from the file name'
    other = ' or '.join(f'--net {t} if it is the {NET_TITLES[t]}'
                        for t in twins)
    return detected, f'detected from its layers; pass {other} model'


def convert_torchfcn(state_dict: Mapping[str, torch.Tensor], path: str
                     ) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Rename pytorch-fcn keys to plugin keys.

    Raises:
        WeightFileError: For any key that is not ``<caffe layer>.weight``
            or ``.bias`` of a known FCN layer (nothing is dropped).
    """
    out = OrderedDict()
    bad = []
    known = set(TRUNK_LAYERS).union(*HEAD_LAYERS.values())
    for key, value in state_dict.items():
        parts = key.split('.')
        if (len(parts) != 2 or parts[0] not in known
                or parts[1] not in ('weight', 'bias')):
            bad.append(f'{key} ({fmt_shape(value.shape)})')
            continue
        out[param_key(*parts)] = value.float()
    if bad:
        raise WeightFileError(
            f'{path}: keys that are not pytorch-fcn FCN layers (expected '
            '"conv1_1.weight", "score_fr.bias", "upscore2.weight", ...): ' +
            ', '.join(bad))
    return out, []
