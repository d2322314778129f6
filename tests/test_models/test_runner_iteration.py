"""One training iteration of each net through MMEngine's Runner on CPU."""
import pytest
import torch
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

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
    before = head.score_fr.weight.detach().clone()
    runner.train()
    assert runner.iter == 1
    # the zero-initialised score layer learned; the upsampling stayed fixed
    assert not torch.equal(head.score_fr.weight, before)
    ckpt = _load_checkpoint(str(tmp_path / 'iter_1.pth'), map_location='cpu')
    assert any(k.startswith('decode_head.upscore') for k in ckpt['state_dict'])
