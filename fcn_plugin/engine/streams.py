"""Checks of checkpoints of late-fusion nets, stream by stream.

A late-fusion segmentor (:class:`LateFusionEncoderDecoder`, the NYUDv2
RGB-HHA net of `FCN <https://arxiv.org/abs/1605.06211>`_) holds one whole
FCN per input modality: the first stream as MMSeg's ``backbone`` /
``decode_head``, stream ``s`` as ``<s>_backbone`` / ``<s>_head``. Each
stream is an ordinary net of the table (e.g. FCN-32s), so its keys are
renamed to ``backbone.`` / ``decode_head.`` and checked by
:func:`~.weight_check.plan_load` like a one-stream file.
"""
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import torch.nn as nn

from fcn_plugin.errors import WeightFileError
from fcn_plugin.models.segmentors.late_fusion_encoder_decoder import (
    FIRST_STREAM, to_plain_key, to_stream_key)
from .weight_check import LoadPlan, plan_load

#: Stream -> (backbone attribute, head attribute).
StreamAttrs = Mapping[str, Tuple[str, str]]


def model_streams(model: nn.Module) -> Optional[StreamAttrs]:
    """The streams of a late-fusion segmentor, None for other models."""
    return getattr(model, 'stream_attrs', None)


def split_streams(state: Mapping[str, Any], streams: StreamAttrs
                  ) -> Tuple[Dict[str, Dict[str, Any]], list]:
    """Each stream's entries under one-stream keys, and the other keys."""
    out: Dict[str, Dict[str, Any]] = {s: {} for s in streams}
    other = []
    for key, value in state.items():
        for stream, attrs in streams.items():
            plain = to_plain_key(key, attrs)
            if plain is not None:
                out[stream][plain] = value
                break
        else:
            other.append(key)
    return out, other


def stream_of_module(model: nn.Module,
                     module: nn.Module) -> Optional[Tuple[str, str]]:
    """``(stream, 'backbone' | 'decode_head')`` of a stream's module."""
    for stream, attrs in (model_streams(model) or {}).items():
        for attr, plain in zip(attrs, FIRST_STREAM):
            if getattr(model, attr, None) is module:
                return stream, plain
    return None


def plan_streams(model_shapes: Mapping[str, Sequence[int]],
                 net: str,
                 state_dict: Mapping[str, Any],
                 source: str,
                 streams: StreamAttrs,
                 meta: Optional[Mapping[str, Any]] = None,
                 staged: bool = False,
                 new_classes: bool = False) -> LoadPlan:
    """:func:`plan_load` for a late-fusion net, stream by stream.

    The file must be a checkpoint of the same streams (``meta['streams']``
    when recorded), each holding the net; keys of no stream are refused.

    Returns:
        LoadPlan: The streams' plans merged, under the model's keys.

    Raises:
        WeightFileError: Naming the file, the stream and what is wrong.
    """
    names = list(streams)
    recorded = (meta or {}).get('streams')
    if recorded is not None and list(recorded) != names:
        raise WeightFileError(
            f'{source} holds the streams {list(recorded)}; the config\'s '
            f'late-fusion net has {names} (model.streams)')
    files, other = split_streams(state_dict, streams)
    if other:
        raise WeightFileError(
            f'{source}: keys of no stream of the late-fusion net '
            f'{names}: {", ".join(other[:6])}')
    empty = [s for s in names if not files[s]]
    if empty:
        raise WeightFileError(
            f'{source} holds no weights of the stream(s) {empty} of this '
            f'late-fusion net (streams {names}): it is not a late-fusion '
            'checkpoint. Start the streams from single-stream checkpoints '
            'with model.stream_init=dict(' +
            ', '.join(f'{s}=...' for s in names) + ') instead')
    shapes, _ = split_streams(model_shapes, streams)
    merged: Optional[LoadPlan] = None
    for stream in names:
        plan = plan_load(shapes[stream], net, files[stream],
                         f'{source} [{stream} stream]', meta, staged,
                         new_classes)
        attrs = streams[stream]
        for name in ('copied', 'kept', 'skipped', 'reset'):
            setattr(plan, name,
                    [to_stream_key(k, attrs) for k in getattr(plan, name)])
        plan.widened = {
            to_stream_key(k, attrs): v
            for k, v in plan.widened.items()
        }
        if merged is None:
            merged = plan
            continue
        for name in ('copied', 'kept', 'skipped', 'reset'):
            getattr(merged, name).extend(getattr(plan, name))
        merged.widened.update(plan.widened)
    assert merged is not None
    return merged
