"""FCN-32s/16s/8s/8s-at-once built from config versus the Caffe nets."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from fcn_plugin.models.utils import bilinear_kernel
from fcn_tools.reference_fcn import caffe_fcn, weights_by_caffe_name
from ..conftest import PLAIN, build_model, model_cfg, randomize

NETS = ('fcn32s', 'fcn16s', 'fcn8s', 'fcn8s-atonce')
UPSCORES = {
    'fcn32s': {'upscore': 64},
    'fcn16s': {'upscore2': 4, 'upscore16': 32},
    'fcn8s': {'upscore2': 4, 'upscore_pool4': 4, 'upscore8': 16},
    'fcn8s-atonce': {'upscore2': 4, 'upscore_pool4': 4, 'upscore8': 16},
}
SCORES = {
    'fcn32s': ('score_fr', ),
    'fcn16s': ('score_fr', 'score_pool4'),
    'fcn8s': ('score_fr', 'score_pool4', 'score_pool3'),
    'fcn8s-atonce': ('score_fr', 'score_pool4', 'score_pool3'),
}
# 1x1, tiny, odd, non-square and > 500.
SIZES = [(1, 1), (3, 2), (17, 31), (64, 47), (501, 37)]


def sample(h, w, label=None):
    ds = SegDataSample(
        metainfo=dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
    if label is not None:
        ds.gt_sem_seg = PixelData(data=label[None])
    return ds


def assert_close(actual, expected):
    scale = expected.abs().max().clamp_min(1e-12)
    torch.testing.assert_close(
        actual, expected, rtol=1e-5, atol=1e-5 * float(scale))


@pytest.mark.parametrize('net,expected', [
    ('fcn32s', 136_152_917),
    ('fcn16s', 134_815_994),
    ('fcn8s', 134_489_759),
    ('fcn8s-atonce', 134_489_759),
])
def test_parameter_counts_match_caffe(net, expected):
    model = build_model(net, tiny=False)
    assert sum(p.numel() for p in model.parameters()) == expected
    names = {n.split('.')[1] for n, _ in model.named_parameters()}
    assert {'conv1_1', 'conv5_3', 'fc6', 'fc7'} <= names
    assert set(SCORES[net]) | set(UPSCORES[net]) <= names


@pytest.mark.parametrize('net', NETS)
def test_caffe_initialisation_and_frozen_upsampling(net):
    model = build_model(net)
    model.init_weights()  # MMSeg's init must keep the Caffe init
    head = model.decode_head
    assert not hasattr(head, 'conv_seg')
    for name in SCORES[net]:
        layer = getattr(head, name)
        assert layer.weight.abs().sum() == 0 and layer.bias.abs().sum() == 0
    for name, k in UPSCORES[net].items():
        layer = getattr(head, name)
        assert layer.bias is None
        assert not layer.weight.requires_grad
        torch.testing.assert_close(layer.weight.data, bilinear_kernel(21, k))
    # Zero logits: summed loss is N_valid * ln(21); upsampling gets no grad.
    h, w = 23, 19
    label = torch.randint(0, 21, (h, w))
    label[:3] = 255
    model.train()
    losses = model.loss(
        torch.randn(1, 3, h, w), [sample(h, w, label)])
    n_valid = int((label != 255).sum())
    loss = losses['decode.loss_ce']
    assert loss.item() == pytest.approx(n_valid * math.log(21), rel=1e-6)
    loss.backward()
    for name in UPSCORES[net]:
        assert getattr(head, name).weight.grad is None
    assert head.score_fr.weight.grad is not None


def test_learnable_upsampling_gets_gradients():
    from mmseg.registry import MODELS
    cfg = model_cfg('fcn8s')
    cfg['decode_head']['learnable_upsample'] = True
    model = randomize(MODELS.build(cfg))
    label = torch.randint(0, 21, (15, 18))
    model.loss(torch.randn(1, 3, 15, 18),
               [sample(15, 18, label)])['decode.loss_ce'].backward()
    for name in UPSCORES['fcn8s']:
        grad = getattr(model.decode_head, name).weight.grad
        assert grad is not None and grad.abs().sum() > 0


@pytest.mark.parametrize('plain', [False, True], ids=['config', 'plain'])
@pytest.mark.parametrize('net', NETS)
def test_logits_equal_caffe_reference(net, plain):
    """As configured (fc6/fc7 as GEMM, NHWC) and as plain convolutions."""
    model = randomize(build_model(net, options=PLAIN if plain else None))
    model.eval()
    weights = weights_by_caffe_name(model)
    for h, w in SIZES:
        x = torch.randn(1, 3, h, w)
        with torch.no_grad():
            ref = caffe_fcn(weights, x, net)
            assert ref.shape[-2:] == (h, w)
            # predict path (EncoderDecoder -> head.predict -> postprocess)
            out = model.predict(x, [sample(h, w)])[0].seg_logits.data
            assert out.shape == (21, h, w)
            assert_close(out, ref[0])
        # loss path: summed CE of the plugin's logits equals the reference's
        label = torch.randint(0, 21, (h, w))
        losses = model.loss(x, [sample(h, w, label)])
        expected = F.cross_entropy(
            ref, label[None], ignore_index=255, reduction='sum')
        assert losses['decode.loss_ce'].item() == pytest.approx(
            expected.item(), rel=1e-5)


@pytest.mark.parametrize('net', NETS)
def test_padded_batch_and_slide_inference(net):
    model = randomize(build_model(net)).eval()
    weights = weights_by_caffe_name(model)
    pre = model.data_preprocessor
    imgs = [torch.randint(0, 256, (3, 21, 13), dtype=torch.uint8),
            torch.randint(0, 256, (3, 9, 30), dtype=torch.uint8)]
    samples = [sample(21, 13, torch.randint(0, 21, (21, 13))),
               sample(9, 30, torch.randint(0, 21, (9, 30)))]
    data = pre(dict(inputs=imgs, data_samples=samples), training=True)
    assert data['inputs'].shape[-2:] == (21, 30)
    # eval mode: dropout off, so both sides compute the same function
    losses = model.loss(data['inputs'], data['data_samples'])
    with torch.no_grad():
        ref = caffe_fcn(weights, data['inputs'], net)
    gt = torch.stack([s.gt_sem_seg.data[0] for s in data['data_samples']])
    expected = F.cross_entropy(ref, gt, ignore_index=255, reduction='sum')
    assert losses['decode.loss_ce'].item() == pytest.approx(
        expected.item(), rel=1e-5)

    model.test_cfg = ConfigDict(
        mode='slide', crop_size=(16, 16), stride=(11, 11))
    x = torch.randn(1, 3, 27, 40)
    with torch.no_grad():
        out = model.predict(x, [sample(27, 40)])[0]
    assert out.seg_logits.data.shape == (21, 27, 40)
    assert out.pred_sem_seg.data.shape == (1, 27, 40)


def test_wrong_image_meta_is_a_clear_error():
    model = build_model('fcn8s').eval()
    x = torch.randn(1, 3, 40, 40)
    with pytest.raises(ValueError, match='do not describe the network input'):
        model.predict(x, [sample(80, 80)])


def test_very_large_image():
    """A 4000x3000 photo goes through whole-image inference unchanged."""
    model = build_model('fcn8s').eval()
    x = torch.randn(1, 3, 3000, 4000)
    with torch.no_grad():
        out = model.predict(x, [sample(3000, 4000)])[0]
    assert out.pred_sem_seg.data.shape == (1, 3000, 4000)
