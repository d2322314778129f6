"""MMSeg's data preprocessor with one mean (and std) per input modality."""
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

from ...datasets.rgbd_transforms import MODALITY_CHANNELS

#: The setting the messages name.
_SETTING = 'model.data_preprocessor.modalities'
ModalityCfgs = Union[Mapping[str, Mapping[str, Any]],
                     Sequence[Tuple[str, Mapping[str, Any]]]]


def _modality_items(modalities: ModalityCfgs) -> List[Tuple[str, dict]]:
    """``(name, cfg)`` pairs of a mapping or of a sequence of pairs."""
    if isinstance(modalities, Mapping):
        return [(str(k), dict(v)) for k, v in modalities.items()]
    items = []
    for entry in modalities:
        if isinstance(entry, str) or len(entry) != 2 or not isinstance(
                entry[1], Mapping):
            raise ValueError(
                f'RGBDDataPreProcessor: {_SETTING} must be a dict name -> '
                "dict(mean=[...]) or a list of (name, dict(mean=[...])) "
                f'pairs, got the entry {entry!r}')
        items.append((str(entry[0]), dict(entry[1])))
    return items


@MODELS.register_module()
class RGBDDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` for stacked modalities, a mean per modality.

    The NYUDv2 nets of `FCN <https://arxiv.org/abs/1605.06211>`_ subtract
    a mean per input (``nyud_layers.py``): the colour image's (BGR, 116.190,
    97.203, 92.318), the HHA map's (132.431, 94.076, 118.477, in the file's
    channel order) and the log-depth's (7.844). The pipeline stacks the
    modalities into one image (:class:`~fcn_plugin.datasets.StackModalities`);
    this preprocessor builds the per-channel ``mean`` and ``std`` of the
    stack from ``modalities``, in the same order::

        data_preprocessor = dict(
            type='RGBDDataPreProcessor',
            modalities=[('color', dict(mean=[116.190, 97.203, 92.318])),
                        ('hha', dict(mean=[132.431, 94.076, 118.477]))],
            pad_val=0, seg_pad_val=255, size_divisor=1)

    A list of pairs is safest in configs: MMEngine merges a dict from a
    base config with an override key by key (keeping the base's order),
    but replaces a list whole. ``std`` defaults to 1 for every channel
    (the Caffe nets subtract the mean only).

    Everything else is MMSeg's: the batch is padded to ``size`` /
    ``size_divisor`` after normalisation (``pad_val`` 0 is the mean),
    labels with ``seg_pad_val``, and ``batch_augments`` apply. Each batch
    is checked against the declaration: its channel count, and the
    modalities the pipeline stacked where ``PackSegInputs`` packs the
    ``modalities`` meta key; a mismatch is one error naming this setting.

    ``bgr_to_rgb`` / ``rgb_to_bgr`` swap the channels of a 3-channel image
    only (as MMSeg's), so they are refused for more than one modality: a
    stack keeps the colour in BGR, the Caffe nets' order.

    Args:
        modalities (dict | list): Name -> ``dict(mean=[...], std=[...])``,
            a mean (and optional std) per channel of the modality, in the
            order of the stack; or a list of ``(name, dict)`` pairs.
            ``color`` and ``hha`` have 3 channels, ``depth`` 1; another
            name has as many as its mean has values.
        bgr_to_rgb (bool): As ``SegDataPreProcessor``; one 3-channel
            modality only. Defaults to False.
        rgb_to_bgr (bool): As ``bgr_to_rgb``. Defaults to False.
        **kwargs: ``size``, ``size_divisor``, ``pad_val``, ``seg_pad_val``,
            ``batch_augments``, ``test_cfg``: see
            :class:`mmseg.models.SegDataPreProcessor`. Not ``mean`` or
            ``std``.
    """

    def __init__(self,
                 modalities: ModalityCfgs,
                 bgr_to_rgb: bool = False,
                 rgb_to_bgr: bool = False,
                 **kwargs) -> None:
        given = [k for k in ('mean', 'std') if kwargs.get(k) is not None]
        if given:
            raise ValueError(
                f'RGBDDataPreProcessor takes no {" or ".join(given)}: give '
                f'the mean (and std) of each modality in {_SETTING}, e.g. '
                "[('color', dict(mean=[...])), ('hha', dict(mean=[...]))]")
        kwargs.pop('mean', None)
        kwargs.pop('std', None)
        items = _modality_items(modalities)
        names = [name for name, _ in items]
        if not items or len(set(names)) != len(names):
            raise ValueError(
                f'RGBDDataPreProcessor: {_SETTING} must name distinct '
                f'modalities, got {names}')
        mean: List[float] = []
        std: List[float] = []
        channels: List[int] = []
        for name, cfg in items:
            extra = set(cfg) - {'mean', 'std'}
            if extra or 'mean' not in cfg:
                raise ValueError(
                    f"RGBDDataPreProcessor: {_SETTING} '{name}' must be "
                    f'dict(mean=[...], std=[...] (optional)), got {cfg}')
            m = [float(v) for v in cfg['mean']]
            s = [float(v) for v in cfg.get('std') or [1.] * len(m)]
            want = MODALITY_CHANNELS.get(name, len(m))
            if len(m) != want or len(s) != want:
                raise ValueError(
                    f"RGBDDataPreProcessor: {_SETTING} '{name}' has "
                    f'{want} channels; its mean has {len(m)} values and its '
                    f'std {len(s)}')
            mean += m
            std += s
            channels.append(want)
        if (bgr_to_rgb or rgb_to_bgr) and len(mean) != 3:
            raise ValueError(
                'RGBDDataPreProcessor: bgr_to_rgb / rgb_to_bgr swap the '
                'channels of a 3-channel image only; a stack of '
                f'{", ".join(names)} keeps the colour as loaded (BGR, the '
                'Caffe order): set them to False')
        super().__init__(mean=mean, std=std, bgr_to_rgb=bgr_to_rgb,
                         rgb_to_bgr=rgb_to_bgr, **kwargs)
        self.modalities: Tuple[str, ...] = tuple(names)
        self.modality_channels: Tuple[int, ...] = tuple(channels)

    def check_batch(self, data: dict) -> None:
        """Check that a batch stacks the declared modalities.

        Args:
            data (dict): ``inputs`` (CxHxW tensors, or a batch tensor) and
                ``data_samples`` from the loader.

        Raises:
            ValueError: If the channel count, or the modalities recorded by
                ``StackModalities``, differ from the declaration.
        """
        inputs = data['inputs']
        first = inputs[0]
        have = int(first.shape[0]) if first.ndim == 3 else 1
        declared = ', '.join(
            f'{n} ({c})'
            for n, c in zip(self.modalities, self.modality_channels))
        total = sum(self.modality_channels)
        samples: Optional[Sequence] = data.get('data_samples')
        stacked = None
        for sample in samples or []:
            stacked = sample.metainfo.get('modalities')
            if stacked is not None:
                break
        if stacked is not None and tuple(stacked) != self.modalities:
            raise ValueError(
                f'the pipeline stacks {", ".join(stacked)} (StackModalities) '
                f'but {_SETTING} declares {declared}; declare the '
                'modalities in the order the pipeline stacks them')
        if have != total:
            raise ValueError(
                f"the batch's images have {have} channels but {_SETTING} "
                f'declares {declared}: {total} channels; stack the same '
                'modalities in the pipeline (StackModalities(modalities=...))'
                ' as in the data preprocessor')

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Check the batch, then MMSeg's preprocessing.

        Args:
            data (dict): ``inputs`` and ``data_samples`` from the loader.
            training (bool): Whether the batch is for training.

        Returns:
            dict: ``inputs`` (N x C x H x W, minus the means, over the
            stds) and ``data_samples``, as MMSeg's.
        """
        self.check_batch(data)
        return super().forward(data, training)
