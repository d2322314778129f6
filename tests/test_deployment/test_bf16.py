"""bf16 CPU inference: PrecisionEncoderDecoder and --precision."""
import re

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from fcn_plugin.models.segmentors import set_precision
from ..conftest import model_cfg, randomize
from .conftest import needs_bf16, run


def build(net: str, precision: str) -> torch.nn.Module:
    """A tiny net as a config user selects it (--cfg-options
    model.type=PrecisionEncoderDecoder model.precision=...)."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    return MODELS.build(set_precision(model_cfg(net), precision))


def predict(model, x):
    from mmseg.structures import SegDataSample
    h, w = x.shape[-2:]
    meta = dict(img_shape=(h, w), ori_shape=(h, w))
    with torch.no_grad():
        return model.predict(x, [SegDataSample(metainfo=meta)])[0]


class CountCasts(TorchDispatchMode):
    """Counts the tensor copies to bfloat16 made by aten."""

    def __init__(self):
        super().__init__()
        self.to_bf16 = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in (torch.ops.aten._to_copy.default,
                    torch.ops.aten.to.dtype) and (
                        kwargs.get('dtype') == torch.bfloat16
                        or torch.bfloat16 in args):
            self.to_bf16 += 1
        return func(*args, **kwargs)


#: Activations cast to bf16 per call besides the image: FCN-AlexNet's LRN
#: runs in fp32 (no bf16 CPU kernel), its output cast back, twice.
EXTRA_CASTS = {'fcn32s-alexnet': 2}


@needs_bf16
@pytest.mark.parametrize('net', ['fcn32s', 'fcn8s-atonce', 'fcn32s-alexnet'])
def test_bf16_trunk_cast_once_fp32_logits(net):
    ref = randomize(build(net, 'fp32')).eval()
    low = build(net, 'bf16').eval()
    # Weights are bf16 from the build on; loading fp32 weights converts.
    assert {p.dtype for p in low.backbone.parameters()} == {torch.bfloat16}
    assert {p.dtype for p in low.decode_head.parameters()} == {torch.float32}
    low.load_state_dict(ref.state_dict())
    assert {p.dtype for p in low.backbone.parameters()} == {torch.bfloat16}
    x = torch.randn(1, 3, 37, 51) * 60
    with CountCasts() as casts:
        out = predict(low, x)
    # One cast per call, the image (and the LRN outputs); never a weight
    # (autocast casts each).
    assert casts.to_bf16 == 1 + EXTRA_CASTS.get(net, 0)
    with CountCasts() as autocast_casts, torch.autocast('cpu',
                                                        torch.bfloat16):
        predict(ref, x)
    assert autocast_casts.to_bf16 > 10
    expected = predict(ref, x)
    logits, ref_logits = out.seg_logits.data, expected.seg_logits.data
    assert logits.dtype == torch.float32 and logits.shape == (21, 37, 51)
    rel = (logits - ref_logits).abs().max() / ref_logits.abs().max()
    assert 0 < rel < 0.05  # bf16 rounding, not another function
    agree = (out.pred_sem_seg.data == expected.pred_sem_seg.data)
    assert agree.float().mean() > 0.9


def test_bf16_refused_without_bf16_instructions(monkeypatch):
    monkeypatch.setattr(torch.cpu, '_is_avx512_bf16_supported', lambda: False)
    monkeypatch.setattr(torch.cpu, '_is_amx_tile_supported', lambda: False)
    with pytest.raises(ValueError, match='needs a CPU with bf16 '
                       r'instructions \(avx512_bf16 or amx_bf16'):
        build('fcn16s', 'bf16')
    build('fcn16s', 'fp32')  # fp32 is unaffected


@needs_bf16
def test_bf16_is_for_inference_only():
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    model = build('fcn32s', 'bf16').train()
    sample = SegDataSample(
        metainfo=dict(img_shape=(9, 7), pad_shape=(9, 7)),
        gt_sem_seg=PixelData(data=torch.zeros(1, 9, 7, dtype=torch.long)))
    with pytest.raises(ValueError, match='for inference: train with '
                       'model.precision=fp32'):
        model.loss(torch.randn(1, 3, 9, 7), [sample])


def test_set_precision_rejects_other_segmentors():
    with pytest.raises(ValueError, match="model.type=EncoderDecoder .*"
                       "got 'CascadeEncoderDecoder'"):
        set_precision(dict(type='CascadeEncoderDecoder'), 'bf16')
    cfg = dict(type='EncoderDecoder')
    assert set_precision(cfg, 'fp32') == dict(type='EncoderDecoder')


@needs_bf16
def test_test_tool_and_precision_check_tool(tiny_checkpoints, tmp_path):
    from ..runner_utils import write_tiny_voc
    voc = write_tiny_voc(tmp_path / 'data', num=3, size=(23, 31))
    config, ckpt = tiny_checkpoints['fcn8s']
    data = [
        f'{split}_dataloader.dataset.data_root={voc}'
        for split in ('train', 'val', 'test')
    ]
    proc = run('tools/test.py', config, ckpt, '--precision', 'bf16',
               '--work-dir', tmp_path / 'work', '--cfg-options', *data)
    assert 'mIoU' in proc.stdout + proc.stderr
    # An unreachable bound: the numbers are printed, then one error line.
    proc = run(
        'tools/deployment/check_precision.py',
        config,
        ckpt,
        '--min-agreement',
        '1.01',
        '--cfg-options',
        *data,
        check=False)
    assert proc.returncode == 1, proc.stderr
    counts = re.search(r'(\d+) test images, (\d+) pixels', proc.stdout)
    assert counts, proc.stdout
    images, pixels = map(int, counts.groups())
    assert images > 0 and pixels == images * 23 * 31
    assert 'argmax agreement bf16 vs fp32: ' in proc.stdout
    assert 'mIoU fp32 ' in proc.stdout and ', bf16 ' in proc.stdout
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith('error')]
    assert len(errors) == 1 and 'beyond the bounds' in errors[0]
    assert 'Traceback' not in proc.stderr
