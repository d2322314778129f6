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
from .layers import (HEAD_LAYERS, NET_TITLES, TRUNK_LAYERS, fmt_shape,
                     net_of_layers, param_key)

#: pytorch-fcn class names (the ``arch`` entry of its training checkpoints).
ARCH_NETS = {'FCN32s': 'fcn32s', 'FCN16s': 'fcn16s', 'FCN8s': 'fcn8s',
             'FCN8sAtOnce': 'fcn8s-atonce'}
KNOWN_LAYERS = set(TRUNK_LAYERS).union(*HEAD_LAYERS.values())


def torchfcn_net(state_dict: Mapping[str, torch.Tensor], obj: Any,
                 path: str, want_net: Optional[str]) -> Tuple[str, str]:
    """Which net a pytorch-fcn file holds, and how that was decided.

    FCN-8s and FCN-8s at-once have the same layers; they are told apart by
    ``want_net``, the checkpoint's ``arch`` entry or ``atonce`` in the file
    name, else FCN-8s is assumed (and said so).
    """
    detected = net_of_layers(state_dict)
    if want_net is not None:
        same = want_net == detected or {want_net, detected} == {
            'fcn8s', 'fcn8s-atonce'}
        if not same:
            raise WeightFileError(
                f'{path} holds a {NET_TITLES[detected]} (its deepest skip '
                f'layers), not the requested {NET_TITLES[want_net]}')
        return want_net, 'given by --net'
    if detected != 'fcn8s':
        return detected, 'detected from its layers'
    arch = obj.get('arch') if isinstance(obj, Mapping) else None
    if arch in ARCH_NETS:
        return ARCH_NETS[arch], f'from its arch entry {arch!r}'
    base = osp.basename(path).lower().replace('_', '-')
    if 'atonce' in base or 'at-once' in base:
        return 'fcn8s-atonce', 'from the file name'
    return 'fcn8s', ('detected from its layers; pass --net fcn8s-atonce if '
                     'it is the at-once model')


def convert_torchfcn(state_dict: Mapping[str, torch.Tensor], path: str
                     ) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Rename pytorch-fcn keys to plugin keys.

    Raises:
        WeightFileError: For any key that is not ``<caffe layer>.weight``
            or ``.bias`` of a known FCN layer (nothing is dropped).
    """
    out = OrderedDict()
    bad = []
    for key, value in state_dict.items():
        parts = key.split('.')
        if (len(parts) != 2 or parts[0] not in KNOWN_LAYERS
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
