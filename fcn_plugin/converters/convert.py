"""The three conversions, from a source file to a checked checkpoint."""
import os.path as osp
from typing import Any, Dict, List, Mapping, Optional

import torch

from ..errors import WeightFileError
from .caffe_model import convert_caffe_net, read_caffemodel
from .checkpoint_io import load_torch_file, save_checkpoint, tensor_dict
from .layers import CAFFE_INPUT, NET_TITLES, NETS, TORCHVISION_INPUT, TRUNK_NET
from .torchfcn import convert_torchfcn, torchfcn_net
from .torchvision_vgg import convert_torchvision_vgg16
from .validate import check_converted

#: Input normalisation of each weight origin (``SegDataPreProcessor``).
INPUTS = {'caffe': CAFFE_INPUT, 'torchvision': TORCHVISION_INPUT}


def _voc_meta() -> Dict[str, Any]:
    from mmseg.datasets import PascalVOCDataset
    info = PascalVOCDataset.METAINFO
    return dict(classes=list(info['classes']),
                palette=[list(c) for c in info['palette']])


def _finish(state_dict: Mapping[str, torch.Tensor], net: str, src: str,
            dst: str, source_format: str, converter: str, origin: str,
            notes: List[str]) -> Dict[str, Any]:
    """Check, describe and save a converted state dict; return its meta."""
    info = check_converted(state_dict, net, src)
    meta: Dict[str, Any] = dict(
        fcn_net=net,
        source=osp.basename(src),
        source_format=source_format,
        converter=converter,
        input=dict(INPUTS[origin], origin=origin),
        notes=list(notes),
        **info)
    if net == TRUNK_NET:
        del meta['num_classes']
    elif info['num_classes'] == 21:
        # The released 21-class FCNs are PASCAL VOC models.
        meta['dataset_meta'] = _voc_meta()
    save_checkpoint(state_dict, meta, dst, src)
    return meta


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


def caffe2mmseg(src: str, dst: str,
                net: Optional[str] = None) -> Dict[str, Any]:
    """Convert a ``.caffemodel`` (VGG16 or voc-fcn*) to a checkpoint.

    Args:
        src (str): The ``.caffemodel``.
        dst (str): Output checkpoint.
        net (str, optional): Expected net; detected if None.

    Returns:
        dict: The checkpoint's meta.
    """
    _check_net(net)
    caffe_net = read_caffemodel(src)
    out, net, notes = convert_caffe_net(caffe_net, src, net)
    return _finish(out, net, src, dst, f'caffe-{caffe_net.format}',
                   'caffe2mmseg', 'caffe', notes)


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
                   'caffe', notes)


def summary(meta: Mapping[str, Any], dst: str) -> str:
    """What a conversion wrote, for the converter tools to print.

    Args:
        meta (Mapping): The meta a conversion returns.
        dst (str): The checkpoint written.

    Returns:
        str: A few lines: net and source, widths, notes and the input
        normalisation the ``data_preprocessor`` must use.
    """
    inp = meta['input']
    classes = (f', {meta["num_classes"]} classes'
               if 'num_classes' in meta else '')
    lines = [
        f'wrote {dst}: {NET_TITLES[meta["fcn_net"]]} from '
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
