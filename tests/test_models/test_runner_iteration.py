"""One training iteration of each net through MMEngine's Runner on CPU."""
import pytest
import torch
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

from fcn_plugin.models.decode_heads import ScoreLayer, UpscoreLayer
from fcn_plugin.models.utils import bilinear_kernel
from ..runner_utils import tiny_runner_cfg, write_tiny_voc


@pytest.fixture(scope='module')
def voc(tmp_path_factory):
    return write_tiny_voc(tmp_path_factory.mktemp('voc'), num=2,
                          size=(19, 27))


@pytest.mark.parametrize('net', ['fcn32s', 'fcn16s', 'fcn8s', 'fcn8s-atonce'])
def test_one_training_iteration(net, voc, tmp_path):
    cfg = tiny_runner_cfg(tmp_path, voc, net=net, max_iters=1)
    runner = Runner.from_cfg(cfg)
    head = runner.model.decode_head
    scores = [ly.name for ly in head.layers if isinstance(ly, ScoreLayer)]
    upscores = {
        ly.name: ly.kernel
        for ly in head.layers if isinstance(ly, UpscoreLayer)
    }
    before = {n: getattr(head, n).weight.detach().clone() for n in scores}
    runner.train()
    assert runner.iter == 1
    # every zero-initialised score layer learned
    for name in scores:
        assert not torch.equal(getattr(head, name).weight, before[name]), \
            name
    # the upsampling stayed the fixed bilinear kernel, bit for bit, in the
    # model and in the checkpoint written after the iteration
    ckpt = _load_checkpoint(str(tmp_path / 'iter_1.pth'), map_location='cpu')
    for name, kernel in upscores.items():
        bilinear = bilinear_kernel(head.out_channels, kernel)
        assert torch.equal(getattr(head, name).weight.detach(), bilinear)
        assert torch.equal(
            ckpt['state_dict'][f'decode_head.{name}.weight'], bilinear)
