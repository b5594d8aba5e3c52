#!/usr/bin/env bash
# Train on several GPUs (or CPU processes with gloo) of one or more nodes:
#   bash tools/dist_train.sh CONFIG GPUS [tools/train.py args...]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on every
# node (tools/dist_launch.sh).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [train.py args...]" >&2
    exit 2
fi
CONFIG=$1 GPUS=$2
shift 2
TOOLS="$(cd "$(dirname "$0")" && pwd)"
exec bash "$TOOLS/dist_launch.sh" "$GPUS" "$TOOLS/train.py" "$CONFIG" \
    --launcher pytorch "$@"
