"""The FCN segmentor as one ONNX graph: image in, logits or labels out.

The graph holds what MMSeg's test step does to a tensor image: the data
preprocessor's channel order and mean/std, the trunk, the head with its
Caffe crops, and (``output='labels'``) the per-pixel argmax. Its input is
the image as ``SegDataPreProcessor`` receives it: (N, 3, H, W) float,
0-255, in the channel order the image was loaded (BGR for the configs of
`FCN <https://arxiv.org/abs/1605.06211>`_).

The crops read their sizes from the traced tensors' shapes (see
``fcn_plugin.models.utils.caffe_geometry.caffe_crop``), so with dynamic
axes one file serves any batch, height and width >= 1.
"""
import contextlib
import os.path as osp
from typing import Dict, Iterator, Optional, Sequence

import torch
import torch.nn as nn
from torch import Tensor

from fcn_plugin.models import CaffeFCNHead, net_name_of
from .runtime import (META_CLASSES, META_CONFIG, META_NET, META_OUTPUT,
                      import_deploy_module)

#: What the graph can return.
OUTPUTS = ('logits', 'labels')
#: Name of the graph's input.
INPUT_NAME = 'img'
#: Default ONNX opset (every operator of the nets exists since opset 11).
DEFAULT_OPSET = 17


def model_net_name(model: nn.Module) -> str:
    """The net a segmentor computes (``fcn_plugin.models.net_name_of``),
    e.g. 'fcn8s-atonce', or 'unknown'."""
    return net_name_of(model) or 'unknown'


def export_problem(model: nn.Module) -> Optional[str]:
    """Why ``model`` cannot be exported as one graph, or None.

    Args:
        model (nn.Module): A built segmentor.

    Returns:
        str | None: A message naming the setting at fault and what to do.
    """
    head = getattr(model, 'decode_head', None)
    if not hasattr(model, 'extract_feat') or head is None:
        return (f'model.type={type(model).__name__} is not an '
                'EncoderDecoder-style segmentor; export an EncoderDecoder '
                'with one of the plugin FCN heads')
    if not isinstance(head, CaffeFCNHead):
        return (f'model.decode_head.type={type(head).__name__} is not one '
                'of the plugin FCN heads (FCN32sHead, FCN16sHead, '
                'FCN8sHead)')
    precision = getattr(model, 'precision', 'fp32')
    if precision != 'fp32':
        return (f'model.precision={precision!r}: export the fp32 model '
                '(drop the precision setting; ONNX Runtime runs the fp32 '
                'graph)')
    mode = (model.test_cfg or {}).get('mode', 'whole')
    if mode != 'whole':
        return (f'model.test_cfg.mode={mode!r}: sliding-window inference '
                'is a loop over patches, not one graph; export with '
                "--cfg-options model.test_cfg.mode=whole (the FCNs take "
                'any image size)')
    pre = model.data_preprocessor
    for key in ('mean', 'std'):
        if not hasattr(pre, key):
            return (f'model.data_preprocessor.type={type(pre).__name__} '
                    f'has no {key}; use SegDataPreProcessor')
    pad = getattr(pre, 'test_cfg', None) or {}
    if pad.get('size') or pad.get('size_divisor'):
        return ('model.data_preprocessor.test_cfg pads test images '
                f'({dict(pad)}); the exported graph takes the image as it '
                'is: remove the test padding')
    return None


class FCNOnnxModule(nn.Module):
    """What the exported graph computes, as a module.

    Args:
        model (nn.Module): A segmentor accepted by :func:`export_problem`.
        output (str): 'logits' for (N, C, H, W) float32 logits, or 'labels'
            for the (N, H, W) int64 label map (argmax over classes, or the
            sigmoid threshold of a one-channel head, as MMSeg predicts).
    """

    def __init__(self, model: nn.Module, output: str = 'logits') -> None:
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f'output must be one of {OUTPUTS}, got '
                             f'{output!r}')
        pre = model.data_preprocessor
        self.model = model
        self.output = output
        self.bgr_to_rgb = bool(getattr(pre, 'channel_conversion', False))
        self.normalize = bool(getattr(pre, '_enable_normalize', True))
        self.register_buffer(
            'mean', pre.mean.detach().float().reshape(1, -1, 1, 1).clone())
        self.register_buffer(
            'std', pre.std.detach().float().reshape(1, -1, 1, 1).clone())

    def forward(self, img: Tensor) -> Tensor:
        """(N, 3, H, W) image, 0-255 -> logits or labels at (H, W)."""
        if self.bgr_to_rgb:
            img = img[:, [2, 1, 0], :, :]
        if self.normalize:
            img = (img - self.mean) / self.std
        head = self.model.decode_head
        logits = head.forward(self.model.extract_feat(img), img.shape[-2:])
        logits = logits.float()
        if self.output == 'logits':
            return logits
        if head.out_channels > 1:
            return logits.argmax(dim=1)
        return (logits.sigmoid() > head.threshold).squeeze(1).long()


@contextlib.contextmanager
def plain_fc(model: nn.Module) -> Iterator[None]:
    """Run fc6/fc7 as direct convolutions inside the block.

    ``fc_gemm`` is a PyTorch kernel choice with the same function; ONNX
    has no im2col operator (torch emits it as gathers), while ONNX
    Runtime's ``Conv`` is itself an im2col + GEMM.
    """
    backbone = getattr(model, 'backbone', None)
    saved = getattr(backbone, 'fc_gemm', None)
    if saved is not None:
        backbone.fc_gemm = False
    try:
        yield
    finally:
        if saved is not None:
            backbone.fc_gemm = saved


def export_onnx(model: nn.Module,
                out_file: str,
                shape: Sequence[int] = (1, 3, 500, 500),
                dynamic: bool = True,
                opset: int = DEFAULT_OPSET,
                output: str = 'logits',
                config_name: str = '') -> Dict[str, str]:
    """Export a segmentor to ``out_file``.

    Uses the TorchScript exporter (``torch.onnx.export(..., dynamo=False)``):
    it traces one call, and every size the crops need is a traced shape,
    so the dynamic axes hold (see the tool's docstring for why not
    ``dynamo=True``).

    Args:
        model (nn.Module): Segmentor in eval mode, accepted by
            :func:`export_problem`.
        out_file (str): Path of the ``.onnx`` file.
        shape (Sequence[int]): (N, C, H, W) of the example input.
        dynamic (bool): Make batch, height and width dynamic axes.
        opset (int): ONNX opset version.
        output (str): 'logits' or 'labels'.
        config_name (str): Config file name stored in the metadata.

    Returns:
        dict: The metadata written into the file.
    """
    onnx = import_deploy_module('onnx')
    problem = export_problem(model)
    if problem is not None:
        raise ValueError(problem)
    module = FCNOnnxModule(model, output).eval()
    dummy = torch.rand(*shape) * 255
    axes = None
    if dynamic:
        img_axes = {0: 'batch', 2: 'height', 3: 'width'}
        out_axes = img_axes if output == 'logits' else {
            0: 'batch',
            1: 'height',
            2: 'width'
        }
        axes = {INPUT_NAME: img_axes, output: out_axes}
    with plain_fc(model), torch.no_grad():
        torch.onnx.export(
            module,
            (dummy, ),
            out_file,
            input_names=[INPUT_NAME],
            output_names=[output],
            dynamic_axes=axes,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False)
    meta = {
        META_NET: model_net_name(model),
        META_CLASSES: str(model.decode_head.out_channels),
        META_OUTPUT: output,
        META_CONFIG: osp.basename(config_name),
    }
    proto = onnx.load(out_file)
    onnx.helper.set_model_props(proto, meta)
    onnx.save(proto, out_file)
    return meta
