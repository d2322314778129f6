"""The one net table: read off the heads and the trunk, used everywhere."""
import pytest

from fcn_plugin.converters.layers import (UPSCORE_KERNELS, expected_shapes,
                                          net_keys)
from fcn_plugin.engine import model_net
from fcn_plugin.models import net_name_of
from fcn_plugin.models.net_table import (NET_TITLES, PREVIOUS_STAGE, STAGES,
                                         VARIANTS, net_of_layers,
                                         variant_mismatch)
from ..conftest import TINY_WIDTHS, build_model

NETS = ('fcn32s', 'fcn16s', 'fcn8s', 'fcn8s-atonce')


@pytest.mark.parametrize('net', NETS)
def test_reference_nets_keep_their_keys_and_shapes(net):
    """State-dict keys (in order) and shapes are those of the table."""
    model = build_model(net)
    state = model.state_dict()
    assert list(state) == net_keys(net)
    shapes = expected_shapes(net, TINY_WIDTHS['stage_channels'],
                             TINY_WIDTHS['fc_channels'], 21)
    assert shapes == {k: tuple(v.shape) for k, v in state.items()}
    assert net_name_of(model) == model_net(model) == net
    assert net_of_layers(state) == net.replace('-atonce', '')
    head = model.decode_head
    for name, kernel in UPSCORE_KERNELS.items():
        if hasattr(head, name):
            layer = getattr(head, name)
            assert layer.kernel_size == (kernel, kernel)
            assert layer.stride[0] * 2 == kernel


def test_variant_names_stages_and_refusals():
    assert VARIANTS['fcn8s-simplified'] == (
        'fcn8s', frozenset({'plain', 'nofc', 'nopad'}))
    assert STAGES['fcn8s-simplified'] == 3
    assert PREVIOUS_STAGE['fcn8s-simplified'] == 'fcn16s-plain-nofc-nopad'
    assert PREVIOUS_STAGE['fcn8s-atonce-plain-nofc'] == 'vgg16-nofc'
    assert PREVIOUS_STAGE['fcn16s'] == 'fcn32s'
    assert 'no fc6/fc7' in NET_TITLES['fcn8s-simplified']
    # Caffe crops exist only for the pad-100 trunk with fc6/fc7
    assert 'fcn8s-nofc' not in VARIANTS
    assert variant_mismatch('fcn8s', 'fcn8s-atonce') is not None
    assert variant_mismatch('fcn8s-plain', 'fcn8s') is not None
    assert variant_mismatch('fcn16s-plain', 'fcn8s-plain') is None
    assert variant_mismatch('vgg16', 'fcn8s-simplified') is None
