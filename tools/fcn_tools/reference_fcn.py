"""An independent reference FCN: the bare network in plain PyTorch.

Written straight from ``fcn.berkeleyvision.org/voc-fcn*/net.py`` and
sharing no code with the plugin: an ``nn.Sequential`` VGG16 trunk with
Caffe layer names, 1x1 score convs, ``F.conv_transpose2d`` with the fixed
bilinear kernels and hard-coded Caffe crops (19 / 27 / 31 to the input,
5 / 9 for the pool4 / pool3 skips). The tests compare the plugin's logits
with it, and the benchmark times the plugin against it.

:class:`BareTwoHeadFCN` is ``siftflow-fcn*/net.py``: the same trunk with two
such heads on it, their layers named ``<layer>_sem`` and ``<layer>_geo``.
"""
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

#: Number of 3x3 convs in each VGG16 stage.
STAGE_DEPTHS = (2, 2, 3, 3, 3)
#: Caffe names of the fixed transposed convs of each net.
UPSCORE_LAYERS = {
    'fcn32s': (('upscore', 64, 32), ),
    'fcn16s': (('upscore2', 4, 2), ('upscore16', 32, 16)),
    'fcn8s': (('upscore2', 4, 2), ('upscore_pool4', 4, 2),
              ('upscore8', 16, 8)),
}
#: Caffe weights of one layer: (weight, bias or None).
CaffeWeights = Dict[str, Tuple[Tensor, Optional[Tensor]]]
#: The score layers of each net.
SCORE_LAYERS = {
    'fcn32s': ('score_fr', ),
    'fcn16s': ('score_fr', 'score_pool4'),
    'fcn8s': ('score_fr', 'score_pool4', 'score_pool3'),
}
#: The heads of the SIFT Flow nets (``siftflow-fcn*/net.py``) and the
#: suffix of their Caffe layers, as the segmentor's state dict names them:
#: the semantic head first.
TWO_HEADS = (('decode_head', '_sem'), ('geo_head', '_geo'))


def _stage(index: int, cin: int, cout: int) -> nn.Sequential:
    layers = OrderedDict()
    for i in range(1, STAGE_DEPTHS[index - 1] + 1):
        pad = 100 if (index, i) == (1, 1) else 1
        layers[f'conv{index}_{i}'] = nn.Conv2d(cin, cout, 3, padding=pad)
        layers[f'relu{index}_{i}'] = nn.ReLU(inplace=True)
        cin = cout
    layers[f'pool{index}'] = nn.MaxPool2d(2, stride=2, ceil_mode=True)
    return nn.Sequential(layers)


class BareFCN(nn.Module):
    """FCN-32s / 16s / 8s (and 8s at-once) in plain PyTorch.

    Args:
        net (str): 'fcn32s', 'fcn16s', 'fcn8s' or 'fcn8s-atonce'.
        num_classes (int): Number of classes. Defaults to 21.
        stage_channels (Sequence[int]): VGG16 stage widths.
            Defaults to (64, 128, 256, 512, 512).
        fc_channels (int): Width of fc6 / fc7. Defaults to 4096.
        dropout_ratio (float): Dropout after fc6 and fc7. Defaults to 0.5.
        in_channels (int): Input channels of conv1_1 (4 for the early-fusion
            RGB-D net's ``conv1_1_bgrd``). Defaults to 3.
    """

    #: The suffix of each head's Caffe layer names (one head: none).
    suffixes: Tuple[str, ...] = ('', )

    def __init__(self,
                 net: str,
                 num_classes: Union[int, Sequence[int]] = 21,
                 stage_channels: Sequence[int] = (64, 128, 256, 512, 512),
                 fc_channels: int = 4096,
                 dropout_ratio: float = 0.5,
                 in_channels: int = 3) -> None:
        super().__init__()
        self.net = net
        self.atonce = net == 'fcn8s-atonce'
        arch = 'fcn8s' if self.atonce else net
        if arch not in UPSCORE_LAYERS:
            raise ValueError(f'unknown net {net!r}')
        self.arch = arch
        c3, c4, c5 = stage_channels[2:]
        self.stage1_3 = nn.Sequential(
            _stage(1, in_channels, stage_channels[0]),
            _stage(2, stage_channels[0], stage_channels[1]),
            _stage(3, stage_channels[1], c3))
        self.stage4 = _stage(4, c3, c4)
        self.stage5 = _stage(5, c4, c5)
        self.fc = nn.Sequential(
            OrderedDict(
                fc6=nn.Conv2d(c5, fc_channels, 7),
                relu6=nn.ReLU(inplace=True),
                drop6=nn.Dropout(dropout_ratio),
                fc7=nn.Conv2d(fc_channels, fc_channels, 1),
                relu7=nn.ReLU(inplace=True),
                drop7=nn.Dropout(dropout_ratio)))
        counts = (num_classes, ) if isinstance(num_classes, int) \
            else tuple(num_classes)
        if len(counts) != len(self.suffixes):
            raise ValueError(f'{type(self).__name__} has '
                             f'{len(self.suffixes)} heads, not {len(counts)}')
        inputs = dict(score_fr=fc_channels, score_pool4=c4, score_pool3=c3)
        for suffix, classes in zip(self.suffixes, counts):
            for name in SCORE_LAYERS[arch]:
                setattr(self, name + suffix,
                        nn.Conv2d(inputs[name], classes, 1))
            for name, k, _ in UPSCORE_LAYERS[arch]:
                self.register_buffer(name + suffix,
                                     torch.zeros(classes, classes, k, k))

    @torch.no_grad()
    def load_caffe_weights(self, weights: CaffeWeights) -> None:
        """Copy weights keyed by Caffe layer name (copies, not shared)."""
        for path, module in self.named_modules():
            if not isinstance(module, nn.Conv2d):
                continue
            w, b = weights[path.split('.')[-1]]
            module.weight.copy_(w)
            module.bias.copy_(b)
        for suffix in self.suffixes:
            for name, _, _ in UPSCORE_LAYERS[self.arch]:
                getattr(self, name + suffix).copy_(weights[name + suffix][0])

    def trunk(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """pool3, pool4 and drop7 of images (N, 3, H, W)."""
        pool3 = self.stage1_3(x)
        pool4 = self.stage4(pool3)
        return pool3, pool4, self.fc(self.stage5(pool4))

    def head(self, feats: Tuple[Tensor, Tensor, Tensor],
             size: Sequence[int], suffix: str = '') -> Tensor:
        """Logits (N, classes, H, W) of the head whose layers end with
        ``suffix``, from the :meth:`trunk` outputs."""
        def layer(name):
            return getattr(self, name + suffix)

        H, W = size
        pool3, pool4, drop7 = feats
        score_fr = layer('score_fr')(drop7)
        if self.arch == 'fcn32s':
            upscore = F.conv_transpose2d(score_fr, layer('upscore'),
                                         stride=32)
            return upscore[:, :, 19:19 + H, 19:19 + W]
        upscore2 = F.conv_transpose2d(score_fr, layer('upscore2'), stride=2)
        h, w = upscore2.shape[-2:]
        if self.atonce:
            pool4 = pool4 * 0.01
        score_pool4c = layer('score_pool4')(pool4)[:, :, 5:5 + h, 5:5 + w]
        fuse_pool4 = upscore2 + score_pool4c
        if self.arch == 'fcn16s':
            upscore16 = F.conv_transpose2d(
                fuse_pool4, layer('upscore16'), stride=16)
            return upscore16[:, :, 27:27 + H, 27:27 + W]
        upscore_pool4 = F.conv_transpose2d(
            fuse_pool4, layer('upscore_pool4'), stride=2)
        h, w = upscore_pool4.shape[-2:]
        if self.atonce:
            pool3 = pool3 * 0.0001
        score_pool3c = layer('score_pool3')(pool3)[:, :, 9:9 + h, 9:9 + w]
        upscore8 = F.conv_transpose2d(
            upscore_pool4 + score_pool3c, layer('upscore8'), stride=8)
        return upscore8[:, :, 31:31 + H, 31:31 + W]

    def forward_heads(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Each head's logits (N, classes, H, W), in :attr:`suffixes`
        order."""
        feats = self.trunk(x)
        return tuple(
            self.head(feats, x.shape[-2:], suffix)
            for suffix in self.suffixes)

    def forward(self, x: Tensor) -> Tensor:
        """Logits of shape (N, num_classes, H, W) for images (N, 3, H, W);
        of several heads, their logits concatenated in head order."""
        out = self.forward_heads(x)
        return out[0] if len(out) == 1 else torch.cat(out, dim=1)


class BareTwoHeadFCN(BareFCN):
    """The SIFT Flow nets (``siftflow-fcn{32,16,8}s``): one trunk, two heads.

    The trunk of :class:`BareFCN` through ``drop7``; a semantic head
    (``score_fr_sem``, ``upscore2_sem``, ...) and a geometric head
    (``score_fr_geo``, ...), each the :class:`BareFCN` head of ``net``.
    ``forward`` gives both logits concatenated, semantic first;
    ``forward_heads`` the two apart.

    Args:
        net (str): 'fcn32s', 'fcn16s' or 'fcn8s'.
        num_classes (Sequence[int]): Classes of the semantic and the
            geometric head. Defaults to (33, 3).
        **kwargs: Widths and dropout, as for :class:`BareFCN`.
    """

    suffixes = tuple(suffix for _, suffix in TWO_HEADS)

    def __init__(self,
                 net: str,
                 num_classes: Sequence[int] = (33, 3),
                 **kwargs) -> None:
        super().__init__(net, num_classes=num_classes, **kwargs)


def weights_by_caffe_name(model: nn.Module,
                          suffixes: Optional[Dict[str, str]] = None
                          ) -> CaffeWeights:
    """Group a segmentor's state dict by Caffe layer name.

    ``backbone.conv1_1.weight`` and ``decode_head.score_fr.bias`` become
    ``{'conv1_1': (w, b), 'score_fr': (w, b), 'upscore8': (w, None)}``.

    Args:
        model (nn.Module): The segmentor.
        suffixes (dict, optional): Module -> suffix of its Caffe names,
            e.g. ``dict(TWO_HEADS)``: ``geo_head.score_fr`` becomes
            ``score_fr_geo``.
    """
    out: CaffeWeights = {}
    for key, value in model.state_dict().items():
        module = key.split('.')[0]
        layer, kind = key.split('.')[-2:]
        layer += (suffixes or {}).get(module, '')
        w, b = out.get(layer, (None, None))
        out[layer] = (value, b) if kind == 'weight' else (w, value)
    return out


def bare_like(model: nn.Module, net: str) -> BareFCN:
    """A :class:`BareFCN` with the same widths and weights as ``model``."""
    backbone = model.backbone
    bare = BareFCN(
        net,
        num_classes=model.decode_head.out_channels,
        stage_channels=backbone.stage_channels,
        fc_channels=backbone.fc_channels,
        dropout_ratio=backbone.drop6.p)
    bare.load_caffe_weights(weights_by_caffe_name(model))
    return bare


def _widths(weights: CaffeWeights) -> dict:
    return dict(
        stage_channels=[
            weights[f'conv{i}_1'][0].shape[0]
            for i in range(1, len(STAGE_DEPTHS) + 1)
        ],
        fc_channels=weights['fc6'][0].shape[0])


@torch.no_grad()
def caffe_fcn(weights: CaffeWeights, x: Tensor, net: str) -> Tensor:
    """Test-phase logits of the Caffe net with the given weights.

    Args:
        weights (dict): ``{'conv1_1': (W, b), ..., 'upscore': (W, None)}``
            keyed by Caffe layer name; the widths are taken from them.
        x (Tensor): Mean-subtracted BGR images (N, 3, H, W).
        net (str): 'fcn32s', 'fcn16s', 'fcn8s' or 'fcn8s-atonce'.

    Returns:
        Tensor: Logits (N, num_classes, H, W), dropout off.
    """
    bare = BareFCN(
        net, num_classes=weights['score_fr'][0].shape[0], **_widths(weights))
    bare.to(device=x.device, dtype=x.dtype)
    bare.load_caffe_weights(weights)
    return bare.eval()(x)


@torch.no_grad()
def caffe_two_head_fcn(weights: CaffeWeights, x: Tensor,
                       net: str) -> Tuple[Tensor, ...]:
    """Test-phase logits of a SIFT Flow net with the given weights.

    Args:
        weights (dict): ``{'conv1_1': (W, b), ..., 'score_fr_sem': (W, b),
            ..., 'score_fr_geo': (W, b), ...}`` keyed by Caffe layer name.
        x (Tensor): Mean-subtracted BGR images (N, 3, H, W).
        net (str): 'fcn32s', 'fcn16s' or 'fcn8s'.

    Returns:
        tuple[Tensor]: Semantic and geometric logits (N, classes, H, W),
        dropout off.
    """
    bare = BareTwoHeadFCN(
        net,
        num_classes=[
            weights['score_fr' + s][0].shape[0]
            for s in BareTwoHeadFCN.suffixes
        ],
        **_widths(weights))
    bare.to(device=x.device, dtype=x.dtype)
    bare.load_caffe_weights(weights)
    return bare.eval().forward_heads(x)
