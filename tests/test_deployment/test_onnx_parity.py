"""ONNX export: one dynamic file per net equals PyTorch at every size."""
import numpy as np
import pytest
import torch
import torch.nn as nn

from fcn_tools.deploy.export import export_onnx, export_problem
from fcn_tools.deploy.runtime import OrtSegmentor
from ..conftest import build_model, randomize
from .conftest import needs_bf16

NETS = ('fcn32s', 'fcn16s', 'fcn8s', 'fcn8s-atonce')
#: (N, H, W) the parity test runs; the export itself traces 1x45x37.
SIZES = ((1, 1, 1), (1, 37, 501), (1, 64, 80), (2, 23, 31))
EXPORT_SHAPE = (1, 3, 45, 37)


def torch_logits(model: torch.nn.Module, img: np.ndarray) -> np.ndarray:
    """Logits of MMSeg's test step on a (N, 3, H, W) 0-255 image."""
    from mmseg.structures import SegDataSample
    n, _, h, w = img.shape
    samples = [
        SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
        for _ in range(n)
    ]
    with torch.no_grad():
        out = model.test_step(
            dict(inputs=list(torch.from_numpy(img)), data_samples=samples))
    return np.stack([s.seg_logits.data.numpy() for s in out])


def tiny_net(net: str, **options) -> torch.nn.Module:
    """A tiny-width net as its model config builds it, random weights
    (the score layers would start at zero) and mean subtraction kept."""
    model = randomize(build_model(net, options=options), seed=1)
    return model.eval()


def image(n: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((n, 3, h, w)) * 255).astype(np.float32)


@pytest.fixture(scope='module', params=NETS)
def exported(request, tmp_path_factory):
    """(net, model, ONNX Runtime session of its one dynamic file)."""
    model = tiny_net(request.param)
    path = tmp_path_factory.mktemp('onnx') / f'{request.param}.onnx'
    meta = export_onnx(model, str(path), shape=EXPORT_SHAPE, dynamic=True)
    assert meta['fcn_plugin.net'] == request.param
    return request.param, model, OrtSegmentor(str(path))


@pytest.mark.parametrize('n,h,w', SIZES)
def test_onnx_runtime_equals_pytorch(exported, n, h, w):
    net, model, ort = exported
    # The configs' fast kernels are on: ONNX gets the same function.
    assert model.backbone.fc_gemm and model.backbone.channels_last
    img = image(n, h, w)
    ref = torch_logits(model, img)
    got = ort(img)
    assert got.shape == ref.shape == (n, 21, h, w)
    span = ref.max() - ref.min()
    assert span > 0
    assert np.abs(got - ref).max() <= 1e-4 * span, net
    assert np.array_equal(got.argmax(axis=1), ref.argmax(axis=1)), net
    assert np.array_equal(ort.labels(img), ref.argmax(axis=1))


def test_static_export_takes_only_its_size(tmp_path):
    model = tiny_net('fcn8s')
    path = tmp_path / 'static.onnx'
    export_onnx(model, str(path), shape=(1, 3, 40, 52), dynamic=False)
    ort = OrtSegmentor(str(path))
    img = image(1, 40, 52)
    assert np.abs(ort(img) - torch_logits(model, img)).max() < 1e-3
    with pytest.raises(ValueError, match=r'fixed input img \[1, 3, 40, 52\]'
                       r'.*found image \[1, 3, 41, 52\].*--dynamic'):
        ort(image(1, 41, 52))


def test_labels_output_and_bgr_to_rgb_preprocessor(tmp_path):
    """The label-map graph, with an RGB (torchvision) preprocessor whose
    channel flip and std division live in the graph."""
    model = tiny_net(
        'fcn16s',
        **{
            'data_preprocessor.bgr_to_rgb': True,
            'data_preprocessor.mean': [123.675, 116.28, 103.53],
            'data_preprocessor.std': [58.395, 57.12, 57.375],
            'backbone.fc_gemm': False,
            'backbone.channels_last': False,
            'decode_head.channels_last': False,
        })
    path = tmp_path / 'labels.onnx'
    export_onnx(model, str(path), shape=EXPORT_SHAPE, output='labels')
    ort = OrtSegmentor(str(path))
    assert ort.output_name == 'labels'
    for n, h, w in ((1, 29, 43), (2, 3, 2)):
        img = image(n, h, w, seed=h)
        labels = ort(img)
        assert labels.shape == (n, h, w)
        assert np.array_equal(labels, torch_logits(model, img).argmax(1))


def test_slide_inference_cannot_export(tmp_path):
    model = tiny_net('fcn32s')
    model.test_cfg = dict(mode='slide', crop_size=(32, 32), stride=(16, 16))
    assert 'mode=whole' in export_problem(model)
    with pytest.raises(ValueError, match="test_cfg.mode='slide'"):
        export_onnx(model, str(tmp_path / 'x.onnx'))
    assert not (tmp_path / 'x.onnx').exists()


@needs_bf16
def test_bf16_model_is_not_exported(tmp_path):
    model = tiny_net('fcn16s', type='PrecisionEncoderDecoder',
                     precision='bf16')
    with pytest.raises(ValueError, match="model.precision='bf16': export "
                       'the fp32 model'):
        export_onnx(model, str(tmp_path / 'x.onnx'))


def test_alexnet_lrn_and_group_convs_export(tmp_path):
    """FCN-AlexNet in one dynamic file: the group-2 convs and the LRN
    (traced as its arithmetic) give PyTorch's logits at odd sizes."""
    onnx = pytest.importorskip('onnx')
    model = tiny_net('fcn32s-alexnet')
    path = tmp_path / 'fcn32s-alexnet.onnx'
    meta = export_onnx(model, str(path), shape=EXPORT_SHAPE, dynamic=True)
    assert meta['fcn_plugin.net'] == 'fcn32s-alexnet'
    groups = [
        onnx.helper.get_attribute_value(a)
        for node in onnx.load(str(path)).graph.node if node.op_type == 'Conv'
        for a in node.attribute if a.name == 'group'
    ]
    # conv1 .. conv5, fc6, fc7, score_fr
    assert groups == [1, 2, 1, 2, 2, 1, 1, 1]
    ort = OrtSegmentor(str(path))
    for n, h, w in ((1, 37, 501), (2, 23, 31)):
        img = image(n, h, w, seed=h)
        ref = torch_logits(model, img)
        got = ort(img)
        assert got.shape == ref.shape == (n, 21, h, w)
        span = ref.max() - ref.min()
        assert np.abs(got - ref).max() <= 1e-4 * span
        assert np.array_equal(got.argmax(axis=1), ref.argmax(axis=1))
        # the LRN matters at these activations (0-255 images minus the
        # mean): a graph without it would be far off
        norm, model.backbone.norm = model.backbone.norm, nn.Identity()
        try:
            without_lrn = torch_logits(model, img)
        finally:
            model.backbone.norm = norm
        assert np.abs(without_lrn - ref).max() > 0.1 * span
