from .atomic_io import AtomicLocalBackend, atomic_write
from .dist_env import init_cpu_dist
from .fcn_checkpoint_hook import FCNCheckpointHook
from .fcn_weights_hook import FCNWeightsHook
from .iter_seed_hook import FCNIterSeedHook
from .nan_guard_hook import FCNNanGuardHook, NonFiniteLossError
from .resume_check import check_resume_file, latest_checkpoint
from .weight_check import (LoadPlan, check_input, checkpoint_net,
                           converter_hint, missing_file_message, model_net,
                           plan_load)

__all__ = [
    'AtomicLocalBackend', 'FCNCheckpointHook', 'FCNIterSeedHook',
    'FCNNanGuardHook', 'FCNWeightsHook', 'LoadPlan', 'NonFiniteLossError',
    'atomic_write', 'check_input', 'check_resume_file', 'checkpoint_net',
    'converter_hint', 'init_cpu_dist', 'latest_checkpoint',
    'missing_file_message', 'model_net', 'plan_load'
]
