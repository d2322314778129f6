"""Two (or more) FCN streams, one per input modality, scores summed."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig, SampleList,
                         add_prefix)
from torch import Tensor

from ..decode_heads.caffe_fcn_head import CaffeFCNHead
from ..decode_heads.head_layers import UpscoreLayer
from ..utils.caffe_geometry import input_hw

#: Module-name prefixes of the first stream (MMSeg's own modules).
FIRST_STREAM = ('backbone', 'decode_head')


def stream_modules(streams: Sequence[str]) -> Dict[str, Tuple[str, str]]:
    """Stream -> (backbone attribute, head attribute), in stream order.

    The first stream is MMSeg's ``backbone`` / ``decode_head``; stream
    ``s`` after it is ``<s>_backbone`` / ``<s>_head``.
    """
    return {
        s: FIRST_STREAM if i == 0 else (f'{s}_backbone', f'{s}_head')
        for i, s in enumerate(streams)
    }


def to_plain_key(key: str, attrs: Tuple[str, str]) -> Optional[str]:
    """A key of a stream's modules (``attrs``, from :func:`stream_modules`)
    as the key of a one-stream net (``hha_head.score_fr.weight`` ->
    ``decode_head.score_fr.weight``); None for a key of another module."""
    module, _, rest = key.partition('.')
    if module in attrs:
        return f'{FIRST_STREAM[attrs.index(module)]}.{rest}'
    return None


def to_stream_key(key: str, attrs: Tuple[str, str]) -> str:
    """A one-stream net's key as the key of a stream's modules."""
    module, _, rest = key.partition('.')
    return f'{attrs[FIRST_STREAM.index(module)]}.{rest}'


@MODELS.register_module()
class LateFusionEncoderDecoder(EncoderDecoder):
    """One FCN per input modality; their scores are summed with weights.

    The late-fusion RGB-HHA net of `FCN <https://arxiv.org/abs/1605.06211>`_
    (``nyud-fcn32s-color-hha``, CVPR 2015 table 4): two full VGG16 FCN
    streams, one on the colour image and one on the HHA encoding of depth,
    whose ``score_fr`` outputs are summed with coefficients 0.5 / 0.5
    (``score_fused = Eltwise(SUM)``) before one fixed bilinear ``upscore``
    and the loss. The stacked input (``StackModalities``: colour channels,
    then HHA) is split by ``stream_channels``; each stream is the
    ``backbone`` and ``decode_head`` config built once more.

    The streams share one set of upscore layers (the other streams' heads
    hold the first head's modules, so checkpoints keep one-stream keys per
    stream), and the fused scores are upsampled once, as in the reference.
    With an FCN-16s head (the paper's best NYUDv2 row, not released) the
    streams' ``score_fr`` and ``score_pool4`` are each fused with the
    weights before the shared upsampling path (``upscore2``, the skip,
    ``upscore16``).

    Modules: the first stream is MMSeg's ``backbone`` / ``decode_head``
    (keys ``backbone.conv1_1.weight``, ``decode_head.score_fr.weight``);
    stream ``s`` after it is ``<s>_backbone`` / ``<s>_head``
    (``hha_backbone.conv1_1.weight``). The converter maps the reference's
    suffixed Caffe layers (``conv1_1color``, ``score_frhha``) onto them.

    ``stream_init`` starts each stream from a trained single-stream
    checkpoint of the same net (``nyud-fcn32s-color-hha/solve.py``
    transplants the colour and HHA nets): it sets MMEngine ``Pretrained``
    ``init_cfg`` entries on the stream's backbone (``prefix='backbone.'``)
    and head (``prefix='decode_head.'``), which ``FCNWeightsHook`` checks
    against the stream before the run.

    Args:
        backbone (dict): The trunk of each stream.
        decode_head (dict): The FCN head of each stream.
        streams (Sequence[str]): Stream names, in the order of the input
            channels, e.g. ``('color', 'hha')``.
        stream_channels (Sequence[int]): Input channels of each stream.
            Defaults to 3 each.
        fusion_weights (Sequence[float]): Coefficient of each stream's
            scores. Defaults to 1 / number of streams (0.5 / 0.5).
        stream_init (dict, optional): Stream -> single-stream checkpoint it
            starts from. Defaults to None.
        **kwargs: See :class:`mmseg.models.EncoderDecoder`.
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 streams: Sequence[str] = ('color', 'hha'),
                 stream_channels: Optional[Sequence[int]] = None,
                 fusion_weights: Optional[Sequence[float]] = None,
                 stream_init: Optional[Dict[str, str]] = None,
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        name = type(self).__name__
        streams = tuple(streams)
        if len(streams) < 2 or len(set(streams)) != len(streams):
            raise ValueError(f'{name}: streams needs two or more distinct '
                             f'names, got {streams}')
        stream_channels = tuple(stream_channels or (3, ) * len(streams))
        weights = tuple(fusion_weights or (1. / len(streams), ) *
                        len(streams))
        for setting, values in (('stream_channels', stream_channels),
                                ('fusion_weights', weights)):
            if len(values) != len(streams):
                raise ValueError(
                    f'{name}: {setting} {values} needs one entry per stream '
                    f'{streams}')
        if neck is not None or auxiliary_head is not None:
            raise ValueError(f'{name}: streams have no neck or auxiliary '
                             'head')
        unknown = set(stream_init or {}) - set(streams)
        if unknown:
            raise ValueError(
                f'{name}: stream_init names {sorted(unknown)}, not streams '
                f'of {streams}')
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg)
        self.streams = streams
        self.stream_channels = stream_channels
        self.fusion_weights = weights
        self.stream_attrs = stream_modules(streams)
        if not isinstance(self.decode_head, CaffeFCNHead):
            raise ValueError(
                f'{name}: decode_head must be an FCN head of the plugin '
                '(FCN32sHead, FCN16sHead, ...), got '
                f'{type(self.decode_head).__name__}')
        upscores = [
            ly.name for ly in self.decode_head.layers
            if isinstance(ly, UpscoreLayer)
        ]
        for stream, (trunk, head) in list(self.stream_attrs.items())[1:]:
            self.add_module(trunk, MODELS.build(copy.deepcopy(backbone)))
            self.add_module(head, MODELS.build(copy.deepcopy(decode_head)))
            # One upsampling path after the fused scores: shared modules.
            for layer in upscores:
                setattr(getattr(self, head), layer,
                        getattr(self.decode_head, layer))
        for stream, path in (stream_init or {}).items():
            trunk, head = self.stream_attrs[stream]
            for attr, prefix in ((trunk, 'backbone.'),
                                 (head, 'decode_head.')):
                getattr(self, attr).init_cfg = dict(
                    type='Pretrained', checkpoint=path, prefix=prefix)

    def _stream_nets(self) -> List[Tuple[nn.Module, CaffeFCNHead]]:
        """``(backbone, head)`` of each stream, in stream order."""
        return [(getattr(self, trunk), getattr(self, head))
                for trunk, head in self.stream_attrs.values()]

    def stream_slice(self, stream: str) -> slice:
        """The input channels of ``stream`` in the stacked input."""
        index = self.streams.index(stream)
        start = sum(self.stream_channels[:index])
        return slice(start, start + self.stream_channels[index])

    def _split(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """The stacked input cut into the streams' inputs."""
        want = sum(self.stream_channels)
        if inputs.shape[1] != want:
            raise ValueError(
                f'{type(self).__name__}: the input has {inputs.shape[1]} '
                f'channels, the streams {self.streams} take '
                f'{self.stream_channels} = {want}; stack the modalities in '
                'that order (StackModalities) or fix stream_channels')
        return inputs.split(list(self.stream_channels), dim=1)

    def extract_feat(self, inputs: Tensor) -> List[Tuple[Tensor, ...]]:
        """Each stream's backbone features."""
        return [
            backbone(x)
            for (backbone, _), x in zip(self._stream_nets(),
                                        self._split(inputs))
        ]

    def _fused_logits(self, inputs: Tensor,
                      out_size: Optional[Sequence[int]]) -> Tensor:
        """The streams' score layers summed with the weights, then the one
        upsampling path (``score_fused``, ``upscore``, crop).

        Each stream's ``score_fr`` (and, with an FCN-16s head, each
        ``score_pool4``) is computed on its own features; the weighted sums
        go through the first head's upscore layers, which every stream's
        head shares.
        """
        fused: Dict[str, Tensor] = {}
        for (_, head), x, weight in zip(self._stream_nets(),
                                        self.extract_feat(inputs),
                                        self.fusion_weights):
            if out_size is not None:
                head._check_input_size(x, out_size)
            for name, scores in head.layer_scores(x).items():
                scores = scores * weight
                fused[name] = fused[name] + scores if name in fused \
                    else scores
        return self.decode_head.upsample_scores(fused, out_size)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """The fused logits at the input size."""
        return self._fused_logits(
            inputs, self.decode_head.predict_size(batch_img_metas))

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptConfigType = None) -> Tensor:
        """The fused uncropped output blob (``mode='tensor'``)."""
        return self._fused_logits(inputs, None)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """The loss of the fused logits (``decode.loss_*``).

        Args:
            inputs (Tensor): Stacked inputs (N, sum(stream_channels), H, W).
            data_samples (list[SegDataSample]): With ``gt_sem_seg``.

        Returns:
            dict[str, Tensor]: The loss and accuracy, as MMSeg names them.
        """
        size = input_hw(data_samples[0].gt_sem_seg.shape[-2:])
        return add_prefix(
            self.decode_head.loss_by_feat(self._fused_logits(inputs, size),
                                          data_samples), 'decode')

    @torch.no_grad()
    def stream_logits(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Each stream's own logits (before fusion), for studies."""
        feats = self.extract_feat(inputs)
        return {
            stream: head.predict(x, batch_img_metas, self.test_cfg)
            for stream, (_, head), x in zip(self.streams,
                                            self._stream_nets(), feats)
        }
