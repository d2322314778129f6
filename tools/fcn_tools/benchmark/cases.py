"""Plugin and bare versions of the same FCN, and the steps to time.

Each side gets the same weights (copied by Caffe layer name), the same
uint8 BGR images and labels, the same train/eval mode and the same
autocast setting; only the code path differs:

- plugin: MMSeg's ``EncoderDecoder`` built from the plugin's configs as a
  user gets it (fc6/fc7 as im2col + GEMM, NHWC activations), driven by
  ``test_step`` / ``train_step`` on a packed data dict, as MMEngine's loops
  drive it, with an ``OptimWrapper`` built by MMEngine;
- plain: the same plugin with ``fc_gemm=False, channels_last=False``, i.e.
  exactly the bare net's kernels, which isolates what MMSeg and the plugin
  add around the network;
- bare: :class:`BareFCN` after a hand-written mean subtraction, with
  ``F.cross_entropy(reduction='sum')`` and ``torch.optim.SGD``.
"""
import contextlib
import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from torch import Tensor

from ..reference_fcn import BareFCN, bare_like

#: The folder holding the ``fcn_tools`` package: the repository's tools.
TOOLS_DIR = Path(__file__).resolve().parents[2]
#: The repository's configs, beside the tools folder.
CONFIG_DIR = TOOLS_DIR.parent / 'configs'
#: Narrow widths with the exact geometry of either trunk (VGG16 stages,
#: CaffeNet conv1 .. conv5: all even, as CaffeNet's group-2 convs need),
#: for smoke runs.
TINY_WIDTHS = dict(stage_channels=(8, 8, 16, 16, 16), fc_channels=32)
#: The model config of each net the benchmark builds, in ``configs/``.
MODEL_CONFIGS = {
    'fcn32s': '_base_/models/fcn32s_vgg16.py',
    'fcn16s': '_base_/models/fcn16s_vgg16.py',
    'fcn8s': '_base_/models/fcn8s_vgg16.py',
    'fcn8s-atonce': '_base_/models/fcn8s-atonce_vgg16.py',
    'fcn32s-alexnet': '_base_/models/fcn32s_alexnet.py',
}
#: Top-level NYUDv2 configs (their model dicts are complete: 40 classes, the
#: RGB-D data preprocessor), for the comparisons of several inputs; not in
#: :data:`MODEL_CONFIGS`, whose nets all take one 3-channel image.
NYUD_CONFIGS = {
    'fcn32s-nyud-rgb': 'fcn32s_vgg16_nyud-rgb.py',
    'fcn32s-nyud-rgb-hha': 'fcn32s_vgg16_nyud-rgb-hha.py',
}
#: Every net :func:`model_cfg` builds.
ALL_CONFIGS = {**MODEL_CONFIGS, **NYUD_CONFIGS}
#: Caffe FCN solver (voc-fcn*/solver.prototxt): fixed lr 1e-10 on the
#: summed loss, momentum 0.99, weight decay 5e-4.
SOLVER = dict(lr=1e-10, momentum=0.99, weight_decay=5e-4)
#: Ignored label (VOC boundaries).
IGNORE_INDEX = 255
AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}
#: Model settings (dotted keys) that give the plugin the bare net's kernels:
#: direct convolutions for fc6/fc7 and NCHW tensors throughout.
PLAIN_OPTIONS = {
    'backbone.fc_gemm': False,
    'backbone.channels_last': False,
    'decode_head.channels_last': False,
}


def model_cfg(net: str,
              tiny: bool = False,
              options: Optional[dict] = None) -> dict:
    """The model dict of the net's config (:data:`ALL_CONFIGS`).

    ``options`` overrides settings by dotted key relative to the model, as
    ``--cfg-options`` does, e.g. ``{'backbone.fc_gemm': False}``.
    """
    if net not in ALL_CONFIGS:
        raise ValueError(f'unknown net {net!r}; one of '
                         f'{", ".join(ALL_CONFIGS)}')
    cfg = Config.fromfile(str(CONFIG_DIR / ALL_CONFIGS[net]))
    cfg.merge_from_dict({f'model.{k}': v for k, v in (options or {}).items()})
    model = copy.deepcopy(cfg.model)
    if tiny:
        model['backbone'].update(TINY_WIDTHS)
        c = TINY_WIDTHS['stage_channels']
        fc = TINY_WIDTHS['fc_channels']
        head = model['decode_head']
        head['in_channels'] = {
            1: fc,
            2: (c[3], fc),
            3: (c[2], c[3], fc)
        }[len(head['in_index']) if isinstance(head['in_index'], (
            list, tuple)) else 1]
    return model


@dataclass(frozen=True)
class TrunkCase:
    """One net of a side-by-side comparison (part ``trunks``).

    Args:
        name (str): The case's key (results, ``--trunk-cases``).
        net (str): Its net (:data:`ALL_CONFIGS`).
        title (str): Its name in the table.
        group (str): The comparison it belongs to (:data:`TRUNK_GROUPS`).
            Defaults to ``'backbones'``.
        channels (int): Input channels it is fed (the stacked modalities;
            its data preprocessor must take as many). Defaults to 3.
        options (dict): Overrides of the config's model settings by dotted
            key. Defaults to none.
        paper (dict): The paper's figures (FCN, CVPR 2015): ``params_m``
            (millions) and ``k40_ms`` (inference at 500x500 on a K40,
            Caffe) of table 1, and ``mean_iu`` (table 1: VOC 2011
            seg11valid, fixed lr; table 4: NYUDv2 test). Defaults to none.
    """
    name: str
    net: str
    title: str
    group: str = 'backbones'
    channels: int = 3
    options: Dict[str, object] = field(default_factory=dict)
    paper: Dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TrunkGroup:
    """Cases measured side by side in one run, as ratios to a reference.

    Args:
        name (str): The group's key.
        title (str): The line above its table.
        reference (str): The case the ratios are taken against (always
            measured).
        shape (tuple[int, int]): Default height and width of the counted,
            timed and memory-measured batch.
        result_key (str): Its entry in the benchmark's JSON.
        paper_rows (tuple): ``(key of TrunkCase.paper, row label)`` of the
            paper's figures under its table.
    """
    name: str
    title: str
    reference: str
    shape: Tuple[int, int]
    result_key: str
    paper_rows: Tuple[Tuple[str, str], ...] = ()


#: The comparisons of part ``trunks``: FCN-AlexNet beside FCN-VGG16 at the
#: paper's 500x500 (table 1), and the late-fusion RGB-HHA net (two VGG16
#: streams) beside the single-stream RGB net at the NYUDv2 crop, 425x560.
TRUNK_GROUPS: Dict[str, TrunkGroup] = {
    g.name: g
    for g in (
        TrunkGroup(
            'backbones', 'Backbones (FCN table 1), 21 classes', 'fcn32s',
            (500, 500), 'trunks',
            (('params_m', 'paper: parameters (M)'),
             ('k40_ms', 'paper: K40 ms, 500x500'),
             ('mean_iu', 'paper: mean IU (table 1)'))),
        TrunkGroup(
            'nyud', 'NYUDv2 late fusion (FCN table 4), 40 classes',
            'nyud-rgb', (425, 560), 'trunks_nyud',
            (('mean_iu', 'paper: mean IU, NYUDv2 (table 4)'), )),
    )
}
#: Random weights: no checkpoints to start from.
_NO_INIT = {'backbone.init_cfg': None}

#: FCN-AlexNet beside FCN-VGG16 (FCN-32s): each as its config builds it,
#: and FCN-VGG16 with the plain kernels as well (direct convolutions for
#: fc6/fc7, NCHW: what the CaffeNet trunk runs). The NYUDv2 FCN-32s RGB
#: (3 channels) and RGB-HHA late fusion (two streams, 6 channels), each
#: from its top-level config.
TRUNK_CASES: Dict[str, TrunkCase] = {
    c.name: c
    for c in (
        TrunkCase('fcn32s', 'fcn32s', 'FCN-VGG16 (FCN-32s)',
                  paper=dict(params_m=134., k40_ms=210., mean_iu=56.0)),
        TrunkCase('fcn32s-alexnet', 'fcn32s-alexnet', 'FCN-AlexNet',
                  paper=dict(params_m=57., k40_ms=50., mean_iu=39.8)),
        TrunkCase('fcn32s-plain-kernels', 'fcn32s',
                  'FCN-VGG16, plain kernels', options=PLAIN_OPTIONS),
        TrunkCase('nyud-rgb', 'fcn32s-nyud-rgb', 'FCN-32s RGB',
                  group='nyud', options=_NO_INIT,
                  paper=dict(mean_iu=29.2)),
        TrunkCase('nyud-rgb-hha', 'fcn32s-nyud-rgb-hha',
                  'FCN-32s RGB-HHA (late fusion)', group='nyud', channels=6,
                  options={**_NO_INIT, 'stream_init': None},
                  paper=dict(mean_iu=32.8)),
    )
}
#: The case the backbone ratios are taken against.
TRUNK_REFERENCE = TRUNK_GROUPS['backbones'].reference


def group_cases(group: str) -> List[str]:
    """The cases of ``group`` (:data:`TRUNK_GROUPS`), in declared order."""
    if group not in TRUNK_GROUPS:
        raise ValueError(f'unknown case group {group!r}; one of '
                         f'{", ".join(TRUNK_GROUPS)}')
    return [n for n, c in TRUNK_CASES.items() if c.group == group]


def build_plugin(net: str,
                 tiny: bool = False,
                 seed: int = 0,
                 options: Optional[dict] = None) -> nn.Module:
    """Build the plugin's segmentor through MMSeg's registry.

    Every conv, the score layers included (zero in Caffe), gets He-normal
    weights and small random biases, so that all logits are non-zero and
    numeric checks mean something; the fixed bilinear kernels stay.
    """
    from mmseg.registry import MODELS

    import fcn_plugin  # noqa: F401  (registers the plugin)
    init_default_scope('mmseg')
    model = MODELS.build(model_cfg(net, tiny, options))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if type(m) is nn.Conv2d:
                std = (2. / m.weight[0].numel())**0.5
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen))
                m.weight.mul_(std)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen))
                m.bias.mul_(0.01)
    return model


def parse_shape(text: str) -> Tuple[int, int, int, int]:
    """'1x3x375x500' -> (1, 3, 375, 500)."""
    dims = tuple(int(v) for v in text.lower().split('x'))
    if len(dims) != 4 or dims[1] != 3 or min(dims) < 1:
        raise ValueError(f'shape must be Nx3xHxW, got {text!r}')
    return dims


def fake_batch(shape: Sequence[int],
               num_classes: int = 21,
               seed: int = 0) -> Tuple[Tensor, Tensor]:
    """Random uint8 BGR images (N, 3, H, W) and int64 labels (N, H, W)."""
    gen = torch.Generator().manual_seed(seed)
    n, _, h, w = shape
    imgs = torch.randint(0, 256, tuple(shape), generator=gen)
    labels = torch.randint(0, num_classes, (n, h, w), generator=gen)
    labels[:, :, :4] = IGNORE_INDEX
    return imgs.to(torch.uint8), labels


def packed_data(imgs: Tensor, labels: Optional[Tensor] = None) -> dict:
    """What ``PackSegInputs`` + ``pseudo_collate`` hand to the model."""
    from mmseg.structures import SegDataSample
    h, w = imgs.shape[-2:]
    samples = []
    for i in range(imgs.shape[0]):
        sample = SegDataSample(
            metainfo=dict(
                img_shape=(h, w),
                ori_shape=(h, w),
                pad_shape=(h, w),
                scale_factor=(1., 1.),
                flip=False,
                flip_direction=None,
                reduce_zero_label=False))
        if labels is not None:
            sample.gt_sem_seg = PixelData(data=labels[i][None].clone())
        samples.append(sample)
    return dict(inputs=list(imgs.clone()), data_samples=samples)


def autocast(device: str,
             amp: Optional[str]) -> contextlib.AbstractContextManager:
    """``torch.autocast`` for ``amp`` in ('bf16', 'fp16'), else a no-op."""
    if not amp:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device, dtype=AMP_DTYPES[amp])


@dataclass
class Pair:
    """The plugin, plain plugin and bare nets with their data and steps.

    ``plain`` may be None (the memory children build only what they
    measure).
    """
    net: str
    plugin: Optional[nn.Module]
    bare: Optional[BareFCN]
    imgs: Tensor
    labels: Tensor
    device: str = 'cpu'
    amp: Optional[str] = None
    plain: Optional[nn.Module] = None
    optim_wrappers: Dict[str, OptimWrapper] = field(default_factory=dict)
    optimizer: Optional[torch.optim.Optimizer] = None
    mean: Tensor = field(default=None)

    def __post_init__(self) -> None:
        pre = self.plugin.data_preprocessor
        self.mean = pre.mean.detach().clone().to(self.device)
        for name in ('plugin', 'plain'):
            model = getattr(self, name)
            if model is not None:
                self.optim_wrappers[name] = build_optim_wrapper(
                    model,
                    dict(
                        type='OptimWrapper',
                        optimizer=dict(type='SGD', **SOLVER)))
        self.optimizer = torch.optim.SGD(self.bare.parameters(), **SOLVER)
        self.test_data = packed_data(self.imgs)
        self.train_data = packed_data(self.imgs, self.labels)

    def keep_only(self, side: str) -> None:
        """Drop every model but ``side`` ('plugin', 'plain' or 'bare')."""
        for name in ('plugin', 'plain', 'bare'):
            if name != side:
                setattr(self, name, None)
                self.optim_wrappers.pop(name, None)
        if side != 'bare':
            self.optimizer = None

    def bare_inputs(self) -> Tensor:
        """The Caffe input: BGR 0-255 minus the mean (no std)."""
        return self.imgs.to(self.device).float() - self.mean

    def set_mode(self, train: bool) -> None:
        for model in (self.plugin, self.plain, self.bare):
            if model is not None:
                model.train(train)

    # Inference: MMEngine's test loop runs test_step under no_grad.
    @torch.no_grad()
    def segmentor_infer(self, side: str = 'plugin') -> list:
        with autocast(self.device, self.amp):
            return getattr(self, side).test_step(self.test_data)

    def plugin_infer(self) -> list:
        return self.segmentor_infer('plugin')

    def plain_infer(self) -> list:
        return self.segmentor_infer('plain')

    @torch.no_grad()
    def bare_infer(self) -> Tensor:
        with autocast(self.device, self.amp):
            return self.bare(self.bare_inputs()).argmax(dim=1)

    def plugin_logits(self, side: str = 'plugin') -> Tensor:
        """Cropped full-resolution logits through MMSeg (eval mode)."""
        return self.segmentor_infer(side)[0].seg_logits.data.float()

    # Training: one SGD step on the summed Caffe loss.
    def segmentor_train(self, side: str = 'plugin') -> dict:
        with autocast(self.device, self.amp):
            return getattr(self, side).train_step(self.train_data,
                                                  self.optim_wrappers[side])

    def plugin_train(self) -> dict:
        return self.segmentor_train('plugin')

    def plain_train(self) -> dict:
        return self.segmentor_train('plain')

    def bare_train(self) -> Tensor:
        with autocast(self.device, self.amp):
            logits = self.bare(self.bare_inputs())
            loss = F.cross_entropy(
                logits,
                self.labels.to(self.device),
                ignore_index=IGNORE_INDEX,
                reduction='sum')
            loss.backward()
            self.optimizer.step()
            self.optimizer.zero_grad()
        return loss.detach()


def build_pair(net: str,
               shape: Sequence[int],
               tiny: bool = False,
               device: str = 'cpu',
               amp: Optional[str] = None,
               channels_last: bool = False,
               seed: int = 0,
               options: Optional[dict] = None,
               with_plain: bool = True) -> Pair:
    """Plugin, plain plugin and bare nets with identical weights.

    Args:
        options (dict, optional): Overrides of the plugin's model
            settings by dotted key (the config's are used otherwise). The
            plain plugin gets them as well, with :data:`PLAIN_OPTIONS` on
            top.
        channels_last (bool): Run the bare and plain nets in NHWC too.
        with_plain (bool): Also build the plain plugin.
    """
    plugin = build_plugin(net, tiny, seed, options)
    plain = None
    if with_plain:
        # The user's overrides too, except that the kernels are the bare's.
        plain = build_plugin(net, tiny, seed, {
            **(options or {}),
            **PLAIN_OPTIONS
        })
        plain.load_state_dict(plugin.state_dict())
        plain.to(device)
    bare = bare_like(plugin, net)
    plugin.to(device)
    bare.to(device)
    if channels_last:
        bare.to(memory_format=torch.channels_last)
        if plain is not None:
            plain.to(memory_format=torch.channels_last)
    imgs, labels = fake_batch(shape, plugin.decode_head.out_channels, seed)
    return Pair(net, plugin, bare, imgs, labels, device, amp, plain)
