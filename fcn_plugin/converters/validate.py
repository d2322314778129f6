"""Check a converted state dict against the plugin's layer contract."""
from typing import Dict, List, Mapping, Optional, Sequence

import torch

from ..errors import WeightFileError
from ..models.net_table import trunk_layers
from .layers import (HEAD, NET_TITLES, expected_shapes, fmt_shape,
                     head_classes, head_layout, is_trunk, net_keys, param_key,
                     widths_of)


def shape_problems(state_dict: Mapping[str, torch.Tensor],
                   expected: Mapping[str, Sequence[int]]) -> List[str]:
    """Lines describing missing, unexpected and mis-shaped keys."""
    lines = []
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    wrong = [
        k for k in expected if k in state_dict
        and tuple(state_dict[k].shape) != tuple(expected[k])
    ]
    if missing:
        lines.append('missing keys: ' + ', '.join(missing))
    if unexpected:
        lines.append('unexpected keys: ' + ', '.join(
            f'{k} ({fmt_shape(state_dict[k].shape)})' for k in unexpected))
    for k in wrong:
        lines.append(f'{k}: shape {fmt_shape(state_dict[k].shape)}, '
                     f'expected {fmt_shape(expected[k])}')
    return lines


def check_converted(state_dict: Mapping[str, torch.Tensor], net: str,
                    source: str,
                    num_classes: Optional[int] = None) -> Dict[str, object]:
    """Fail unless ``state_dict`` is exactly a consistent ``net``.

    The widths are read off the file (any consistent widths pass, so narrow
    test nets convert too); then every key and shape must match. A state
    dict with keys of a second head (``geo_head.*``) must be the whole
    two-head net (:func:`~.layers.head_layout`), each head with its own
    number of classes.

    Args:
        state_dict (Mapping[str, Tensor]): Converted plugin state dict.
        net (str): Target net.
        source (str): The source file, for messages.
        num_classes (int, optional): Required number of classes (of
            ``decode_head``).

    Returns:
        dict: ``stage_channels``, ``fc_channels`` and ``num_classes`` read
        off the file (``decode_head``'s classes); for a two-head net also
        ``heads`` (their names) and ``head_classes`` (head -> classes).

    Raises:
        WeightFileError: Listing every missing, unexpected or mis-shaped
            key.
    """
    stages, fc, classes = widths_of(state_dict)
    trunk = is_trunk(net)
    heads = head_layout(state_dict) if not trunk else ()
    per_head = head_classes(state_dict, heads)
    if stages is None or fc is None or (not trunk and (
            classes is None or None in per_head.values())):
        keys = net_keys(net, heads or (HEAD, ))
        missing = [k for k in keys if k not in state_dict]
        raise WeightFileError(
            f'{source}: not a complete {NET_TITLES[net]}; missing keys: '
            + ', '.join(missing))
    if num_classes is not None and not trunk and classes != num_classes:
        score_fr = state_dict[param_key('score_fr', 'weight')]
        raise WeightFileError(
            f'{source}: {NET_TITLES[net]} with {classes} classes (score_fr '
            f'{fmt_shape(score_fr.shape)}), but {num_classes} were asked for')
    two_heads = len(heads) > 1
    # The input channels: 3, or more for an early-fusion net (BGR + depth).
    first = state_dict.get(param_key(trunk_layers(net)[0], 'weight'))
    in_channels = int(first.shape[1]) if first is not None and len(
        first.shape) == 4 else 3
    expected = expected_shapes(net, stages, fc,
                               per_head if two_heads else classes,
                               in_channels=in_channels)
    problems = shape_problems(state_dict, expected)
    if problems:
        what = (', '.join(f'{h} {n} classes' for h, n in per_head.items())
                if two_heads else f'classes {classes}')
        raise WeightFileError(
            f'{source} does not convert to a consistent {NET_TITLES[net]} '
            f'(widths {stages}, fc {fc}, {what}):\n  ' +
            '\n  '.join(problems))
    out: Dict[str, object] = dict(stage_channels=stages, fc_channels=fc,
                                  num_classes=classes)
    if two_heads:
        out.update(heads=list(heads), head_classes=dict(per_head))
    return out
