# MMSeg's runtime with the settings FCN training needs: cudnn autotuning off
# (batch-1 native-size training sees a new input shape at every iteration)
# and the plugin's hooks.
_base_ = ['mmseg::_base_/default_runtime.py']
env_cfg = dict(cudnn_benchmark=False)
# Checks every weight file before use (a missing file names the converter
# command that makes it), refuses checkpoints of another net or class count,
# and performs the paper's staged init (VGG16 -> 32s -> 16s -> 8s) from
# `load_from`.
# FCNIterSeedHook reseeds every iteration from (seed, iteration), so a run
# killed and resumed with --resume repeats the uninterrupted run exactly
# (dropout, random transforms). FCNNanGuardHook stops training at the first
# NaN/inf loss, before a checkpoint with broken weights is written.
# Checkpoints: the schedules use FCNCheckpointHook (atomic files). What
# registers where: docs/architecture.md.
custom_hooks = [
    dict(type='FCNWeightsHook'),
    dict(type='FCNIterSeedHook'),
    dict(type='FCNNanGuardHook')
]
