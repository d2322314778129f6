"""Read ``.caffemodel`` weights and map them onto the plugin's nets.

Handles the ILSVRC VGG16 and ``bvlc_reference_caffenet`` models (V1
``layers``, InnerProduct fc6/fc7), the released ``voc-fcn*`` models (also
``fcn-alexnet-pascal``) (V2 ``layer``, Deconvolution upscore layers,
Scale layers in the at-once net) and the two-head ``siftflow-fcn*`` models
(each head layer twice, as ``<layer>_sem`` and ``<layer>_geo``) of `FCN
<https://arxiv.org/abs/1605.06211>`_. Blobs are N x C x H x W like
PyTorch weights, Deconvolution blobs are (in, out, k, k) like
``ConvTranspose2d``, and the first conv reads BGR input as the Caffe
preprocessor feeds it, so no axis or channel is permuted.
"""
import math
import os.path as osp
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..errors import WeightFileError
from ..models.net_table import TRUNKS, trunk_layers
from .caffe_proto import V1_TO_V2_TYPES, caffe_messages
from .layers import (ALL_TRUNK_LAYERS, FIXED_SCALES, HEAD, HEAD_SUFFIXES,
                     NET_TITLES, SCORE_INPUTS, UPSCORE_KERNELS, fmt_shape,
                     net_of_layers, param_key, scaled_net, trunk_class)


@dataclass
class CaffeLayer:
    """One layer of a ``.caffemodel`` with its parameter blobs."""
    name: str
    type: str
    blobs: List[np.ndarray] = field(default_factory=list)


@dataclass
class CaffeNet:
    """The layers of a ``.caffemodel`` that hold parameters."""
    name: str
    format: str  # 'V1' or 'V2'
    layers: List[CaffeLayer] = field(default_factory=list)


def _blob_array(blob, where: str) -> np.ndarray:
    """A BlobProto as an array of its declared shape."""
    if blob.HasField('shape'):
        shape = tuple(int(d) for d in blob.shape.dim)
    else:
        shape = (int(blob.num), int(blob.channels), int(blob.height),
                 int(blob.width))
    if blob.data:
        values = np.frombuffer(b''.join(blob.data), dtype='<f4')
    elif blob.double_data:
        values = np.frombuffer(
            b''.join(blob.double_data), dtype='<f8').astype(np.float32)
    else:
        values = np.zeros(0, np.float32)
    count = math.prod(shape)
    if values.size != count:
        raise WeightFileError(
            f'{where}: the blob holds {values.size} values but its shape '
            f'{fmt_shape(shape)} needs {count} (a truncated or damaged file, '
            'or values not in packed form)')
    return values.reshape(shape)


def read_caffemodel(path: str) -> CaffeNet:
    """Parse a binary ``.caffemodel`` with the project's schema.

    Args:
        path (str): The file.

    Returns:
        CaffeNet: Its layers that carry blobs (V1 type enums are given as
        V2 type strings, e.g. ``'InnerProduct'``).

    Raises:
        WeightFileError: If the file is missing, not a Caffe NetParameter,
            in the pre-2014 V0 layout, or has no parameter blobs.
    """
    if not osp.isfile(path):
        raise WeightFileError(f'{path}: no such file')
    with open(path, 'rb') as f:
        data = f.read()
    from google.protobuf.message import DecodeError
    msgs = caffe_messages(raw=True)
    try:
        net = msgs['NetParameter'].FromString(data)
    except DecodeError as err:
        raise WeightFileError(
            f'{path} is not a binary Caffe model (NetParameter protobuf): '
            f'{err}') from None
    if len(net.layer) and len(net.layers):
        raise WeightFileError(
            f'{path} mixes V1 "layers" and V2 "layer" entries; upgrade it '
            "with Caffe's upgrade_net_proto_binary")
    v1 = bool(len(net.layers))
    out = CaffeNet(name=net.name, format='V1' if v1 else 'V2')
    enum = msgs['V1LayerParameter'].LayerType
    for i, layer in enumerate(net.layers if v1 else net.layer):
        if v1 and layer.HasField('layer'):
            raise WeightFileError(
                f'{path} uses the V0 layer layout (layer #{i}); upgrade it '
                "with Caffe's upgrade_net_proto_binary first")
        if v1:
            type_name = enum.Name(layer.type) if layer.type in enum.values() \
                else str(layer.type)
            type_name = V1_TO_V2_TYPES.get(type_name, type_name)
        else:
            type_name = layer.type
        if not len(layer.blobs):
            continue
        name = layer.name or f'#{i}'
        blobs = [
            _blob_array(b, f'{path}: layer {name} blob {j}')
            for j, b in enumerate(layer.blobs)
        ]
        out.layers.append(CaffeLayer(name, type_name, blobs))
    if not out.layers:
        raise WeightFileError(
            f'{path} holds no layer with parameters; it is not a trained '
            '.caffemodel (a .prototxt or an empty/garbled file?)')
    return out


def _fit(array: np.ndarray, shape: Sequence[int], where: str,
         reshape_ok: bool = False) -> torch.Tensor:
    """The blob as a tensor of ``shape``.

    Leading singleton axes of the legacy 4-D blobs are ignored. With
    ``reshape_ok`` (InnerProduct fc6/fc7 becoming convolutions) only the
    number of values must agree.
    """
    def squeeze(s):
        s = list(s)
        while len(s) > 1 and s[0] == 1:
            s.pop(0)
        return tuple(s)

    ok = squeeze(array.shape) == squeeze(shape) or (
        reshape_ok and array.size == math.prod(shape))
    if not ok:
        raise WeightFileError(
            f'{where}: blob of shape {fmt_shape(array.shape)} does not fit '
            f'{fmt_shape(shape)}')
    return torch.from_numpy(array.reshape(tuple(shape)).copy())


def _check_scale(layer: CaffeLayer, path: str, net: str) -> str:
    """Check a fixed Scale layer (the at-once net's) holds its constant."""
    want = FIXED_SCALES[layer.name]
    if len(layer.blobs) != 1:
        raise WeightFileError(
            f'{path}: Scale layer {layer.name} has {len(layer.blobs)} blobs; '
            f'the {NET_TITLES[net]} has one fixed scale and no bias')
    values = layer.blobs[0]
    if not np.allclose(values, want, rtol=1e-5, atol=0):
        raise WeightFileError(
            f'{path}: Scale layer {layer.name} holds values in '
            f'[{values.min():g}, {values.max():g}], not the fixed {want:g} of '
            f'the {NET_TITLES[net]}; the plugin head cannot represent it')
    return (f'{layer.name} (Scale, {values.size} values, all {want:g}): the '
            f'fixed constant of the {NET_TITLES[net]}, built into its head, '
            'not a parameter')


def _is_head_layer(name: str) -> bool:
    """Whether ``name`` is a layer some head declares."""
    return name in SCORE_INPUTS or name in UPSCORE_KERNELS


def _two_head_layers(names: Sequence[str],
                     path: str) -> Dict[str, Tuple[str, str]]:
    """Where the layers of a two-head file go: name -> (head, layer).

    A layer named ``<layer><suffix>``, with a suffix of
    :data:`~.layers.HEAD_SUFFIXES` and ``<layer>`` a head layer of the net
    table, is ``<head>.<layer>``. Empty for a file without such layers
    (a one-head net or a trunk).

    Raises:
        WeightFileError: If the file mixes suffixed and plain head layers,
            or its heads do not hold the layers of one and the same net.
    """
    out: Dict[str, Tuple[str, str]] = {}
    for name in names:
        for head, suffix in HEAD_SUFFIXES:
            base = name[:-len(suffix)] if suffix and name.endswith(
                suffix) else None
            if base is not None and _is_head_layer(base):
                out[name] = (head, base)
                break
    if not out:
        return out
    plain = [n for n in names if _is_head_layer(n)]
    if plain:
        raise WeightFileError(
            f'{path} mixes the head layers of a one-head net '
            f'({", ".join(plain)}) with those of a two-head net '
            f'({", ".join(out)}); a file holds one net')
    trunk = [n for n in names if n in ALL_TRUNK_LAYERS]
    held = {head: [base for h, base in out.values() if h == head]
            for head, _ in HEAD_SUFFIXES}

    def describe(head: str, suffix: str) -> str:
        layers = held[head]
        if not layers:
            return f'{head} (*{suffix}) no layers'
        net = NET_TITLES[net_of_layers(trunk + layers)]
        return (f'{head} (*{suffix}) the {net} layers '
                f'{", ".join(n + suffix for n in layers)}')

    nets = {net_of_layers(trunk + layers) if layers else None
            for layers in held.values()}
    same = len({frozenset(layers) for layers in held.values()}) == 1
    if len(nets) > 1 or not same:
        raise WeightFileError(
            f'{path} is a two-head net whose heads differ: ' +
            '; '.join(describe(h, s) for h, s in HEAD_SUFFIXES) +
            '; both heads must hold the layers of the same net')
    return out


def convert_caffe_net(net: CaffeNet, path: str,
                      want_net: Optional[str] = None
                      ) -> Tuple['OrderedDict[str, torch.Tensor]', str,
                                 List[str]]:
    """Map a parsed ``.caffemodel`` onto a plugin state dict.

    Args:
        net (CaffeNet): The parsed file.
        path (str): The file, for messages.
        want_net (str, optional): Target net; detected from the layers
            (score_pool3, score_pool4, score_fr, Scale layers) if None.

    A two-head file (``score_fr_sem`` ... and ``score_fr_geo`` ...; the
    suffixes of :data:`~.layers.HEAD_SUFFIXES`) puts each head's layers
    under its head (``decode_head.score_fr``, ``geo_head.score_fr``); its
    net is read off the layer names without the suffixes.

    Returns:
        tuple: (state dict, net, notes on layers dropped or checked).

    Raises:
        WeightFileError: For a layer with parameters that has no place in
            the net, a duplicate layer, a wrong blob count or shape, a
            ``want_net`` that contradicts the file, or a two-head file
            whose heads hold different layers.
    """
    aliases = {
        alias: name
        for trunk in TRUNKS.values()
        for alias, name in getattr(trunk, 'caffe_aliases', {}).items()
    }
    renamed = [n for n in (layer.name for layer in net.layers)
               if n in aliases]
    net = CaffeNet(net.name, net.format, [
        CaffeLayer(aliases.get(layer.name, layer.name), layer.type,
                   layer.blobs) for layer in net.layers
    ])
    seen = set()
    for layer in net.layers:
        if layer.name in seen:
            raise WeightFileError(
                f'{path}: layer {layer.name} appears twice with parameters')
        seen.add(layer.name)
    by_name = {layer.name: layer for layer in net.layers}
    heads = _two_head_layers(list(by_name), path)
    has_scales = [n for n in FIXED_SCALES if n in by_name]
    detected = net_of_layers(
        [heads.get(n, (HEAD, n))[1] for n in by_name])
    if has_scales:
        scaled = scaled_net(detected, has_scales)
        if scaled is None:
            raise WeightFileError(
                f'{path}: no declared net has the Scale layers {has_scales} '
                f'with the layers of a {NET_TITLES[detected]}')
        detected = scaled
    net_name = want_net or detected
    if net_name != detected:
        raise WeightFileError(
            f'{path} holds a {NET_TITLES[detected]} (layers: '
            f'{", ".join(by_name)}), not the requested '
            f'{NET_TITLES[net_name]}')
    # The ImageNet classifier: InnerProduct layers of the trunk (fc6/fc7
    # in VGG16 and CaffeNet), convolutions here; and the layer each one
    # follows.
    trunk = trunk_class(net_name)
    kernels = dict(trunk.caffe_layers)
    follows = {name: trunk.caffe_layers[i - 1][0]
               for i, (name, _) in enumerate(trunk.caffe_layers)
               if name in trunk.fc_layers}

    out = OrderedDict()
    notes = [f'{n}: the trunk\'s {aliases[n]}' for n in renamed]
    if heads:
        notes.append('two heads: ' + ', '.join(
            f'<layer>{suffix} -> {head}.<layer> ('
            f'{", ".join(b for h, b in heads.values() if h == head)})'
            for head, suffix in HEAD_SUFFIXES))
    pending_fc = []
    for layer in net.layers:
        where = f'{path}: layer {layer.name} ({layer.type})'
        head, name = heads.get(layer.name, (HEAD, layer.name))
        if name in FIXED_SCALES:
            notes.append(_check_scale(layer, path, net_name))
            continue
        if name in trunk.caffe_dropped:
            notes.append(
                f'{name} ({layer.type}, weight '
                f'{fmt_shape(layer.blobs[0].shape)}): ImageNet classifier, '
                'dropped; FCN scores with its own score_fr')
            continue
        if name in ALL_TRUNK_LAYERS or name in SCORE_INPUTS:
            kinds = ('Convolution', 'InnerProduct') if name in follows \
                else ('Convolution', )
            if layer.type not in kinds or len(layer.blobs) != 2:
                raise WeightFileError(
                    f'{where}: expected a {" or ".join(kinds)} layer with '
                    f'weight and bias blobs, got {len(layer.blobs)} blobs')
            if name in follows:
                pending_fc.append(layer)
                continue
            weight, bias = layer.blobs
            w = torch.from_numpy(weight.copy())
            if w.dim() != 4:
                raise WeightFileError(
                    f'{where}: weight blob {fmt_shape(weight.shape)} is not '
                    'out x in x kh x kw')
            out[param_key(name, 'weight', head)] = w
            out[param_key(name, 'bias', head)] = _fit(bias, (w.shape[0], ),
                                                      where + ' bias')
        elif name in UPSCORE_KERNELS:
            if layer.type != 'Deconvolution' or len(layer.blobs) != 1:
                raise WeightFileError(
                    f'{where}: expected a bias-free Deconvolution with one '
                    f'blob, got {len(layer.blobs)} blobs')
            weight = layer.blobs[0]
            if weight.ndim != 4:
                raise WeightFileError(
                    f'{where}: weight blob {fmt_shape(weight.shape)} is not '
                    'in x out x k x k')
            out[param_key(name, 'weight', head)] = torch.from_numpy(
                weight.copy())
        else:
            raise WeightFileError(
                f'{where} has {len(layer.blobs)} parameter blobs '
                f'({", ".join(fmt_shape(b.shape) for b in layer.blobs)}) '
                f'but no place in the {NET_TITLES[net_name]}; it is not '
                'dropped silently')
    for layer in pending_fc:
        where = f'{path}: layer {layer.name} ({layer.type})'
        weight, bias = layer.blobs
        cout = int(bias.size)
        prev_layer = follows[layer.name]
        prev = param_key(prev_layer, 'weight')
        if prev not in out:
            raise WeightFileError(
                f'{where}: cannot place it without {prev_layer}')
        cin = int(out[prev].shape[0])
        k = kernels[layer.name]
        out[param_key(layer.name, 'weight')] = _fit(
            weight, (cout, cin, k, k), where + ' weight', reshape_ok=True)
        out[param_key(layer.name, 'bias')] = _fit(bias, (cout, ),
                                                  where + ' bias')
    order = [param_key(n, k) for n in trunk_layers(net_name)
             for k in ('weight', 'bias')]
    ordered = OrderedDict((k, out.pop(k)) for k in order if k in out)
    ordered.update(out)
    return ordered, net_name, notes
