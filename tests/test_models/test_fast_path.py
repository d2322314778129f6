"""The backbone's fast path (fc6/fc7 as im2col + GEMM, channels_last)
computes the plain network's function, forward and backward."""
import pytest
import torch
import torch.nn as nn

from fcn_plugin.models.backbones import vgg16_caffe
from fcn_plugin.models.utils import conv_rows, im2col_bytes, rows_to_map
from ..conftest import PLAIN_BACKBONE, TINY_WIDTHS, build_model

FAST = dict(fc_gemm=True, channels_last=True)


def backbones(**extra):
    from mmseg.registry import MODELS
    nets = []
    for mode in (PLAIN_BACKBONE, FAST):
        cfg = dict(type='VGG16Caffe', out_indices=(0, 2, 3, 4, 5),
                   **{**TINY_WIDTHS, **mode, **extra})
        nets.append(MODELS.build(cfg))
    nets[1].load_state_dict(nets[0].state_dict())
    return nets


@pytest.mark.parametrize('shape', [(1, 3, 1, 1), (2, 3, 17, 31),
                                   (1, 3, 64, 47)])
def test_fast_path_outputs_equal_plain(shape):
    plain, fast = (m.eval() for m in backbones())
    x = torch.randn(shape)
    with torch.no_grad():
        for a, b in zip(plain(x), fast(x)):
            assert a.shape == b.shape
            assert b.is_contiguous(memory_format=torch.channels_last)
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6)


def test_fast_path_gradients_equal_plain():
    plain, fast = backbones(dropout_ratio=0.)
    x = torch.randn(2, 3, 23, 19)
    for net in (plain, fast):
        net.train()
        outs = net(x)
        gen = torch.Generator().manual_seed(1)
        # a random linear loss on every output, so every path gets gradient
        loss = sum((o * torch.randn(o.shape, generator=gen)).sum()
                   for o in outs)
        loss.backward()
    for (name, p), q in zip(plain.named_parameters(), fast.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-5,
                                   msg=name)


def test_dropout_still_drops_on_the_gemm_path():
    """drop6/drop7 zero about half of fc7 in training, none in eval.

    fc6/fc7 get positive weights and biases, so ReLU zeroes nothing and
    every zero of fc7 is a dropped unit: 6272 values (2 images, 7x7, 64
    channels), where a binomial(0.5) fraction lies within 0.45..0.55 with
    near certainty, and is exactly 0 without dropout.
    """
    _, fast = backbones(dropout_ratio=0.5, fc_channels=64)
    with torch.no_grad():
        for layer in (fast.fc6, fast.fc7):
            layer.weight.uniform_(0., 0.01)
            layer.bias.uniform_(0.1, 0.2)
    x = torch.randn(2, 3, 200, 200)
    fast.eval()
    with torch.no_grad():
        fc7_eval = fast(x)[-1]
    assert fc7_eval.shape == (2, 64, 7, 7)
    assert int((fc7_eval == 0).sum()) == 0
    fast.train()
    with torch.no_grad():
        fc7 = fast(x)[-1]
    zeros = float((fc7 == 0).float().mean())
    assert 0.45 < zeros < 0.55


def test_large_maps_fall_back_to_the_convolution(monkeypatch):
    plain, fast = (m.eval() for m in backbones())
    x = torch.randn(1, 3, 30, 30)
    pool5 = plain(x)[3]
    assert im2col_bytes(pool5, fast.fc6) > 0

    def refuse(*args):
        raise AssertionError('GEMM path used above the limit')

    monkeypatch.setattr(vgg16_caffe, 'IM2COL_MAX_BYTES',
                        im2col_bytes(pool5, fast.fc6) - 1)
    monkeypatch.setattr(vgg16_caffe, 'conv_rows', refuse)
    with torch.no_grad():
        torch.testing.assert_close(fast(x)[-1], plain(x)[-1], rtol=1e-5,
                                   atol=1e-6)


def test_conv_rows_matches_conv2d_and_rejects_padding():
    conv = nn.Conv2d(5, 7, 3)
    x = torch.randn(2, 5, 6, 9)
    rows = conv_rows(x, conv)
    assert rows.shape == (2, 4 * 7, 7)
    torch.testing.assert_close(rows_to_map(rows, 4, 7), conv(x),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='valid stride-1'):
        conv_rows(x, nn.Conv2d(5, 7, 3, padding=1))


def test_channels_last_survives_loading_contiguous_weights():
    plain, fast = backbones()
    assert fast.conv2_1.weight.is_contiguous(memory_format=torch.channels_last)
    fast.load_state_dict(
        {k: v.contiguous() for k, v in plain.state_dict().items()})
    assert fast.conv2_1.weight.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(fast.conv2_1.weight, plain.conv2_1.weight)


def test_fc_weights_stay_contiguous_for_a_copy_free_gemm():
    _, fast = backbones()
    for name in ('fc6', 'fc7'):
        weight = getattr(fast, name).weight
        assert weight.is_contiguous()
        assert weight.flatten(1).data_ptr() == weight.data_ptr()


@pytest.mark.parametrize('net', ['fcn32s', 'fcn16s', 'fcn8s'])
def test_configured_nets_keep_logits_nhwc(net):
    """The configs put the head in channels_last too: the logits MMSeg takes
    the per-pixel argmax of have the classes innermost."""
    model = build_model(net).eval()
    assert model.decode_head.channels_last
    meta = dict(img_shape=(19, 23), ori_shape=(19, 23), pad_shape=(19, 23))
    with torch.no_grad():
        logits = model.decode_head.predict(
            model.extract_feat(torch.randn(1, 3, 19, 23)), [meta],
            model.test_cfg)
    assert logits.shape == (1, 21, 19, 23)
    assert logits.stride(1) == 1
