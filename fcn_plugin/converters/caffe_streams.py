"""Split a late-fusion ``.caffemodel`` into one net per input stream.

The NYUDv2 RGB-HHA net of `FCN <https://arxiv.org/abs/1605.06211>`_
(``nyud-fcn32s-color-hha/net.py``) names every layer of its two VGG16
streams with the stream's modality appended (``conv1_1color`` ...
``score_frcolor``, ``conv1_1hha`` ... ``score_frhha``) and has one shared,
unsuffixed ``upscore`` after the fused scores. Each stream is an ordinary
net of the table; this module cuts the file into those nets (the shared
upscore given to each), which the converter converts one by one and the
segmentor (:class:`LateFusionEncoderDecoder`) holds under its stream
modules.
"""
import re
from collections import OrderedDict
from typing import Dict, List, Optional

from ..errors import WeightFileError
from ..models.net_table import ALL_TRUNK_LAYERS, SCORE_LAYERS, UPSCORE_LAYERS
from .caffe_model import CaffeLayer, CaffeNet

#: A stream suffix: the modality name, letters only (``color``, ``hha``).
_SUFFIX = re.compile(r'^[A-Za-z]+$')


def _split_name(name: str) -> Optional[tuple]:
    """``(layer, suffix)`` of a suffixed trunk or head layer, or None."""
    best = None
    for layer in list(ALL_TRUNK_LAYERS) + list(SCORE_LAYERS) + list(
            UPSCORE_LAYERS):
        rest = name[len(layer):]
        if (name.startswith(layer) and rest and _SUFFIX.match(rest)
                and (best is None or len(layer) > len(best[0]))):
            best = (layer, rest)
    return best


def stream_nets(net: CaffeNet, path: str) -> Optional[Dict[str, CaffeNet]]:
    """One net per stream of a late-fusion file, or None for other files.

    A file is a late-fusion file when its trunk layers carry a suffix.
    Unsuffixed head layers (the shared ``upscore``) go to every stream.

    Args:
        net (CaffeNet): The parsed file.
        path (str): The file, for messages.

    Returns:
        dict | None: Stream (suffix) -> its layers under the plain names,
        in the order the streams appear in the file.

    Raises:
        WeightFileError: If the file mixes suffixed and plain trunk layers
            or a layer fits no stream.
    """
    split = {layer.name: _split_name(layer.name) for layer in net.layers}
    suffixed_trunk = [
        n for n, s in split.items() if s and s[0] in ALL_TRUNK_LAYERS
    ]
    if not suffixed_trunk:
        return None
    plain_trunk = [n for n in split if n in ALL_TRUNK_LAYERS]
    if plain_trunk:
        raise WeightFileError(
            f'{path} mixes stream trunk layers ({", ".join(suffixed_trunk)}'
            f') with plain ones ({", ".join(plain_trunk)}); a late-fusion '
            'file names every trunk layer with its stream')
    streams: Dict[str, List[CaffeLayer]] = OrderedDict()
    shared: List[CaffeLayer] = []
    for layer in net.layers:
        parts = split[layer.name]
        if parts is None:
            # An unsuffixed layer: shared by the streams (upscore), or one
            # the per-stream conversion names as having no place.
            shared.append(layer)
            continue
        base, suffix = parts
        streams.setdefault(suffix, []).append(
            CaffeLayer(base, layer.type, layer.blobs))
    return OrderedDict(
        (suffix, CaffeNet(f'{net.name} [{suffix}]', net.format,
                          layers + [CaffeLayer(s.name, s.type, s.blobs)
                                    for s in shared]))
        for suffix, layers in streams.items())
