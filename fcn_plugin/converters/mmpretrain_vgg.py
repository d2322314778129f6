"""mmpretrain (OpenMMLab model zoo) VGG16 -> the plugin's VGG16Caffe trunk.

The zoo's ImageNet VGG16 (``configs/vgg/vgg16_8xb32_in1k.py``,
``vgg16_batch256_imagenet_20210208-db26f1a5.pth``) is an
``ImageClassifier`` whose backbone is mmpretrain's ``VGG`` with
``depth=16, num_classes=1000``: the classifier lives inside the backbone and
the ``ClsHead`` has no parameters. Its layers are torchvision's VGG16 with
every conv wrapped in a ``ConvModule`` (``features.N.conv``, the ReLU inside
the module, so the pools sit at other indices) and the same
``classifier`` Sequential. It was trained on RGB input normalised with the
ImageNet mean/std, exactly as torchvision's weights, so a file is renamed to
the torchvision layout and converted by
:func:`~.torchvision_vgg.convert_torchvision_vgg16`.
"""
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Tuple

import torch

from ..errors import WeightFileError
from .checkpoint_io import load_torch_file, tensor_dict
from .convert import _finish
from .layers import TRUNK_NET, fmt_shape
from .torchvision_vgg import (CLASSIFIER_INDICES, FEATURE_INDICES,
                              convert_torchvision_vgg16)

#: Index in mmpretrain's ``VGG(depth=16).features`` of each conv
#: (``ConvModule``; a ``MaxPool2d`` closes each stage).
MMPRETRAIN_FEATURE_INDICES = (0, 1, 3, 4, 6, 7, 8, 10, 11, 12, 14, 15, 16)
#: Prefix of the backbone's keys in an ``ImageClassifier`` checkpoint.
BACKBONE_PREFIX = 'backbone.'


def mmpretrain_key_map() -> Dict[str, str]:
    """mmpretrain backbone key -> torchvision key, fc8 included."""
    out = {}
    for idx, tv_idx in zip(MMPRETRAIN_FEATURE_INDICES, FEATURE_INDICES):
        for kind in ('weight', 'bias'):
            out[f'features.{idx}.conv.{kind}'] = f'features.{tv_idx}.{kind}'
    for idx in CLASSIFIER_INDICES.values():
        for kind in ('weight', 'bias'):
            out[f'classifier.{idx}.{kind}'] = f'classifier.{idx}.{kind}'
    return out


def _unprefixed(key: str, prefix: str) -> str:
    return key[len(prefix):] if prefix and key.startswith(prefix) else key


def _prefixed(text: str, prefix: str) -> str:
    """``classifier.N`` in a message -> the key as the file spells it."""
    return text.replace('classifier.', prefix + 'classifier.')


def _hint(unexpected: List[str], missing: List[str]) -> str:
    """What the unexpected or missing keys say about the file."""
    if any('.bn.' in k for k in unexpected):
        return (' It looks like a batch-norm VGG (vgg16_bn, norm_cfg=BN); '
                'FCN uses the plain VGG16.')
    if any(k.startswith('features.') for k in unexpected):
        return ' It looks like another VGG depth; FCN uses VGG16.'
    if missing and all(k.startswith('classifier.') for k in missing):
        return (' The VGG was saved without its classifier '
                '(num_classes <= 0), but fc6/fc7 come from it.')
    return ''


def convert_mmpretrain_vgg16(
        src: Mapping[str, torch.Tensor],
        path: str) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Map an mmpretrain VGG16 state dict onto the VGG16Caffe trunk.

    ``backbone.features.{0,1,3,...,16}.conv`` become ``conv1_1`` ..
    ``conv5_3``; ``backbone.classifier.0`` / ``.3`` (fc6 / fc7) become
    7x7 / 1x1 convs and ``backbone.classifier.6`` (fc8, the ImageNet
    classifier) is dropped and reported, as for torchvision's VGG16.

    Args:
        src (Mapping[str, Tensor]): The ``ImageClassifier`` state dict
            (``backbone.``-prefixed keys) or the ``VGG`` backbone's own.
        path (str): Its file, for messages.

    Returns:
        tuple: The plugin state dict and the notes on dropped layers.

    Raises:
        WeightFileError: If any key is missing or unexpected (e.g. a
            batch-norm VGG, another depth, a head with parameters or a
            backbone without classifier), or fc6 does not fit conv5_3 x 7
            x 7.
    """
    prefix = BACKBONE_PREFIX if any(
        k.startswith(BACKBONE_PREFIX) for k in src) else ''
    key_map = mmpretrain_key_map()
    state = {k[len(prefix):]: v for k, v in src.items()
             if k.startswith(prefix)}
    missing = [prefix + k for k in key_map if k not in state]
    unexpected = [k for k in src
                  if not k.startswith(prefix) or k[len(prefix):] not in
                  key_map]
    if missing or unexpected:
        lines = []
        if missing:
            lines.append('missing keys: ' + ', '.join(missing))
        if unexpected:
            lines.append('unexpected keys: ' + ', '.join(
                f'{k} ({fmt_shape(src[k].shape)})' for k in unexpected))
        hint = _hint([_unprefixed(k, prefix) for k in unexpected],
                     [_unprefixed(k, prefix) for k in missing])
        raise WeightFileError(
            f'{path} is not an mmpretrain VGG16 checkpoint (VGG, depth=16, '
            'num_classes > 0, no norm):\n  ' + '\n  '.join(lines) + hint)
    renamed = OrderedDict((key_map[k], v) for k, v in state.items())
    # The classifier keys are torchvision's; name them as in the file.
    try:
        out, notes = convert_torchvision_vgg16(renamed, path)
    except WeightFileError as err:
        raise WeightFileError(_prefixed(str(err), prefix)) from None
    return out, [_prefixed(n, prefix) for n in notes]


def mmpretrain2mmseg(src: str, dst: str) -> Dict[str, Any]:
    """Convert an mmpretrain ImageNet VGG16 to a trunk checkpoint.

    Args:
        src (str): e.g. ``vgg16_batch256_imagenet_20210208-db26f1a5.pth``:
            ``{'state_dict': ..., 'meta': ...}`` as mmpretrain saves an
            ``ImageClassifier``, or a bare state dict.
        dst (str): Output checkpoint.

    Returns:
        dict: The checkpoint's meta. ``meta['input']`` records the
        torchvision normalisation (RGB, ImageNet mean/std), the zoo
        config's ``data_preprocessor``.
    """
    state = tensor_dict(load_torch_file(src), src)
    out, notes = convert_mmpretrain_vgg16(state, src)
    return _finish(out, TRUNK_NET, src, dst, 'mmpretrain', 'mmpretrain2mmseg',
                   'torchvision', notes)
