from .fcn_weights_hook import FCNWeightsHook
from .weight_check import (LoadPlan, check_input, checkpoint_net,
                           converter_hint, missing_file_message, model_net,
                           plan_load)

__all__ = [
    'FCNWeightsHook', 'LoadPlan', 'check_input', 'checkpoint_net',
    'converter_hint', 'missing_file_message', 'model_net', 'plan_load'
]
