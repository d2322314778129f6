"""Base class of the FCN-32s/16s/8s heads."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from ..backbones.vgg16_caffe import VGG16Caffe
from ..net_description import NetDescription, register_head
from ..utils.caffe_geometry import bilinear_kernel, caffe_crop, input_hw
from .head_layers import HeadLayer, ScoreLayer, UpscoreLayer

IntOrSeq = Union[int, Sequence[int]]
#: How the upsampled maps are matched to the skips and to the input.
ALIGNS = ('caffe_crop', 'plain')
#: How the score and upscore layers start.
INITS = ('caffe', 'pytorch')


def _as_tuple(x: IntOrSeq) -> Tuple[int, ...]:
    return tuple(x) if isinstance(x, (list, tuple)) else (x, )


def _check_layers(cls: type) -> None:
    """Refuse a ``layers`` declaration that ``forward`` cannot run.

    The path is ``score_fr``, then upscore layers, each but the last
    followed by one skip's score layer: score and upscore layers alternate,
    from ``score_fr`` to an upscore layer, with distinct names.
    """
    kinds = [type(ly) for ly in cls.layers]
    names = [ly.name for ly in cls.layers]
    want = [ScoreLayer, UpscoreLayer] * (len(kinds) // 2)
    if (kinds != want or not names or names[0] != 'score_fr'
            or len(set(names)) != len(names)):
        raise TypeError(
            f'{cls.__name__}.layers must alternate ScoreLayer and '
            'UpscoreLayer with distinct names, from ScoreLayer(\'score_fr\') '
            f'to an UpscoreLayer; got {", ".join(names) or "none"}')


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

    Both return logits computed only by the net's own upsampling and crop,
    so MMSeg's bilinear resize in ``loss_by_feat`` is an identity (checked).
    ``forward(inputs)`` without a size returns the uncropped output blob
    (the Caffe ``upscore*`` blob).

    Each subclass declares what it is; this class builds the declared
    layers and runs them in order (``forward``), and the net table, the
    converters and the weights hook read the declarations (defining the
    class registers it):

    - :attr:`nets`: the nets it builds (name, title, the net it is staged
      from, Caffe release, pytorch-fcn class, fixed skip scales);
    - :attr:`layers`: its Caffe layers (names, upscore kernels and strides,
      skip crop offsets) and :attr:`final_crop_offset`;
    - :attr:`trunk`: the backbone class whose geometry the crop offsets
      assume. Unlike
    ``BaseDecodeHead``, no ``conv_seg`` is kept: the 1x1 score layers keep
    their Caffe names (``score_fr``, ``score_pool4``, ``score_pool3``).

    Args:
        in_channels (int | Sequence[int]): Channels of the selected inputs,
            ordered fine to coarse; the last one is fc7 (pool5 with a
            backbone without fc6/fc7).
        in_index (int | Sequence[int]): Indices of those inputs in the
            backbone output.
        num_classes (int): Number of classes (21 for PASCAL VOC).
        align (str): ``'caffe_crop'``: the reference nets' transposed convs
            and crops at the Caffe offsets, valid for the pad-100 VGG16
            trunk with fc6/fc7 only. ``'plain'``: what tutorials write for
            an ordinary trunk: each transposed conv is padded by half its
            stride, so it upsamples exactly by its stride (half-pixel
            centred bilinear with the bilinear kernel), and maps are
            matched at offset 0: the sum of two maps keeps their common
            top-left part, the output is the top-left HxW of the last
            map. Defaults to ``'caffe_crop'``.
        init (str): ``'caffe'``: zero score layers, bilinear upscore
            layers. ``'pytorch'``: PyTorch's default initialisation of
            ``nn.Conv2d`` / ``nn.ConvTranspose2d`` for both, and the upscore
            layers are trained. Defaults to ``'caffe'``.
        learnable_upsample (bool, optional): Train the transposed convs.
            Defaults to None: fixed with ``init='caffe'`` (as in the
            reference nets; True trains the bilinear kernels, as in the
            paper's original experiments), trained with ``init='pytorch'``.
        dropout_ratio (float): Dropout before ``score_fr``. The reference
            has none here (drop7 lives in the backbone). Defaults to 0.
        channels_last (bool): Hold the score and upscore weights in
            ``torch.channels_last`` layout, so that with a channels_last
            backbone every layer of the head, and the logits, stay NHWC
            (the per-pixel argmax over classes then reads contiguous
            memory). Same function. Defaults to False.
        init_cfg (dict, optional): Extra initialization config. Defaults
            to None, which keeps the initialisation chosen by ``init``.
        **kwargs: Other ``BaseDecodeHead`` arguments (``loss_decode``,
            ``ignore_index``, ...).
    """

    #: The nets this head builds; the first is the one built with no fixed
    #: scale, each other one when its ``fixed_scales`` are set.
    nets: Tuple[NetDescription, ...] = ()
    #: The head's layers in forward order; set by each subclass.
    layers: Tuple[HeadLayer, ...] = ()
    #: Offset of the final Caffe crop to the input size; set by each
    #: subclass.
    final_crop_offset: int = 0
    #: The trunk the Caffe crop offsets are computed for.
    trunk: type = VGG16Caffe

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get('nets'):
            _check_layers(cls)
            register_head(cls)

    def __init__(self,
                 in_channels: IntOrSeq,
                 in_index: IntOrSeq,
                 num_classes: int,
                 align: str = 'caffe_crop',
                 init: str = 'caffe',
                 learnable_upsample: Optional[bool] = None,
                 dropout_ratio: float = 0.,
                 channels_last: bool = False,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        name = type(self).__name__
        in_channels = _as_tuple(in_channels)
        in_index = _as_tuple(in_index)
        scores = [ly for ly in self.layers if isinstance(ly, ScoreLayer)]
        if len(in_channels) != len(in_index) or len(in_index) != len(
                scores):
            raise ValueError(
                f'{name}: in_channels {in_channels} and in_index '
                f'{in_index} need one entry per score layer '
                f'({", ".join(ly.reads for ly in reversed(scores))})')
        if align not in ALIGNS:
            raise ValueError(f'{name}: align must be one of {ALIGNS}, got '
                             f'{align!r}')
        if init not in INITS:
            raise ValueError(f'{name}: init must be one of {INITS}, got '
                             f'{init!r}')
        if learnable_upsample is None:
            learnable_upsample = init == 'pytorch'
        elif init == 'pytorch' and not learnable_upsample:
            raise ValueError(
                f"{name}: init='pytorch' starts the upscore layers from "
                'random weights, which must then be trained; set '
                'learnable_upsample=True or use init=\'caffe\'')
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
        self.align = align
        self.init = init
        self.learnable_upsample = learnable_upsample
        self.channels_last = channels_last
        self._specs: Dict[str, HeadLayer] = {}
        # Score layers come coarse to fine, the inputs fine to coarse.
        coarse_to_fine = iter(reversed(in_channels))
        for layer in self.layers:
            self._specs[layer.name] = layer
            if isinstance(layer, ScoreLayer):
                module = self._score_layer(next(coarse_to_fine))
            else:
                module = self._upscore_layer(layer)
            self.add_module(layer.name, self._in_memory_format(module))

    @property
    def description(self) -> NetDescription:
        """The declared net this head computes (see :attr:`nets`).

        A net with ``fixed_scales`` (e.g. FCN-8s at-once) when one of its
        scale arguments is not 1, else the first of :attr:`nets`.
        """
        for net in self.nets[1:]:
            if any(getattr(self, name) != 1 for name, _ in net.fixed_scales):
                return net
        return self.nets[0]

    @property
    def net_name(self) -> str:
        """The net this head computes, e.g. ``'fcn8s-atonce'``.

        ``'-plain'`` is appended with ``align='plain'``; the backbone's
        switches are added by :func:`fcn_plugin.models.net_name_of`.
        """
        return self.description.name + ('-plain' if self.align == 'plain'
                                        else '')

    def _in_memory_format(self, layer: nn.Module) -> nn.Module:
        """``layer`` in the head's memory format (see ``channels_last``)."""
        if self.channels_last:
            layer.to(memory_format=torch.channels_last)
        return layer

    def _score_layer(self, in_channels: int) -> nn.Conv2d:
        """A 1x1 score layer: zero (Caffe's default filler) or PyTorch's."""
        conv = nn.Conv2d(in_channels, self.out_channels, 1)
        if self.init == 'caffe':
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)
        return conv

    def _upscore_layer(self, layer: UpscoreLayer) -> nn.ConvTranspose2d:
        """A bias-free transposed conv, bilinear (Caffe) or PyTorch's init.

        With ``align='plain'`` it is padded by half the stride, so that
        it upsamples exactly by its stride (kernel = 2 x stride).
        """
        plain = self.align == 'plain'
        deconv = nn.ConvTranspose2d(
            self.out_channels,
            self.out_channels,
            layer.kernel,
            stride=layer.stride,
            padding=(layer.kernel - layer.stride) // 2 if plain else 0,
            bias=False)
        if self.init == 'caffe':
            deconv.weight.data.copy_(
                bilinear_kernel(self.out_channels, layer.kernel))
        deconv.weight.requires_grad_(self.learnable_upsample)
        return deconv

    def _score(self, name: str, feature: Tensor) -> Tensor:
        """The score layer ``name`` on its feature map.

        ``score_fr`` after the head's dropout (``drop7``); a skip's scores
        after its constant scale, if any (the at-once ``Scale`` layers).
        """
        spec = self._specs[name]
        if name == 'score_fr':
            if self.dropout is not None:
                feature = self.dropout(feature)
        elif spec.scale and getattr(self, spec.scale) != 1:
            feature = feature * getattr(self, spec.scale)
        return getattr(self, name)(feature)

    def _add_skip(self, upscored: Tensor, name: str,
                  scores: Tensor) -> Tensor:
        """``upscored`` plus the skip scores of layer ``name``.

        The scores are Caffe-cropped to ``upscored`` at the layer's
        ``crop_offset`` (``align='caffe_crop'``), or both maps are cut to
        their common top-left part (``align='plain'``).
        """
        if self.align == 'caffe_crop':
            return upscored + caffe_crop(scores, self._specs[name].crop_offset,
                                         upscored.shape[-2:])
        h = min(upscored.shape[-2], scores.shape[-2])
        w = min(upscored.shape[-1], scores.shape[-1])
        return upscored[:, :, :h, :w] + scores[:, :, :h, :w]

    def _scored_features(
            self,
            inputs: Sequence[Tensor]) -> List[Tuple[ScoreLayer, Tensor]]:
        """Each score layer with the backbone output it reads."""
        scores = [ly for ly in self.layers if isinstance(ly, ScoreLayer)]
        # inputs come fine to coarse, score layers coarse to fine
        return list(zip(scores, reversed(self._transform_inputs(inputs))))

    def layer_scores(self, inputs: Sequence[Tensor]) -> Dict[str, Tensor]:
        """Each score layer's output, by Caffe name, before any upsampling.

        Args:
            inputs (Sequence[Tensor]): Backbone outputs.

        Returns:
            dict[str, Tensor]: ``score_fr`` and the skips' scores
            (``score_pool4`` ...): the blobs that :meth:`upsample_scores`
            takes, and that a late-fusion net sums across its streams.
        """
        return {
            spec.name: self._score(spec.name, feature)
            for spec, feature in self._scored_features(inputs)
        }

    def upsample_scores(self,
                        scores: Dict[str, Tensor],
                        out_size: Optional[Sequence[int]] = None) -> Tensor:
        """The head's upsampling path over its score layers' outputs.

        :attr:`layers` in order: ``score_fr``, then each ``upscore*`` layer,
        each skip's scores added (cropped) to the map before it, and the
        last upscore blob cropped to the input.

        Args:
            scores (dict[str, Tensor]): As :meth:`layer_scores` gives them.
            out_size (Sequence[int], optional): See :meth:`forward`.

        Returns:
            Tensor: Logits of shape (N, num_classes, H, W).
        """
        blob = None
        for layer in self.layers:
            if isinstance(layer, UpscoreLayer):
                blob = getattr(self, layer.name)(blob)
            elif blob is None:
                blob = scores[layer.name]
            else:
                blob = self._add_skip(blob, layer.name, scores[layer.name])
        return self._output(blob, out_size)

    def _output(self, blob: Tensor,
                out_size: Optional[Sequence[int]]) -> Tensor:
        """The last upscore blob cropped to the input size (if given).

        At ``final_crop_offset`` (``align='caffe_crop'``) or at 0
        (``align='plain'``).
        """
        if out_size is None:
            return blob
        if self.align == 'caffe_crop':
            return caffe_crop(blob, self.final_crop_offset, out_size)
        h, w = out_size[0], out_size[1]
        # (Traced sizes stay traced, as in caffe_crop: no int() then.)
        if not torch.jit.is_tracing() and (blob.shape[-2] < int(h)
                                           or blob.shape[-1] < int(w)):
            raise ValueError(
                f'{type(self).__name__}: the upsampled map is '
                f'{blob.shape[-2]}x{blob.shape[-1]}, smaller than the '
                f'{int(h)}x{int(w)} input: fc6 (7x7, valid) shrinks the map '
                'by 6 cells at stride 32, which only conv1_1 padding of '
                '100 px makes up for. Use VGG16Caffe(first_pad=100) or '
                'with_fc=False.')
        return caffe_crop(blob, 0, out_size)

    def forward(self,
                inputs: Sequence[Tensor],
                out_size: Optional[Sequence[int]] = None) -> Tensor:
        """Compute the logits: the declared :attr:`layers` in order.

        Args:
            inputs (Sequence[Tensor]): Backbone outputs.
            out_size (Sequence[int], optional): (H, W) of the network input.
                If given, the output is cropped to it (see ``align``); if
                None, the uncropped output blob is returned.

        Returns:
            Tensor: Logits of shape (N, num_classes, H, W).
        """
        return self.upsample_scores(self.layer_scores(inputs), out_size)

    def _check_input_size(self, inputs: Sequence[Tensor],
                          size: Tuple[int, int]) -> None:
        """Fail clearly if ``size`` cannot be the input of these features.

        The Caffe crop offsets are those of :attr:`trunk` in its reference
        form (for VGG16: pad 100, with fc6/fc7); a size that does not
        produce the feature maps at hand would crop the wrong window. (With
        ``align='plain'`` the output check in ``_output`` applies instead.)
        """
        if self.align != 'caffe_crop':
            return
        for spec, feat in self._scored_features(inputs):
            expected = (self.trunk.output_size(spec.reads, size[0]),
                        self.trunk.output_size(spec.reads, size[1]))
            if tuple(feat.shape[-2:]) != expected:
                raise ValueError(
                    f'{type(self).__name__}: an input of {size[0]}x'
                    f'{size[1]} gives a {expected[0]}x{expected[1]} '
                    f'{spec.reads} map with the {self.trunk.net.title} the '
                    'Caffe crops are computed for, but the features are '
                    f'{feat.shape[-2]}x{feat.shape[-1]}. The image metas do '
                    'not describe the network input, or the backbone is not '
                    f'{self.trunk.__name__} in its reference form '
                    f'({self.trunk.reference_form}; use align=\'plain\' for '
                    'other trunks).')

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

    @staticmethod
    def predict_size(batch_img_metas: List[dict]) -> Tuple[int, int]:
        """The network input's size, from the image metas of a batch.

        The size ``BaseDecodeHead.predict_by_feat`` resizes to: the patch
        size in slide inference (a ``torch.Size`` img_shape), otherwise
        ``pad_shape`` when present, otherwise ``img_shape``.
        """
        meta = batch_img_metas[0]
        if isinstance(meta['img_shape'], torch.Size):
            return input_hw(meta['img_shape'])
        if 'pad_shape' in meta:
            return input_hw(meta['pad_shape'][:2])
        return input_hw(meta['img_shape'])

    def predict(self, inputs: Tuple[Tensor], batch_img_metas: List[dict],
                test_cfg: ConfigType) -> Tensor:
        """Cropped full-resolution logits for the network input (of
        :meth:`predict_size`)."""
        size = self.predict_size(batch_img_metas)
        self._check_input_size(inputs, size)
        return self.forward(inputs, size)

    def loss_by_feat(self, seg_logits: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """``BaseDecodeHead.loss_by_feat`` on logits that match the labels.

        The logits come at label size from the net's own crop, so MMSeg's
        bilinear resize to the label size is an identity; a size mismatch
        would mean a wrong crop and is refused instead of resized away.
        """
        label_hw = batch_data_samples[0].gt_sem_seg.shape[-2:]
        if seg_logits.shape[-2:] != label_hw:
            raise ValueError(
                f'{type(self).__name__}: logits of size '
                f'{tuple(seg_logits.shape[-2:])} do not match labels of '
                f'size {tuple(label_hw)}')
        return super().loss_by_feat(seg_logits, batch_data_samples)
