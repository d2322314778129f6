"""One trunk, two FCN heads, two label maps: the SIFT Flow net of FCN."""
import copy
from typing import Any, List, Mapping, Optional

import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig, SampleList,
                         add_prefix)
from torch import Tensor

from ...datasets.geo_transforms import GT_FIELD, LOGITS_FIELD, PRED_FIELD


def merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict:
    """``base`` with ``changes`` merged in, nested dicts key by key."""
    out = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@MODELS.register_module()
class TwoHeadEncoderDecoder(EncoderDecoder):
    """MMSeg's ``EncoderDecoder`` with a second decode head that learns a
    second label map from the same features.

    The SIFT Flow nets of `FCN <https://arxiv.org/abs/1605.06211>`_
    (``siftflow-fcn{32,16,8}s``) share one VGG16 trunk through ``drop7``
    between a semantic head (33 classes: ``score_fr_sem``,
    ``upscore2_sem``, ...) and a geometric head (3 classes: the same layers
    with ``_geo``), each with its own unnormalised loss. Here both heads are
    the plugin's FCN heads with the Caffe layer names; ``decode_head`` is
    the semantic one, ``geo_head`` the geometric one (the converter maps
    ``<layer>_sem`` to ``decode_head.<layer>`` and ``<layer>_geo`` to
    ``geo_head.<layer>``). ``geo_head`` is given as changes to
    ``decode_head`` (typically ``num_classes`` and the loss name), so both
    are the same net (e.g. two ``FCN16sHead``).

    - Training reads the second map from ``data_sample.gt_geo_seg``
      (``LoadGeoAnnotations`` and ``PackTwoMapInputs`` put it there) and
      logs ``decode.loss_*`` / ``decode.acc_seg`` and ``geo.loss_*`` /
      ``geo.acc_seg``; each head's ``loss_decode`` sets its name and
      ``loss_weight``.
    - Prediction returns the semantic map as ``pred_sem_seg`` /
      ``seg_logits`` and the geometric map as ``pred_geo_seg`` /
      ``geo_logits``, through MMSeg's whole or sliding-window inference
      (the two heads' logits travel together, semantic channels first).
    - ``mode='tensor'`` returns both heads' logits concatenated on the
      channel axis, semantic first.

    Test-time augmentation (``SegTTAModel``) merges the semantic logits
    only.

    Args:
        backbone (dict): The trunk.
        decode_head (dict): The semantic head.
        geo_head (dict): The geometric head: what differs from
            ``decode_head`` (merged into a copy of it), e.g.
            ``dict(num_classes=3, loss_decode=dict(loss_name='loss_geo'))``.
        **kwargs: See :class:`mmseg.models.EncoderDecoder`.
    """

    #: The Caffe suffix of each head's layers (``score_fr_sem`` is
    #: ``decode_head.score_fr``); the converter reads it.
    caffe_suffixes = (('decode_head', '_sem'), ('geo_head', '_geo'))
    #: Words for each head in the messages of the weight checks.
    head_titles = (('decode_head', 'the semantic head'),
                   ('geo_head', 'the geometric head'))

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 geo_head: ConfigType,
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            neck=neck,
            auxiliary_head=auxiliary_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg)
        self.geo_head = MODELS.build(merged(decode_head, geo_head))
        if type(self.geo_head) is not type(self.decode_head):
            raise ValueError(
                f'{type(self).__name__}: geo_head is a '
                f'{type(self.geo_head).__name__} but decode_head a '
                f'{type(self.decode_head).__name__}; the two heads of one '
                'net must be the same (e.g. both FCN16sHead)')
        #: Semantic logits first, then the geometric ones (slide inference
        #: allocates this many channels).
        self.out_channels = (
            self.decode_head.out_channels + self.geo_head.out_channels)

    @property
    def sem_channels(self) -> int:
        """Channels of the semantic logits (the first ones)."""
        return self.decode_head.out_channels

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Both heads' logits at the input size, semantic first."""
        x = self.extract_feat(inputs)
        sem = self.decode_head.predict(x, batch_img_metas, self.test_cfg)
        geo = self.geo_head.predict(x, batch_img_metas, self.test_cfg)
        return torch.cat([sem, geo], dim=1)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptConfigType = None) -> Tensor:
        """Both heads' raw logits, semantic first (``mode='tensor'``)."""
        x = self.extract_feat(inputs)
        return torch.cat([self.decode_head.forward(x),
                          self.geo_head.forward(x)], dim=1)

    @staticmethod
    def _geo_samples(data_samples: SampleList) -> SampleList:
        """Samples whose ``gt_sem_seg`` is the geometric map (what a decode
        head's loss reads)."""
        out = []
        for sample in data_samples:
            if GT_FIELD not in sample:
                raise KeyError(
                    f'a training sample ({sample.metainfo.get("img_path")}) '
                    f'has no {GT_FIELD}: the pipeline must load the '
                    "geometric map (dict(type='LoadGeoAnnotations')) and "
                    "pack it (dict(type='PackTwoMapInputs'))")
            geo = SegDataSample(metainfo=sample.metainfo)
            geo.gt_sem_seg = sample.get(GT_FIELD)
            out.append(geo)
        return out

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Both heads' losses (``decode.*`` and ``geo.*``) on one trunk pass.

        Args:
            inputs (Tensor): Input images (N, C, H, W).
            data_samples (list[SegDataSample]): With ``gt_sem_seg`` and
                ``gt_geo_seg``.

        Returns:
            dict[str, Tensor]: The losses and accuracies of both heads.
        """
        x = self.extract_feat(inputs)
        losses = dict()
        losses.update(self._decode_head_forward_train(x, data_samples))
        losses.update(
            add_prefix(
                self.geo_head.loss(x, self._geo_samples(data_samples),
                                   self.train_cfg), 'geo'))
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, data_samples))
        return losses

    def postprocess_result(self,
                           seg_logits: Tensor,
                           data_samples: OptConfigType = None) -> SampleList:
        """MMSeg's post-processing (padding, flips, resizing back) applied
        to each head's logits; the geometric map lands in
        ``pred_geo_seg`` / ``geo_logits``.

        Args:
            seg_logits (Tensor): (N, sem + geo channels, H, W).
            data_samples (list[SegDataSample], optional): Their meta.

        Returns:
            list[SegDataSample]: With both maps.
        """
        sem, geo = seg_logits.split(
            [self.sem_channels, seg_logits.shape[1] - self.sem_channels],
            dim=1)
        samples = super().postprocess_result(sem, data_samples)
        geo_samples = super().postprocess_result(
            geo, [SegDataSample(metainfo=s.metainfo) for s in samples]
            if data_samples is not None else None)
        for sample, geo_sample in zip(samples, geo_samples):
            sample.set_data({
                PRED_FIELD: geo_sample.pred_sem_seg,
                LOGITS_FIELD: geo_sample.seg_logits
            })
        return samples
