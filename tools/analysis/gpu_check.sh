#!/usr/bin/env bash
# One-GPU check of dfertools: speed, memory and the CUDA paths, in about
# 10 minutes on one H200. Writes OUT/gpu_check.json and OUT/gpu_check.md
# (plus one JSON and log per step). See docs/benchmarks.md, "GPU".
#
#   bash tools/analysis/gpu_check.sh [--out DIR] [--plan] [--help]
#   bash tools/analysis/gpu_check.sh --device cpu --tiny   # CPU smoke run
#
# Refuses (exit 3, one line) when CUDA is not available, unless asked for
# the CPU smoke run. Env: PYTHON (default python), STEP_TIMEOUT (seconds per
# step, default 150; 600 for the smoke run), TOTAL_TIMEOUT (whole run,
# default 570 s; steps left when it is spent are reported as not run).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=work_dirs/gpu_check
DEVICE=cuda
TINY=
PLAN=
PY=${PYTHON:-python}
usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --out) OUT=${2:?--out needs a folder}; shift 2 ;;
        --device) DEVICE=${2:?--device needs cuda or cpu}; shift 2 ;;
        --tiny) TINY=--tiny; shift ;;
        --plan|--dry-run) PLAN=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "gpu_check.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$DEVICE" in
    cuda|cuda:*) ;;
    cpu) [ -n "$TINY" ] || { echo "gpu_check.sh: --device cpu is only the smoke run; add --tiny" >&2; exit 2; } ;;
    *) echo "gpu_check.sh: --device must be cuda[:N] or cpu, got '$DEVICE'" >&2; exit 2 ;;
esac
if [ -n "$TINY" ]; then
    LABELED=35 SIZE64=64 SIZE160=64 WORKERS=2 EPOCHS=1
    STEP_TIMEOUT=${STEP_TIMEOUT:-600}
else
    LABELED=700 SIZE64=64 SIZE160=160 WORKERS=16 EPOCHS=3
    STEP_TIMEOUT=${STEP_TIMEOUT:-150}
fi
D64=$OUT/data_synth64 D160=$OUT/data_synth$SIZE160
STEPS=(
  "environment|versions, device name|step environment"
  "finetune|ViT-B fine-tuning step 16x160x160, bf16: clips/s, MFU vs measured bf16 matmul peak, peak memory, max 2^k batch, vs mmaction2 ViT|step finetune"
  "pretrain|HI2M ViT-B pretraining step (rho 0.9, model only), bf16: same figures (no mmaction2 counterpart)|step pretrain"
  "ddp|DistributedDataParallel (NCCL) step, world size 1, vs the plain step|step ddp"
  "data|generate SynthDFER ($LABELED labeled clips at ${SIZE64}px and ${SIZE160}px) into $OUT|data"
  "train|tools/train.py configs/demo/vit-t_synth-dfer_finetune.py --amp, $EPOCHS epochs on $DEVICE|train"
  "datawait|data-wait fraction of that run from its scalars.json|step datawait --work-dir $OUT/train"
  "loader|training loader with $WORKERS threads vs $WORKERS worker processes|step loader --data-root $D160 --workers $WORKERS"
  "summarize|merge into $OUT/gpu_check.json and gpu_check.md|summarize"
)
if [ -n "$PLAN" ]; then
    echo "gpu_check.sh plan (device $DEVICE${TINY:+, tiny}, out $OUT, ${STEP_TIMEOUT}s per step):"
    i=1
    for s in "${STEPS[@]}"; do
        IFS='|' read -r name what _ <<< "$s"
        echo "  $i. $name: $what"
        i=$((i + 1))
    done
    exit 0
fi
if [ "$DEVICE" != cpu ] && ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    echo "gpu_check.sh: no CUDA device visible to $PY (torch.cuda.is_available() is False); run it on a GPU machine, or --device cpu --tiny for the CPU smoke run" >&2
    exit 3
fi
mkdir -p "$OUT"
export PYTHONPATH="$PWD:${PYTHONPATH:-}" MPLBACKEND=Agg
failed=0
TOTAL_TIMEOUT=${TOTAL_TIMEOUT:-570}
[ -n "$TINY" ] && TOTAL_TIMEOUT=${TOTAL_TIMEOUT_TINY:-3000}
START=$(date +%s)
run_step() {  # NAME CMD...
    local name=$1; shift
    local left=$((TOTAL_TIMEOUT - ($(date +%s) - START) - 10))
    local limit=$((left < STEP_TIMEOUT ? left : STEP_TIMEOUT))
    if [ "$limit" -le 0 ]; then
        echo "not run: the ${TOTAL_TIMEOUT}s budget was spent" > "$OUT/$name.log"
        echo "[gpu_check] $name NOT RUN (time budget spent)" >&2
        failed=1
        return
    fi
    echo "[gpu_check] $name (limit ${limit}s) ..."
    if timeout "$limit" "$@" > "$OUT/$name.log" 2>&1; then
        echo "[gpu_check] $name ok"
    else
        echo "[gpu_check] $name FAILED (exit $?): see $OUT/$name.log" >&2
        rm -f "$OUT/$name.json"
        failed=1
    fi
}
step() {  # STEP [args]
    local name=$1; shift
    run_step "$name" "$PY" tools/analysis/gpu_check_step.py "$name" \
        --device "$DEVICE" $TINY --json "$OUT/$name.json" "$@"
}
make_data() {
    local size
    for size in $SIZE64 $SIZE160; do
        [ -f "$OUT/data_synth$size/meta.json" ] && continue
        "$PY" tools/data/make_synthetic.py --out "$OUT/data_synth$size" \
            --seed 0 --num-labeled "$LABELED" --num-unlabeled 0 \
            --size "$size" --workers "$WORKERS" --no-progress || return 1
    done
}
train() {
    local amp=--amp
    [ "$DEVICE" = cpu ] && amp=
    rm -rf "$OUT/train"
    "$PY" tools/train.py configs/demo/vit-t_synth-dfer_finetune.py \
        --work-dir "$OUT/train" $amp --seed 0 --cfg-options \
        train_dataloader.dataset.data_root="$D64" \
        val_dataloader.dataset.data_root="$D64" \
        test_dataloader.dataset.data_root="$D64" \
        train_cfg.max_epochs="$EPOCHS" train_cfg.val_interval="$EPOCHS" \
        default_hooks.logger.interval=1
}
# `timeout` runs programs, not functions: export them for `bash -c`
export -f make_data train
export PY OUT DEVICE LABELED SIZE64 SIZE160 WORKERS EPOCHS D64
for s in "${STEPS[@]}"; do
    IFS='|' read -r name _ cmd <<< "$s"
    # shellcheck disable=SC2086
    case "$cmd" in
        step*) step ${cmd#step } ;;
        data) run_step data bash -c make_data ;;
        train) run_step train bash -c train ;;
        summarize) "$PY" tools/analysis/gpu_check_step.py summarize \
                       --out-dir "$OUT" || failed=1 ;;
    esac
done
[ -f "$OUT/gpu_check.md" ] && cat "$OUT/gpu_check.md"
exit $failed
