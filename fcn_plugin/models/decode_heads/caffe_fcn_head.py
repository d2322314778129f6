"""Base class of the FCN-32s/16s/8s heads."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.losses import accuracy
from mmseg.utils import ConfigType, SampleList
from ..utils.caffe_geometry import bilinear_kernel, fc_size, input_hw

IntOrSeq = Union[int, Sequence[int]]


def _as_tuple(x: IntOrSeq) -> Tuple[int, ...]:
    return tuple(x) if isinstance(x, (list, tuple)) else (x, )


class CaffeFCNHead(BaseDecodeHead):
    """Shared machinery of the original FCN heads.

    The heads of `FCN <https://arxiv.org/abs/1605.06211>`_ end with a
    transposed convolution and a Caffe crop to the size of the *network
    input*, so they need that size, which ``forward(inputs)`` cannot see.
    This class therefore overrides the two entry points that do see it:

    - ``loss``: the size of the (batch-padded) ground truth, which
      ``SegDataPreProcessor`` pads exactly like the input batch;
    - ``predict``: the size MMSeg's ``predict_by_feat`` would resize to
      (the crop size in slide mode, else ``pad_shape``, else
      ``img_shape``), which is the size of the tensor fed to the net.

    Both return logits computed only by the net's own upsampling and crop;
    MMSeg's bilinear resize is never applied (``loss_by_feat`` is
    overridden to check the sizes instead). ``forward(inputs)`` without a
    size returns the uncropped output blob (the Caffe ``upscore*`` blob).

    Unlike ``BaseDecodeHead``, no ``conv_seg`` is kept: the 1x1 score layers
    keep their Caffe names (``score_fr``, ``score_pool4``, ``score_pool3``)
    and start at zero; the transposed convs (``upscore*``) have no bias,
    start as bilinear kernels and are frozen unless
    ``learnable_upsample=True``.

    Args:
        in_channels (int | Sequence[int]): Channels of the selected inputs,
            ordered fine to coarse; the last one is fc7.
        in_index (int | Sequence[int]): Indices of those inputs in the
            backbone output.
        num_classes (int): Number of classes (21 for PASCAL VOC).
        learnable_upsample (bool): Train the bilinear-initialised
            transposed convs (as in the paper's original experiments)
            instead of keeping them fixed (as in the reference nets).
            Defaults to False.
        dropout_ratio (float): Dropout before ``score_fr``. The reference
            has none here (drop7 lives in the backbone). Defaults to 0.
        channels_last (bool): Hold the score and upscore weights in
            ``torch.channels_last`` layout, so that with a channels_last
            backbone every layer of the head, and the logits, stay NHWC
            (the per-pixel argmax over classes then reads contiguous
            memory). Same function. Defaults to False.
        init_cfg (dict, optional): Extra initialization config. Defaults
            to None, which keeps the Caffe initialisation.
        **kwargs: Other ``BaseDecodeHead`` arguments (``loss_decode``,
            ``ignore_index``, ...).
    """

    #: Offset of the final crop to the input size; set by each subclass.
    final_crop_offset: int = 0

    def __init__(self,
                 in_channels: IntOrSeq,
                 in_index: IntOrSeq,
                 num_classes: int,
                 learnable_upsample: bool = False,
                 dropout_ratio: float = 0.,
                 channels_last: bool = False,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        in_channels = _as_tuple(in_channels)
        in_index = _as_tuple(in_index)
        if len(in_channels) != len(in_index):
            raise ValueError(
                f'{type(self).__name__}: in_channels {in_channels} and '
                f'in_index {in_index} must have the same length')
        super().__init__(
            in_channels=list(in_channels),
            channels=in_channels[-1],
            in_index=list(in_index),
            input_transform='multiple_select',
            num_classes=num_classes,
            dropout_ratio=dropout_ratio,
            init_cfg=init_cfg,
            **kwargs)
        # Score layers carry Caffe names; BaseDecodeHead's conv_seg is unused.
        del self.conv_seg
        self.learnable_upsample = learnable_upsample
        self.channels_last = channels_last
        self.score_fr = self._score_layer(in_channels[-1])

    def _in_memory_format(self, layer: nn.Module) -> nn.Module:
        """``layer`` in the head's memory format (see ``channels_last``)."""
        if self.channels_last:
            layer.to(memory_format=torch.channels_last)
        return layer

    def _score_layer(self, in_channels: int) -> nn.Conv2d:
        """A zero-initialised 1x1 score layer (Caffe's default filler)."""
        conv = nn.Conv2d(in_channels, self.out_channels, 1)
        nn.init.zeros_(conv.weight)
        nn.init.zeros_(conv.bias)
        return self._in_memory_format(conv)

    def _upscore_layer(self, kernel_size: int,
                       stride: int) -> nn.ConvTranspose2d:
        """A bias-free transposed conv holding the bilinear kernel."""
        deconv = nn.ConvTranspose2d(
            self.out_channels,
            self.out_channels,
            kernel_size,
            stride=stride,
            bias=False)
        deconv.weight.data.copy_(
            bilinear_kernel(self.out_channels, kernel_size))
        deconv.weight.requires_grad_(self.learnable_upsample)
        return self._in_memory_format(deconv)

    def _score_fr(self, fc7: Tensor) -> Tensor:
        if self.dropout is not None:
            fc7 = self.dropout(fc7)
        return self.score_fr(fc7)

    def forward(self,
                inputs: Sequence[Tensor],
                out_size: Optional[Sequence[int]] = None) -> Tensor:
        """Compute the logits.

        Args:
            inputs (Sequence[Tensor]): Backbone outputs.
            out_size (Sequence[int], optional): (H, W) of the network input.
                If given, the output is cropped to it at
                ``final_crop_offset``; if None, the uncropped output blob is
                returned.

        Returns:
            Tensor: Logits of shape (N, num_classes, H, W).
        """
        raise NotImplementedError

    def _check_input_size(self, inputs: Sequence[Tensor],
                          size: Tuple[int, int]) -> None:
        """Fail clearly if ``size`` cannot be the input of these features.

        The crop offsets are those of the pad-100 VGG16 trunk; a size that
        does not produce the fc7 map at hand would crop the wrong window.
        """
        fc7 = self._transform_inputs(inputs)[-1]
        expected = (fc_size(size[0]), fc_size(size[1]))
        if tuple(fc7.shape[-2:]) != expected:
            raise ValueError(
                f'{type(self).__name__}: an input of {size[0]}x{size[1]} '
                f'gives a {expected[0]}x{expected[1]} fc7 map with the '
                f'pad-100 VGG16 trunk, but the features are '
                f'{fc7.shape[-2]}x{fc7.shape[-1]}. The image metas do not '
                'describe the network input, or the backbone is not '
                'VGG16Caffe with first_pad=100.')

    def loss(self, inputs: Tuple[Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType) -> dict:
        """Cropped full-resolution logits, then the losses.

        The crop size is the size of the padded ground truth, which is the
        size of the padded input batch.
        """
        size = input_hw(batch_data_samples[0].gt_sem_seg.shape[-2:])
        self._check_input_size(inputs, size)
        seg_logits = self.forward(inputs, size)
        return self.loss_by_feat(seg_logits, batch_data_samples)

    def predict(self, inputs: Tuple[Tensor], batch_img_metas: List[dict],
                test_cfg: ConfigType) -> Tensor:
        """Cropped full-resolution logits for the network input.

        The size is the one ``BaseDecodeHead.predict_by_feat`` resizes to:
        the patch size in slide inference (a ``torch.Size`` img_shape),
        otherwise ``pad_shape`` when present, otherwise ``img_shape``.
        """
        meta = batch_img_metas[0]
        if isinstance(meta['img_shape'], torch.Size):
            size = input_hw(meta['img_shape'])
        elif 'pad_shape' in meta:
            size = input_hw(meta['pad_shape'][:2])
        else:
            size = input_hw(meta['img_shape'])
        self._check_input_size(inputs, size)
        return self.forward(inputs, size)

    def loss_by_feat(self, seg_logits: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """Losses and accuracy of logits that already match the labels.

        Same contract as ``BaseDecodeHead.loss_by_feat`` but without its
        bilinear resize: the logits come at label size from the crop.
        """
        seg_label = self._stack_batch_gt(batch_data_samples)
        if seg_logits.shape[-2:] != seg_label.shape[-2:]:
            raise ValueError(
                f'{type(self).__name__}: logits of size '
                f'{tuple(seg_logits.shape[-2:])} do not match labels of '
                f'size {tuple(seg_label.shape[-2:])}')
        seg_weight = None
        if self.sampler is not None:
            seg_weight = self.sampler.sample(seg_logits, seg_label)
        seg_label = seg_label.squeeze(1)
        losses_decode = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        loss = dict()
        for loss_decode in losses_decode:
            value = loss_decode(
                seg_logits,
                seg_label,
                weight=seg_weight,
                ignore_index=self.ignore_index)
            name = loss_decode.loss_name
            loss[name] = loss[name] + value if name in loss else value
        loss['acc_seg'] = accuracy(
            seg_logits, seg_label, ignore_index=self.ignore_index)
        return loss
