#!/usr/bin/env bash
# Train under SLURM, one task per GPU (or per CPU process, with gloo):
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [GPUS] [args]
# GPUS is the number of tasks (ranks). Env: GPUS_PER_NODE (default
# min(GPUS, 8); 0 = CPU nodes: no --gres, gloo), TASKS_PER_NODE (default
# GPUS_PER_NODE, or GPUS when it is 0), CPUS_PER_TASK (5), SRUN_ARGS.
# Inside an sbatch allocation srun starts a job step of that allocation.
# Preemptible jobs: pass --resume so a requeued job continues from the work
# dir's last checkpoint (or starts fresh, keeping load_from, if none).
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [GPUS] [train.py args...]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
GPUS=8
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
    GPUS=$1
    shift
fi
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
if [ "$GPUS_PER_NODE" -gt 0 ]; then
    TASKS_PER_NODE=${TASKS_PER_NODE:-$GPUS_PER_NODE}
    GRES=(--gres=gpu:"$GPUS_PER_NODE")
else
    TASKS_PER_NODE=${TASKS_PER_NODE:-$GPUS}
    GRES=()
fi
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON=${PYTHON:-python}

# SRUN_ARGS is split on spaces on purpose (several srun options)
# shellcheck disable=SC2086
PYTHONPATH="$ROOT:${PYTHONPATH:-}" srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    "${GRES[@]}" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$TASKS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "$PYTHON" -u "$ROOT/tools/train.py" "$CONFIG" --work-dir="$WORK_DIR" \
    --launcher slurm "$@"
