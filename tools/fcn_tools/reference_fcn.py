"""An independent reference FCN: the bare network in plain PyTorch.

Written straight from ``fcn.berkeleyvision.org/voc-fcn*/net.py`` and
sharing no code with the plugin: an ``nn.Sequential`` VGG16 trunk with
Caffe layer names, 1x1 score convs, ``F.conv_transpose2d`` with the fixed
bilinear kernels and hard-coded Caffe crops (19 / 27 / 31 to the input,
5 / 9 for the pool4 / pool3 skips). The tests compare the plugin's logits
with it, and the benchmark times the plugin against it.
"""
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple

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
    """

    def __init__(self,
                 net: str,
                 num_classes: int = 21,
                 stage_channels: Sequence[int] = (64, 128, 256, 512, 512),
                 fc_channels: int = 4096,
                 dropout_ratio: float = 0.5) -> None:
        super().__init__()
        self.net = net
        self.atonce = net == 'fcn8s-atonce'
        arch = 'fcn8s' if self.atonce else net
        if arch not in UPSCORE_LAYERS:
            raise ValueError(f'unknown net {net!r}')
        self.arch = arch
        c3, c4, c5 = stage_channels[2:]
        self.stage1_3 = nn.Sequential(
            _stage(1, 3, stage_channels[0]),
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
        self.score_fr = nn.Conv2d(fc_channels, num_classes, 1)
        if arch != 'fcn32s':
            self.score_pool4 = nn.Conv2d(c4, num_classes, 1)
        if arch == 'fcn8s':
            self.score_pool3 = nn.Conv2d(c3, num_classes, 1)
        for name, k, _ in UPSCORE_LAYERS[arch]:
            self.register_buffer(name,
                                 torch.zeros(num_classes, num_classes, k, k))

    @torch.no_grad()
    def load_caffe_weights(self, weights: CaffeWeights) -> None:
        """Copy weights keyed by Caffe layer name (copies, not shared)."""
        for path, module in self.named_modules():
            if not isinstance(module, nn.Conv2d):
                continue
            w, b = weights[path.split('.')[-1]]
            module.weight.copy_(w)
            module.bias.copy_(b)
        for name, _, _ in UPSCORE_LAYERS[self.arch]:
            getattr(self, name).copy_(weights[name][0])

    def forward(self, x: Tensor) -> Tensor:
        """Logits of shape (N, num_classes, H, W) for images (N, 3, H, W)."""
        H, W = x.shape[-2:]
        pool3 = self.stage1_3(x)
        pool4 = self.stage4(pool3)
        score_fr = self.score_fr(self.fc(self.stage5(pool4)))
        if self.arch == 'fcn32s':
            upscore = F.conv_transpose2d(score_fr, self.upscore, stride=32)
            return upscore[:, :, 19:19 + H, 19:19 + W]
        upscore2 = F.conv_transpose2d(score_fr, self.upscore2, stride=2)
        h, w = upscore2.shape[-2:]
        if self.atonce:
            pool4 = pool4 * 0.01
        score_pool4c = self.score_pool4(pool4)[:, :, 5:5 + h, 5:5 + w]
        fuse_pool4 = upscore2 + score_pool4c
        if self.arch == 'fcn16s':
            upscore16 = F.conv_transpose2d(
                fuse_pool4, self.upscore16, stride=16)
            return upscore16[:, :, 27:27 + H, 27:27 + W]
        upscore_pool4 = F.conv_transpose2d(
            fuse_pool4, self.upscore_pool4, stride=2)
        h, w = upscore_pool4.shape[-2:]
        if self.atonce:
            pool3 = pool3 * 0.0001
        score_pool3c = self.score_pool3(pool3)[:, :, 9:9 + h, 9:9 + w]
        upscore8 = F.conv_transpose2d(
            upscore_pool4 + score_pool3c, self.upscore8, stride=8)
        return upscore8[:, :, 31:31 + H, 31:31 + W]


def weights_by_caffe_name(model: nn.Module) -> CaffeWeights:
    """Group a segmentor's state dict by Caffe layer name.

    ``backbone.conv1_1.weight`` and ``decode_head.score_fr.bias`` become
    ``{'conv1_1': (w, b), 'score_fr': (w, b), 'upscore8': (w, None)}``.
    """
    out: CaffeWeights = {}
    for key, value in model.state_dict().items():
        layer, kind = key.split('.')[-2:]
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
        net,
        num_classes=weights['score_fr'][0].shape[0],
        stage_channels=[
            weights[f'conv{i}_1'][0].shape[0]
            for i in range(1, len(STAGE_DEPTHS) + 1)
        ],
        fc_channels=weights['fc6'][0].shape[0])
    bare.to(device=x.device, dtype=x.dtype)
    bare.load_caffe_weights(weights)
    return bare.eval()(x)
