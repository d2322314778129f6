"""Put the score rows of a released FCN in the order of an MMSeg dataset.

The released Caffe FCNs score the classes of their benchmark in the
reference's order (:mod:`fcn_plugin.datasets.class_orders`); MMSeg's
datasets may list the same classes in another order (PASCAL-Context:
background first, then alphabetical) or without the background (the
59-class PASCAL-Context). The class axes of a net are read off the heads'
declarations (:data:`~fcn_plugin.models.net_table.HEAD_LAYERS`): the output
rows of every score layer (weight and bias), and both class axes of every
upscore layer (a transposed conv, ``(in, out, k, k)``). Reordering them all
by the same rows computes the same function with the classes permuted.
The rows of reference classes the dataset has no place for are dropped;
that keeps the other classes' scores because the released upscore layers
are fixed per-class kernels, which carry no class into another (checked).

A two-head release (SIFT Flow: ``decode_head`` the semantic classes,
``geo_head`` the geometric ones) is reordered by its semantic head; its
target dataset declares the other head's classes in ``METAINFO``
(``geo_classes``, ``geo_palette``: :func:`head_meta_keys`), which the
other head's rows must number and which its ``dataset_meta`` records. An
order fits a file only with the heads its dataset declares: a one-head
file with 33 rows is no SIFT Flow release.
"""
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from mmseg.registry import DATASETS

from ..datasets.class_orders import (CLASS_ORDERS, ClassOrder, class_rows,
                                     dataset_meta, orders_of_size, targets)
from ..errors import WeightFileError
from ..models.net_table import SCORE_LAYERS, UPSCORE_KERNELS
from .layers import (HEAD, HEAD_LAYERS, HEADS, NET_TITLES, VARIANTS, fmt_shape,
                     head_classes, head_layout, is_trunk, param_key)

#: The key whose first dimension is the number of classes a file scores.
ROWS_KEY = param_key('score_fr', 'weight')


def class_axes(net: str) -> List[Tuple[str, Tuple[int, ...]]]:
    """The class axes of ``net``'s head, key by key.

    Returns:
        list: ``(state-dict key, class axes)`` for every parameter of the
        head: ``(0, )`` for score weights and biases, ``(0, 1)`` for the
        upscore (transposed conv) weights.

    Raises:
        ValueError: If the head declares a layer that is neither a score
            nor an upscore layer (its class axes are unknown).
    """
    out = []
    for layer in HEAD_LAYERS[VARIANTS[net][0]]:
        if layer in SCORE_LAYERS:
            out += [(param_key(layer, 'weight'), (0, )),
                    (param_key(layer, 'bias'), (0, ))]
        elif layer in UPSCORE_KERNELS:
            out.append((param_key(layer, 'weight'), (0, 1)))
        else:
            raise ValueError(
                f'head layer {layer} of {net} is neither a score nor an '
                'upscore layer; its class axes are not declared')
    return out


def head_meta_keys(head: str) -> Tuple[str, str]:
    """The ``METAINFO`` / ``dataset_meta`` keys of a head's classes and
    palette: ``classes`` and ``palette`` for ``decode_head``,
    ``geo_classes`` and ``geo_palette`` for ``geo_head``."""
    if head == HEAD:
        return 'classes', 'palette'
    name = head[:-len('_head')] if head.endswith('_head') else head
    return f'{name}_classes', f'{name}_palette'


def _metainfo(target: str) -> Mapping[str, Any]:
    order = targets()[target]
    return DATASETS.get(order.targets[target]).METAINFO


def target_heads(target: str) -> Tuple[str, ...]:
    """The heads a target's dataset has classes for: ``decode_head`` and
    each other head whose classes its ``METAINFO`` declares (e.g.
    ``geo_classes``: ``('decode_head', 'geo_head')``)."""
    info = _metainfo(target)
    return (HEAD, ) + tuple(h for h in HEADS
                            if h != HEAD and head_meta_keys(h)[0] in info)


def order_heads(order: ClassOrder) -> Tuple[str, ...]:
    """The heads of an order's releases (those of its first target)."""
    return target_heads(next(iter(order.targets)))


def _sizes() -> str:
    def heads(o):
        n = len(order_heads(o))
        return f' ({n} heads)' if n > 1 else ''

    return ', '.join(f'{o.title} {len(o.caffe_classes)}{heads(o)}'
                     for o in CLASS_ORDERS.values())


def _heads_text(heads: Sequence[str]) -> str:
    return (f'{len(heads)} heads ({", ".join(heads)})' if len(heads) > 1
            else 'one head')


def _release_order(rows: int, src: str, classes: Optional[str],
                   heads: Sequence[str] = (HEAD, )) -> Optional[ClassOrder]:
    """The order of a file with ``rows`` score rows, or None if undeclared.

    Only orders whose releases have the file's ``heads`` fit.

    Raises:
        WeightFileError: If ``classes`` is not a target, does not fit the
            file, or the row count fits several orders and ``classes`` is
            None.
    """
    heads = tuple(heads)
    fits = [o for o in orders_of_size(rows) if order_heads(o) == heads]
    if classes is not None and target_heads(classes) != heads:
        want = target_heads(classes)
        order = targets()[classes]
        raise WeightFileError(
            f'{src}: the file is a net with {_heads_text(heads)}; --classes '
            f'{classes} ({order.targets[classes]}) needs a {order.title} '
            f'release with {_heads_text(want)}')
    if classes is None:
        if len(fits) > 1:
            raise WeightFileError(
                f'{src}: the file scores {rows} classes, which fits the '
                f'{" and the ".join(o.title for o in fits)} releases; name '
                'the target with --classes '
                f'{{{",".join(t for o in fits for t in o.targets)}}}')
        return fits[0] if fits else None
    order = targets()[classes]
    if order not in fits:
        have = (f' ({" / ".join(o.title for o in fits)})' if fits else
                ', no declared release order')
        raise WeightFileError(
            f'{src}: the file scores {rows} classes{have}; --classes '
            f'{classes} needs a {order.title} release '
            f'({len(order.caffe_classes)} rows)')
    return order


def _check_no_mixing(weight: torch.Tensor, kept: List[int], key: str,
                     src: str, order: ClassOrder, dropped: List[str]) -> None:
    """Fail if an upscore layer feeds a dropped class into a kept one.

    Dropping a class's rows keeps the other classes' scores only if no
    layer mixes it into them: the released upscore layers are fixed
    per-class bilinear kernels (zero between classes), so their
    ``(dropped, kept)`` block is zero.
    """
    index = [i for i in range(weight.shape[0]) if i not in set(kept)]
    block = weight[index][:, kept]
    if block.any():
        layer = key.split('.')[-2]
        raise WeightFileError(
            f'{src}: {layer} feeds the dropped classes ({", ".join(dropped)}) '
            f'into the kept ones (weights up to {block.abs().max():g} '
            'between them; the released upscore layers are per-class '
            'kernels), so without their rows the net would score the other '
            'classes differently; convert all classes with --classes '
            f'{next(iter(order.targets))}')


def _other_heads_meta(state_dict: Mapping[str, torch.Tensor],
                      heads: Sequence[str], target: str,
                      src: str) -> Dict[str, list]:
    """``dataset_meta`` entries of the heads after ``decode_head``.

    Raises:
        WeightFileError: If a head's rows are not its classes' number.
    """
    info = _metainfo(target)
    rows = head_classes(state_dict, heads)
    out: Dict[str, list] = {}
    for head in heads:
        if head == HEAD:
            continue
        classes_key, palette_key = head_meta_keys(head)
        classes = list(info[classes_key])
        if rows[head] != len(classes):
            key = param_key('score_fr', 'weight', head)
            raise WeightFileError(
                f'{src}: {head} scores {rows[head]} classes ({key} '
                f'{fmt_shape(state_dict[key].shape)}), but '
                f'{targets()[target].targets[target]} has {len(classes)} '
                f'{classes_key} ({", ".join(classes)})')
        out[classes_key] = classes
        if palette_key in info:
            out[palette_key] = [list(c) for c in info[palette_key]]
    return out


def reorder_classes(state_dict: Mapping[str, torch.Tensor], net: str,
                    src: str, classes: Optional[str] = None
                    ) -> Tuple[Dict[str, torch.Tensor], Dict[str, Any],
                               List[str]]:
    """Reorder a converted net's class axes to an MMSeg dataset's classes.

    The file's release order is detected from its number of ``score_fr``
    rows (:func:`~fcn_plugin.datasets.class_orders.orders_of_size`) and
    its heads. Of a two-head net the semantic head (``decode_head``) is
    reordered; the other head must have as many rows as its classes in the
    target dataset's ``METAINFO`` (``geo_classes``), which the
    ``dataset_meta`` then also holds (``geo_classes``, ``geo_palette``).

    Args:
        state_dict (Mapping[str, Tensor]): The converted plugin state dict,
            in the release's class order.
        net (str): Its net.
        src (str): The source file, for messages.
        classes (str, optional): A ``--classes`` target
            (:func:`~fcn_plugin.datasets.class_orders.targets`); the first
            target of the detected order if None.

    Returns:
        tuple: (state dict, meta to add, notes). An identity conversion
        (PASCAL VOC) returns the tensors as they are and, for meta, only
        the ``dataset_meta`` (and ``input_mean``, the mean the release was
        trained with, for an order that declares ``caffe_mean``); a reordering
        also records ``class_order`` (``release``, ``target``,
        ``dropped``). A file whose row count fits
        no declared order is returned unchanged, with no meta and a note.

    Raises:
        WeightFileError: For a ``classes`` that is no target or does not fit
            the file, ``classes`` with a trunk file, a head layer whose
            class axes do not have the ``score_fr`` row count, an upscore
            layer that mixes a dropped class into a kept one, or a second
            head whose rows are not its classes in the target dataset.
    """
    if classes is not None and classes not in targets():
        raise WeightFileError(
            f'--classes {classes!r} is not one of {", ".join(targets())}')
    if is_trunk(net):
        if classes is not None:
            raise WeightFileError(
                f'{src} holds a {NET_TITLES[net]}, which scores no classes; '
                f'--classes {classes} applies to released FCNs only')
        return dict(state_dict), {}, []
    rows = int(state_dict[ROWS_KEY].shape[0])
    heads = head_layout(state_dict)
    order = _release_order(rows, src, classes, heads)
    if order is None:
        return dict(state_dict), {}, [
            f'{rows} score rows match no declared class order ({_sizes()}): '
            'converted unchanged in the file\'s order, no dataset_meta']
    target = classes or next(iter(order.targets))
    kept, dropped = class_rows(target)
    meta: Dict[str, Any] = dict(
        dataset_meta=dict(dataset_meta(target),
                          **_other_heads_meta(state_dict, heads, target,
                                              src)))
    if order.caffe_mean is not None:
        meta['input_mean'] = list(order.caffe_mean)
    identity = kept == list(range(rows))
    if identity and len(order.targets) == 1:
        # Nothing changed and nothing to choose (PASCAL VOC): the file's
        # order is the dataset's.
        return dict(state_dict), meta, []
    out = dict(state_dict)
    index = torch.tensor(kept)
    layers = []
    for key, axes in class_axes(net):
        value = state_dict.get(key)
        if value is None:
            continue
        for axis in axes:
            if value.shape[axis] != rows:
                raise WeightFileError(
                    f'{src}: {key} ({fmt_shape(value.shape)}) has '
                    f'{value.shape[axis]} classes on axis {axis}, score_fr '
                    f'has {rows}')
        if dropped and len(axes) > 1:
            _check_no_mixing(value, kept, key, src, order, dropped)
        if not identity:
            for axis in axes:
                value = value.index_select(axis, index)
            out[key] = value.contiguous()
        if key.split('.')[-2] not in layers:
            layers.append(key.split('.')[-2])
    meta['class_order'] = dict(release=order.name, target=target,
                               dropped=list(dropped))
    dataset = order.targets[target]
    if identity:
        note = (f'score rows kept: the {order.title} reference order is '
                f'{dataset}\'s')
    else:
        note = (f'score rows reordered from the {order.title} reference '
                f'order to {dataset}\'s; dropped: '
                f'{", ".join(dropped) or "none"}')
    return out, meta, [note + f' ({len(kept)} classes; {", ".join(layers)})']
