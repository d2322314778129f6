"""The plugin's runtime: hooks for FCN weight files and reliable training.

What registers where (see docs/architecture.md): the hooks register in
MMSeg's ``HOOKS``, the atomic file backend in MMEngine's file backends;
:mod:`.mmengine_patches` holds the two workarounds that need MMEngine 0.10
internals and is installed here.
"""
from fcn_plugin.errors import NonFiniteLossError
from . import mmengine_patches
from .fcn_checkpoint_hook import AtomicLocalBackend, FCNCheckpointHook
from .fcn_weights_hook import FCNWeightsHook
from .iter_seed_hook import FCNIterSeedHook
from .nan_guard_hook import FCNNanGuardHook
from .weight_check import (LoadPlan, check_input, checkpoint_net,
                           converter_hint, missing_file_message, model_net,
                           plan_load)

mmengine_patches.install()

__all__ = [
    'AtomicLocalBackend', 'FCNCheckpointHook', 'FCNIterSeedHook',
    'FCNNanGuardHook', 'FCNWeightsHook', 'LoadPlan', 'NonFiniteLossError',
    'check_input', 'checkpoint_net', 'converter_hint', 'missing_file_message',
    'model_net', 'plan_load'
]
