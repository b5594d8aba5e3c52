#!/usr/bin/env bash
# Run a tools/ script in NPROC processes per node under torchrun; what
# tools/dist_train.sh and tools/dist_test.sh share:
#   bash tools/dist_launch.sh NPROC SCRIPT [script args...]
# One node (NNODES unset or 1) without PORT: torchrun's standalone
# rendezvous on a free port of its own, so several jobs run side by side on
# one machine without choosing ports. Several nodes: set NNODES, NODE_RANK
# (0..NNODES-1), MASTER_ADDR (node 0's address) and optionally PORT
# (default 29500) on every node; PORT=N on one node uses port N.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 NPROC SCRIPT [script args...]" >&2
    exit 2
fi
NPROC=$1 SCRIPT=$2
shift 2
NNODES=${NNODES:-1}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON=${PYTHON:-python}
if [ "$NNODES" = 1 ] && [ -z "${PORT:-}" ]; then
    where=(--standalone)
else
    where=(--nnodes="$NNODES" --node_rank="${NODE_RANK:-0}"
           --master_addr="${MASTER_ADDR:-127.0.0.1}"
           --master_port="${PORT:-29500}")
fi
PYTHONPATH="$ROOT:${PYTHONPATH:-}" exec "$PYTHON" -m torch.distributed.run \
    "${where[@]}" --nproc_per_node="$NPROC" "$SCRIPT" "$@"
