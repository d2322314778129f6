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
"""
from typing import Any, Dict, List, Mapping, Optional, Tuple

import torch

from ..datasets.class_orders import (CLASS_ORDERS, ClassOrder, class_rows,
                                     dataset_meta, orders_of_size, targets)
from ..errors import WeightFileError
from ..models.net_table import SCORE_LAYERS, UPSCORE_KERNELS
from .layers import HEAD_LAYERS, TRUNK_NET, VARIANTS, fmt_shape, param_key

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


def _sizes() -> str:
    return ', '.join(f'{o.title} {len(o.caffe_classes)}'
                     for o in CLASS_ORDERS.values())


def _release_order(rows: int, src: str,
                   classes: Optional[str]) -> Optional[ClassOrder]:
    """The order of a file with ``rows`` score rows, or None if undeclared.

    Raises:
        WeightFileError: If ``classes`` is not a target, does not fit the
            file, or the row count fits several orders and ``classes`` is
            None.
    """
    fits = orders_of_size(rows)
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


def reorder_classes(state_dict: Mapping[str, torch.Tensor], net: str,
                    src: str, classes: Optional[str] = None
                    ) -> Tuple[Dict[str, torch.Tensor], Dict[str, Any],
                               List[str]]:
    """Reorder a converted net's class axes to an MMSeg dataset's classes.

    The file's release order is detected from its number of ``score_fr``
    rows (:func:`~fcn_plugin.datasets.class_orders.orders_of_size`).

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
        the ``dataset_meta``; a reordering also records ``class_order``
        (``release``, ``target``, ``dropped``). A file whose row count fits
        no declared order is returned unchanged, with no meta and a note.

    Raises:
        WeightFileError: For a ``classes`` that is no target or does not fit
            the file, ``classes`` with a trunk file, a head layer whose
            class axes do not have the ``score_fr`` row count, or an upscore
            layer that mixes a dropped class into a kept one.
    """
    if classes is not None and classes not in targets():
        raise WeightFileError(
            f'--classes {classes!r} is not one of {", ".join(targets())}')
    if VARIANTS[net][0] == TRUNK_NET:
        if classes is not None:
            raise WeightFileError(
                f'{src} holds a VGG16 trunk, which scores no classes; '
                f'--classes {classes} applies to released FCNs only')
        return dict(state_dict), {}, []
    rows = int(state_dict[ROWS_KEY].shape[0])
    order = _release_order(rows, src, classes)
    if order is None:
        return dict(state_dict), {}, [
            f'{rows} score rows match no declared class order ({_sizes()}): '
            'converted unchanged in the file\'s order, no dataset_meta']
    target = classes or next(iter(order.targets))
    kept, dropped = class_rows(target)
    meta: Dict[str, Any] = dict(dataset_meta=dataset_meta(target))
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
