"""Mixed precision: the AMP config, and bf16 autocast on CPU against fp32."""
import copy

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from .conftest import CONFIGS, TINY_HEAD_CHANNELS, TINY_WIDTHS, randomize

AMP_CONFIG = CONFIGS / 'fcn8s-atonce_vgg16_4xb2-amp-40k_voc12aug-500x500.py'


def tiny_amp_model():
    from mmseg.registry import MODELS
    cfg = Config.fromfile(str(AMP_CONFIG))
    init_default_scope('mmseg')
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.update(TINY_WIDTHS, init_cfg=None)
    model_cfg.decode_head.in_channels = TINY_HEAD_CHANNELS['fcn8s']
    model_cfg.data_preprocessor.size = (45, 37)
    return cfg, MODELS.build(model_cfg)


def test_amp_config_uses_mmengine_amp_and_nhwc():
    cfg, model = tiny_amp_model()
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.optim_wrapper.optimizer.type == 'SGD'  # rest inherited
    assert model.backbone.channels_last and model.backbone.fc_gemm


def test_bf16_autocast_logits_close_to_fp32_on_cpu():
    from mmseg.structures import SegDataSample
    _, model = tiny_amp_model()
    randomize(model)
    model.eval()
    x = torch.randn(1, 3, 45, 37) * 50
    meta = dict(img_shape=(45, 37), ori_shape=(45, 37), pad_shape=(45, 37))
    with torch.no_grad():
        ref = model.predict(x, [SegDataSample(metainfo=meta)])[0]
        with torch.autocast('cpu', dtype=torch.bfloat16):
            low = model.predict(x, [SegDataSample(metainfo=meta)])[0]
    ref_logits = ref.seg_logits.data.float()
    low_logits = low.seg_logits.data.float()
    rel = (low_logits - ref_logits).abs().max() / ref_logits.abs().max()
    assert 0 < rel < 0.05  # bf16 rounding, not a different function
    agree = (low.pred_sem_seg.data == ref.pred_sem_seg.data).float().mean()
    assert agree > 0.9


def test_bf16_autocast_train_step_on_cpu():
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    cfg, model = tiny_amp_model()
    randomize(model)
    model.train()
    # AmpOptimWrapper needs a GPU; on CPU the same autocast runs by hand.
    optim_cfg = dict(cfg.optim_wrapper, type='OptimWrapper')
    optim_cfg.pop('loss_scale')
    wrapper = build_optim_wrapper(model, optim_cfg)
    sample = SegDataSample(
        metainfo=dict(img_shape=(45, 37), ori_shape=(45, 37)))
    sample.gt_sem_seg = PixelData(
        data=torch.randint(0, 21, (1, 45, 37)))
    data = dict(
        inputs=[torch.randint(0, 256, (3, 45, 37), dtype=torch.uint8)],
        data_samples=[sample])
    before = model.backbone.conv1_1.weight.detach().clone()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model.train_step(data, wrapper)
    assert torch.isfinite(losses['loss'])
    assert model.backbone.conv1_1.weight.dtype == torch.float32
    assert not torch.equal(before, model.backbone.conv1_1.weight)
