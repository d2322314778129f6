"""Weight files of nets that look like the plugin's trunks but are not.

torchvision's ``alexnet`` shares AlexNet's name with the CaffeNet trunk of
FCN-AlexNet (:class:`~fcn_plugin.models.backbones.AlexNetCaffe`), but not
its function: its weights would load into no layer of it, so such a file is
refused with what to use instead.
"""
from typing import Any, Mapping, Optional

#: torchvision ``alexnet().features`` conv indices and their widths.
_TORCHVISION_ALEXNET = {0: 64, 3: 192, 6: 384, 8: 256, 10: 256}


def is_torchvision_alexnet(state_dict: Mapping[str, Any]) -> bool:
    """Whether ``state_dict`` is torchvision's AlexNet (its conv keys and
    the 11x11 RGB first conv), possibly without the classifier."""
    first = state_dict.get('features.0.weight')
    return (first is not None and tuple(first.shape[1:]) == (3, 11, 11)
            and all(f'features.{i}.weight' in state_dict
                    for i in _TORCHVISION_ALEXNET))


def foreign_net_message(state_dict: Mapping[str, Any],
                        path: str) -> Optional[str]:
    """Why ``state_dict`` is another net than any of the plugin's, or None.

    Args:
        state_dict (Mapping): The file's state dict.
        path (str): The file, for the message.
    """
    if not is_torchvision_alexnet(state_dict):
        return None
    widths = '/'.join(
        str(int(state_dict[f'features.{i}.weight'].shape[0]))
        for i in _TORCHVISION_ALEXNET)
    return (
        f'{path} holds torchvision\'s AlexNet, another net than the CaffeNet '
        'trunk of FCN-AlexNet (AlexNetCaffe): it has no LRN and no grouped '
        f'convolutions, and its conv widths are {widths}, not '
        '96/256/384/384/256, so none of its layers fits. Convert the '
        'ImageNet CaffeNet instead: python tools/model_converters/'
        'caffe2mmseg.py bvlc_reference_caffenet.caffemodel '
        'checkpoints/caffenet_caffe_fcn.pth (see docs/weights.md)')
