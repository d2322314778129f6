"""The two-head SIFT Flow nets built from config versus the reference.

``TwoHeadEncoderDecoder`` on the FCN-32s / 16s / 8s base configs (tiny
widths), with random weights, must give the logits of the independent
two-head reference (``BareTwoHeadFCN``, ``siftflow-fcn*/net.py``) for both
heads, at odd sizes down to 1x1.
"""
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from fcn_plugin.converters.layers import expected_shapes, net_keys
from fcn_plugin.engine import model_net
from fcn_plugin.models import TwoHeadEncoderDecoder, net_name_of
from fcn_plugin.models.utils import bilinear_kernel
from fcn_tools.reference_fcn import (TWO_HEADS, BareTwoHeadFCN,
                                     weights_by_caffe_name)
from ..conftest import TINY_WIDTHS, randomize
from ..test_converters.sources import (assert_close, build_two_head,
                                       segmentor_logits)

NETS = ('fcn32s', 'fcn16s', 'fcn8s')
SIZES = [(1, 1), (37, 45), (64, 29)]
HEADS = ('decode_head', 'geo_head')


def reference(model, net):
    """The reference net with the model's widths and weights."""
    bare = BareTwoHeadFCN(net, (33, 3), **TINY_WIDTHS)
    bare.load_caffe_weights(weights_by_caffe_name(model, dict(TWO_HEADS)))
    return bare.eval()


def sample(h, w):
    return SegDataSample(
        metainfo=dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))


@pytest.mark.parametrize('net', NETS)
def test_both_heads_equal_the_reference(net):
    model = randomize(build_two_head(net), seed=3).eval()
    assert isinstance(model, TwoHeadEncoderDecoder)
    assert net_name_of(model) == model_net(model) == net
    state = model.state_dict()
    assert list(state) == net_keys(net, HEADS)
    assert {k: tuple(v.shape) for k, v in state.items()} == expected_shapes(
        net, TINY_WIDTHS['stage_channels'], TINY_WIDTHS['fc_channels'],
        dict(decode_head=33, geo_head=3))
    bare = reference(model, net)
    for h, w in SIZES:
        x = torch.randn(1, 3, h, w)
        with torch.no_grad():
            sem, geo = bare.forward_heads(x)
            got = segmentor_logits(model, x)
        assert sem.abs().sum() > 0 and geo.abs().sum() > 0
        assert got.shape == (1, 36, h, w)
        assert_close(got[:, :33], sem)
        assert_close(got[:, 33:], geo)
    # predict: both maps, each from its own head's logits
    with torch.no_grad():
        out = model.predict(x, [sample(h, w)])[0]
    assert_close(out.seg_logits.data[None], sem)
    assert_close(out.geo_logits.data[None], geo)
    assert torch.equal(out.pred_geo_seg.data[0], geo[0].argmax(0))
    # mode='tensor': both heads' raw logits, semantic first
    with torch.no_grad():
        assert model(x, mode='tensor').shape[1] == 36


def test_geometric_head_is_its_own_layers():
    """Changing geo_head's weights changes the geometric logits only."""
    model = randomize(build_two_head('fcn16s'), seed=1).eval()
    x = torch.randn(1, 3, 37, 45)
    before = segmentor_logits(model, x)
    with torch.no_grad():
        model.geo_head.score_fr.bias.add_(1.)
    after = segmentor_logits(model, x)
    assert torch.equal(before[:, :33], after[:, :33])
    assert not torch.equal(before[:, 33:], after[:, 33:])
    # the reference init: zero score layers, bilinear upscore layers
    fresh = build_two_head('fcn16s')
    fresh.init_weights()
    assert not fresh.geo_head.score_pool4.weight.any()
    assert torch.equal(fresh.geo_head.upscore16.weight,
                       bilinear_kernel(3, 32))


def test_loss_is_the_sum_of_both_heads():
    model = randomize(build_two_head('fcn32s'), seed=2).eval()
    bare = reference(model, 'fcn32s')
    h, w = 21, 17
    x = torch.randn(1, 3, h, w)
    sem_label = torch.randint(0, 33, (h, w))
    geo_label = torch.randint(0, 3, (h, w))
    geo_label[:2] = 255
    data = sample(h, w)
    data.gt_sem_seg = PixelData(data=sem_label[None])
    data.gt_geo_seg = PixelData(data=geo_label[None])
    losses = model.loss(x, [data])
    with torch.no_grad():
        sem, geo = bare.forward_heads(x)
    ce = torch.nn.functional.cross_entropy
    assert losses['decode.loss_sem'].item() == pytest.approx(
        ce(sem, sem_label[None], reduction='sum').item(), rel=1e-5)
    assert losses['geo.loss_geo'].item() == pytest.approx(
        ce(geo, geo_label[None], ignore_index=255, reduction='sum').item(),
        rel=1e-5)
