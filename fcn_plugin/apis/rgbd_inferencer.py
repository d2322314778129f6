"""MMSeg's inferencer with a depth (or HHA) map beside each image."""
import os.path as osp
from typing import Any, List, Optional, Sequence, Union

import numpy as np
from mmseg.apis import MMSegInferencer

from ..errors import DataFileError

Inputs = Union[str, np.ndarray, Sequence[Union[str, np.ndarray]]]
Maps = Optional[Union[str, np.ndarray, Sequence[Union[str, np.ndarray]]]]


#: The sample keys the pipeline reads each map from: a path, or an array
#: (depth in millimetres; HHA as stored).
_SAMPLE_KEYS = {
    'depths': ('depth_path', 'depth_mm'),
    'hhas': ('hha_path', 'hha')
}


def _as_list(value: Any) -> List[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


class RGBDInferencer(MMSegInferencer):
    """``MMSegInferencer`` for the RGB-D nets: images with their depth.

    The NYUDv2 nets of `FCN <https://arxiv.org/abs/1605.06211>`_ read the
    colour image with a depth map (early fusion: log-depth as a 4th
    channel) or its HHA encoding (the HHA and late-fusion nets). The config's
    test pipeline loads them (``LoadDepthFromFile``, ``LoadHHAFromFile``);
    this inferencer hands each image's maps to it::

        inferencer = RGBDInferencer(
            'configs/fcn32s_vgg16_nyud-rgb-hha.py',
            'checkpoints/fcn32s_vgg16_nyud-rgb-hha.pth')
        out = inferencer(['a.png', 'b.png'],
                         depths=['a_depth.png', 'b_depth.png'])

    ``depths`` are 16-bit PNGs of millimetres (the NYUDv2 depth files) or
    arrays in millimetres; ``hhas`` are HHA PNGs (as ``tools/prepare_nyud.py``
    writes them) or HxWx3 uint8 arrays in the file's channel order. A net
    that reads HHA computes it from the depth when no HHA is given
    (``fcn_plugin.datasets.hha``; the NYUDv2 camera for 480x640 or 425x560
    maps). Without either argument, the maps of an image
    ``<root>/images/<name>`` are read from ``<root>/depth/<name>`` and
    ``<root>/hha/<name>`` (the prepared layout), as with MMSeg's
    ``inference_model``.

    Everything else is ``MMSegInferencer``'s: ``out_dir`` (overlays and
    label PNGs), ``return_datasamples``, ``batch_size``, ``show``.
    """

    def __call__(self,
                 inputs: Inputs,
                 depths: Maps = None,
                 hhas: Maps = None,
                 **kwargs) -> dict:
        """Run the net on images and their depth or HHA maps.

        Args:
            inputs (str | np.ndarray | list): Images (paths or BGR arrays).
            depths (str | np.ndarray | list, optional): One depth map per
                image: a 16-bit PNG path or an array, in millimetres.
            hhas (str | np.ndarray | list, optional): One HHA map per image.
            **kwargs: See :meth:`mmseg.apis.MMSegInferencer.__call__`.

        Returns:
            dict: As ``MMSegInferencer``: ``predictions`` (and
            ``visualization``).
        """
        if depths is None and hhas is None:
            return super().__call__(inputs, **kwargs)
        images = _as_list(inputs)
        given = {
            setting: _as_list(maps)
            for setting, maps in (('depths', depths), ('hhas', hhas))
            if maps is not None
        }
        for setting, maps in given.items():
            if len(maps) != len(images):
                raise DataFileError(
                    f'RGBDInferencer: {len(images)} images but '
                    f'{len(maps)} {setting}; give one per image')
        samples = []
        for i, image in enumerate(images):
            sample = dict(img_path=image) if isinstance(image, str) else \
                dict(img=image)
            for setting, maps in given.items():
                path_key, array_key = _SAMPLE_KEYS[setting]
                sample[path_key if isinstance(maps[i], str) else
                       array_key] = maps[i]
            samples.append(sample)
        return super().__call__(samples, **kwargs)

    def _inputs_to_list(self, inputs: Any) -> list:
        """Samples given as dicts stay as they are (one per image)."""
        if isinstance(inputs, list) and inputs and isinstance(
                inputs[0], dict):
            return inputs
        return super()._inputs_to_list(inputs)

    def visualize(self, inputs: list, preds: List[dict],
                  **kwargs) -> Optional[List[np.ndarray]]:
        """MMSeg's overlays, drawn on each sample's colour image."""
        images = [
            s.get('img_path', s.get('img')) if isinstance(s, dict) else s
            for s in inputs
        ]
        for image in images:
            if isinstance(image, str) and not osp.isfile(image):
                raise DataFileError(f'image {image} does not exist')
        return super().visualize(images, preds, **kwargs)
