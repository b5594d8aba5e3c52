#!/usr/bin/env bash
# Test a checkpoint on several GPUs (or CPU processes with gloo):
#   bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [tools/test.py args...]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on every
# node (tools/dist_launch.sh).
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT GPUS [test.py args...]" >&2
    exit 2
fi
CONFIG=$1 CHECKPOINT=$2 GPUS=$3
shift 3
TOOLS="$(cd "$(dirname "$0")" && pwd)"
exec bash "$TOOLS/dist_launch.sh" "$GPUS" "$TOOLS/test.py" "$CONFIG" \
    "$CHECKPOINT" --launcher pytorch "$@"
