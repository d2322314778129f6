"""The three conversions, from a source file to a checked checkpoint."""
import os.path as osp
from typing import Any, Dict, List, Mapping, Optional, Tuple

import torch

from ..datasets.class_orders import CLASS_ORDERS, targets
from ..errors import WeightFileError
from ..models.segmentors.late_fusion_encoder_decoder import (stream_modules,
                                                             to_stream_key)
from .caffe_model import convert_caffe_net, read_caffemodel
from .caffe_streams import stream_nets
from .checkpoint_io import load_torch_file, save_checkpoint, tensor_dict
from .class_order import head_meta_keys, reorder_classes
from .layers import (CAFFE_INPUT, NET_TITLES, NETS, TORCHVISION_INPUT,
                     TRUNK_NET, is_trunk)
from .torchfcn import convert_torchfcn, torchfcn_net
from .torchvision_vgg import convert_torchvision_vgg16
from .validate import check_converted

#: Input normalisation of each weight origin (``SegDataPreProcessor``).
INPUTS = {'caffe': CAFFE_INPUT, 'torchvision': TORCHVISION_INPUT}


def _finish(state_dict: Mapping[str, torch.Tensor], net: str, src: str,
            dst: str, source_format: str, converter: str, origin: str,
            notes: List[str], classes: Optional[str] = None,
            reorder: bool = True) -> Dict[str, Any]:
    """Check, describe and save a converted state dict; return its meta.

    See :func:`_describe`.
    """
    out, meta = _describe(state_dict, net, src, source_format, converter,
                          origin, notes, classes, reorder)
    save_checkpoint(out, meta, dst, src)
    return meta


def _describe(state_dict: Mapping[str, torch.Tensor],
              net: str,
              src: str,
              source_format: str,
              converter: str,
              origin: str,
              notes: List[str],
              classes: Optional[str] = None,
              reorder: bool = True) -> Tuple[Dict[str, torch.Tensor], Dict[
                  str, Any]]:
    """Check and describe a converted state dict: (state dict, meta).

    The score rows are put in the order of the ``classes`` target's MMSeg
    dataset (:func:`~.class_order.reorder_classes`), whose
    ``dataset_meta`` the meta records. Without ``reorder`` (files whose
    class order is not a release's) only an order that needs no reordering
    is applied; any other file is saved as it is.
    """
    check_converted(state_dict, net, src)
    out, class_meta, class_notes = reorder_classes(state_dict, net, src,
                                                   classes)
    if not reorder and 'class_order' in class_meta:
        order = CLASS_ORDERS[class_meta['class_order']['release']]
        out, class_meta = state_dict, {}
        class_notes = [
            f'{len(order.caffe_classes)} score rows, as many as the '
            f'{order.title} releases score, but this format declares no '
            'class order: converted unchanged in the file\'s order, no '
            'dataset_meta (caffe2mmseg.py converts the .caffemodel to '
            'MMSeg\'s order)']
    info = check_converted(out, net, src)
    inp = dict(INPUTS[origin], origin=origin)
    mean = class_meta.pop('input_mean', None)
    if mean is not None and mean != inp['mean']:
        class_notes.append(
            f'input mean {mean} (BGR): the mean this release was trained '
            f'with, not the ImageNet {inp["mean"]}')
        inp['mean'] = mean
    meta: Dict[str, Any] = dict(
        fcn_net=net,
        source=osp.basename(src),
        source_format=source_format,
        converter=converter,
        input=inp,
        notes=list(notes) + class_notes,
        **info)
    if is_trunk(net):
        del meta['num_classes']
    meta.update(class_meta)
    return dict(out), meta


def _check_net(net: Optional[str]) -> None:
    if net is not None and net not in NETS:
        raise WeightFileError(
            f'--net {net!r} is not one of {", ".join(NETS)}')


def vgg2mmseg(src: str, dst: str,
              origin: Optional[str] = None) -> Dict[str, Any]:
    """Convert torchvision-layout VGG16 weights to a trunk checkpoint.

    Args:
        src (str): ``vgg16-397923af.pth`` or any state dict in that layout.
        dst (str): Output checkpoint.
        origin (str, optional): ``'torchvision'`` (RGB, ImageNet mean/std)
            or ``'caffe'`` (Caffe VGG16 re-saved in torchvision layout,
            e.g. pytorch-fcn's ``vgg16_from_caffe.pth``: BGR, mean only).
            If None, ``'caffe'`` when the file name contains "caffe", else
            ``'torchvision'``.

    Returns:
        dict: The checkpoint's meta.
    """
    if origin is None:
        origin = 'caffe' if 'caffe' in osp.basename(src).lower() \
            else 'torchvision'
    if origin not in INPUTS:
        raise WeightFileError(
            f'--origin {origin!r} is not one of {", ".join(INPUTS)}')
    state = tensor_dict(load_torch_file(src), src)
    out, notes = convert_torchvision_vgg16(state, src)
    return _finish(out, TRUNK_NET, src, dst, 'torchvision', 'vgg2mmseg',
                   origin, notes)


def caffe2mmseg(src: str,
                dst: str,
                net: Optional[str] = None,
                classes: Optional[str] = None,
                modality: Optional[str] = None) -> Dict[str, Any]:
    """Convert a ``.caffemodel`` (VGG16 or a released FCN) to a checkpoint.

    The released FCNs (``fcn*-heavy-pascal``, ``pascalcontext-fcn*-heavy``,
    ``siftflow-fcn*-heavy``) score their benchmark's classes in the
    reference's order; the score rows are put in the order of an MMSeg
    dataset's classes (:mod:`fcn_plugin.datasets.class_orders`), the rows
    of classes it lacks dropped, and the meta records its ``dataset_meta``.
    The two-head SIFT Flow releases (``<layer>_sem``, ``<layer>_geo``)
    become ``decode_head.<layer>`` and ``geo_head.<layer>`` of a
    ``TwoHeadEncoderDecoder``; the meta records ``heads`` and
    ``head_classes``, the ``dataset_meta`` also the geometric classes
    (``geo_classes``, ``geo_palette``), and ``input`` the SIFT Flow mean
    the releases were trained with.

    Args:
        src (str): The ``.caffemodel``.
        dst (str): Output checkpoint.
        net (str, optional): Expected net; detected if None.
        classes (str, optional): Target class list, one of
            :func:`~fcn_plugin.datasets.class_orders.targets` (``'voc'``,
            ``'pascal-context'``, ``'pascal-context-59'``, ``'siftflow'``
            for the two-head files). If None, the
            first target of the release the row count of ``score_fr``
            shows; a file whose row count fits no release is converted
            unchanged, without ``dataset_meta``. Not for a trunk file.
        modality (str, optional): The input of a one-stream release of a
            benchmark with several modalities (NYUDv2: ``'color'``,
            ``'hha'``): its mean is recorded as the input. A late-fusion
            file (``conv1_1color`` ... ``conv1_1hha`` ...) takes the
            modalities from its stream suffixes and refuses ``modality``.

    Returns:
        dict: The checkpoint's meta.

    Raises:
        WeightFileError: For an unreadable file, a net that contradicts
            ``net``, ``classes`` that the file does not fit, or a
            ``modality`` for a late-fusion file.
    """
    _check_net(net)
    if classes is not None and classes not in targets():
        raise WeightFileError(
            f'--classes {classes!r} is not one of {", ".join(targets())}')
    caffe_net = read_caffemodel(src)
    fmt = f'caffe-{caffe_net.format}'
    streams = stream_nets(caffe_net, src)
    if streams and modality is not None:
        raise WeightFileError(
            f'{src}: a late-fusion file, whose streams name their '
            f'modalities ({", ".join(streams)}); --modality {modality} is '
            'for a one-stream release: leave it out')
    if streams:
        return _convert_streams(streams, src, dst, fmt, net, classes)
    out, net, notes = convert_caffe_net(caffe_net, src, net)
    state, meta = _describe(out, net, src, fmt, 'caffe2mmseg', 'caffe',
                            notes, classes=classes)
    if modality is not None:
        _set_modalities(meta, [modality], src)
    save_checkpoint(state, meta, dst, src)
    return meta


def _set_modalities(meta: Dict[str, Any], modalities: List[str],
                    src: str) -> None:
    """Record the input modalities and the means their release subtracts.

    The benchmark's :class:`~fcn_plugin.datasets.class_orders.ClassOrder`
    declares a mean per modality (NYUDv2: colour, HHA, log-depth); the
    recorded ``input`` mean is theirs, in stream order.
    """
    order = CLASS_ORDERS.get(meta.get('class_order', {}).get('release'))
    if order is None:  # a release kept in its order: found by row count
        order = next((o for o in CLASS_ORDERS.values() if o.modality_means
                      and len(o.caffe_classes) == meta.get('num_classes')),
                     None)
    means = dict(order.modality_means) if order else {}
    unknown = [m for m in modalities if m not in means]
    if unknown:
        known = ', '.join(
            f'{o.title}: {", ".join(o.modality_means)}'
            for o in CLASS_ORDERS.values() if o.modality_means) or 'none'
        raise WeightFileError(
            f'{src}: no input mean is declared for the modality '
            f'{", ".join(unknown)} of this release (modalities declared: '
            f'{known})')
    mean = [v for m in modalities for v in means[m]]
    meta['modalities'] = list(modalities)
    meta['input'] = dict(meta['input'], mean=mean,
                         std=[1.] * len(mean), bgr_to_rgb=False)
    meta['notes'].append(
        'input: ' + ', '.join(f'{m} minus {list(means[m])}'
                              for m in modalities))


def _convert_streams(streams: Mapping[str, Any], src: str, dst: str,
                     fmt: str, net: Optional[str],
                     classes: Optional[str]) -> Dict[str, Any]:
    """Convert a late-fusion file stream by stream and save it whole.

    Stream ``s`` is converted as a one-stream file of the same net; its keys
    move to the segmentor's stream modules (the first stream's stay
    ``backbone.`` / ``decode_head.``, stream ``s``'s become
    ``<s>_backbone.`` / ``<s>_head.``). The meta records ``streams`` and
    the modalities' input means.
    """
    out: Dict[str, torch.Tensor] = {}
    meta: Dict[str, Any] = {}
    nets = {}
    for (stream, caffe_net), attrs in zip(
            streams.items(), stream_modules(list(streams)).values()):
        state, net_s, notes = convert_caffe_net(caffe_net, src, net)
        nets[stream] = net_s
        state, stream_meta = _describe(state, net_s, src, fmt,
                                       'caffe2mmseg', 'caffe', notes,
                                       classes=classes)
        out.update((to_stream_key(key, attrs), value)
                   for key, value in state.items())
        notes = [f'{stream} stream: {n}' for n in stream_meta['notes']]
        if not meta:
            meta = stream_meta
            meta['notes'] = notes
        else:
            meta['notes'] += notes
    if len(set(nets.values())) > 1:
        raise WeightFileError(
            f'{src}: its streams hold different nets (' + ', '.join(
                f'{s}: {NET_TITLES[n]}' for s, n in nets.items()) +
            '); a late-fusion net has one net per stream')
    meta['streams'] = list(streams)
    meta['notes'].insert(
        0, f'late fusion: streams {", ".join(streams)} (layers '
        '<layer><stream>) -> ' + ', '.join(
            f'{t}/{h}' for t, h in stream_modules(list(streams)).values()) +
        '; the shared upscore in every stream\'s head')
    _set_modalities(meta, list(streams), src)
    save_checkpoint(out, meta, dst, src)
    return meta


def torchfcn2mmseg(src: str, dst: str,
                   net: Optional[str] = None) -> Dict[str, Any]:
    """Convert a pytorch-fcn checkpoint to a plugin checkpoint.

    Args:
        src (str): e.g. ``fcn8s_from_caffe.pth``: a state dict keyed by
            Caffe layer names, possibly under ``model_state_dict``.
        dst (str): Output checkpoint.
        net (str, optional): Expected net; detected if None.

    Returns:
        dict: The checkpoint's meta.
    """
    _check_net(net)
    obj = load_torch_file(src)
    state = tensor_dict(obj, src)
    net, how = torchfcn_net(state, obj, src, net)
    out, notes = convert_torchfcn(state, src)
    notes = [f'{NET_TITLES[net]}: {how}'] + notes
    return _finish(out, net, src, dst, 'pytorch-fcn', 'torchfcn2mmseg',
                   'caffe', notes, reorder=False)


def summary(meta: Mapping[str, Any], dst: str) -> str:
    """What a conversion wrote, for the converter tools to print.

    Args:
        meta (Mapping): The meta a conversion returns.
        dst (str): The checkpoint written.

    Returns:
        str: A few lines: net and source, widths and classes (with the
        ``--classes`` target of a reordered release; each head's of a
        two-head net), notes (among them
        the reordering of the score rows) and the input
        normalisation the ``data_preprocessor`` must use.
    """
    inp = meta['input']
    classes = (f', {meta["num_classes"]} classes'
               if 'num_classes' in meta else '')
    if 'class_order' in meta:
        classes += f' ({meta["class_order"]["target"]})'
    title = NET_TITLES[meta['fcn_net']]
    if meta.get('heads'):
        counts = meta.get('head_classes', {})
        names = meta.get('dataset_meta', {})
        title = f'two-head {title} ({", ".join(meta["heads"])})'
        parts = []
        for head in meta['heads']:
            key = head_meta_keys(head)[0]
            parts.append(f'{head} {counts.get(head)} classes' +
                         (f' (dataset_meta {key})' if key in names else ''))
        classes = ', ' + ', '.join(parts)
        if 'class_order' in meta:
            classes += f' ({meta["class_order"]["target"]})'
    lines = [
        f'wrote {dst}: {title} from '
        f'{meta["source"]} ({meta["source_format"]})',
        f'  widths {meta["stage_channels"]}, fc {meta["fc_channels"]}'
        f'{classes}',
    ]
    lines += [f'  note: {note}' for note in meta['notes']]
    lines.append(
        f'  input: {inp["origin"]} normalisation, data_preprocessor '
        f'mean={inp["mean"]}, std={inp["std"]}, '
        f'bgr_to_rgb={inp["bgr_to_rgb"]}')
    return '\n'.join(lines)
