#!/usr/bin/env bash
# Distributed testing with torchrun (torch.distributed.run).
# Usage: tools/dist_test.sh CONFIG CHECKPOINT NGPUS [tools/test.py args]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# PYTHON selects the interpreter (default: python).
# A failing rank prints one `error: ...` line; torchrun's own traceback and
# summary are filtered out (tools/torchrun_filter.awk) unless FCN_DEBUG=1.

set -o pipefail

CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
TOOLS=$(dirname "$0")

run() {
    PYTHONPATH="$TOOLS/..":$PYTHONPATH \
    ${PYTHON:-python} -m torch.distributed.run \
        --nnodes=$NNODES \
        --node_rank=$NODE_RANK \
        --master_addr=$MASTER_ADDR \
        --nproc_per_node=$GPUS \
        --master_port=$PORT \
        "$TOOLS/test.py" \
        $CONFIG \
        "$CHECKPOINT" \
        --launcher pytorch \
        "${@:4}"
}

if [ "${FCN_DEBUG:-0}" != 0 ]; then
    run "$@"
else
    { run "$@" 2>&1 1>&3 3>&- | awk -f "$TOOLS/torchrun_filter.awk" >&2; } 3>&1
fi
