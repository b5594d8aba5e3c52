#!/usr/bin/env bash
# k-fold cross-validation: train + test each fold, then the k-fold report.
#
#   bash tools/cv.sh CONFIG [GPUS] [extra tools/train.py args ...]
#   bash tools/cv.sh CONFIG 1 --cfg-options train_dataloader.dataset.data_root=D \
#       val_dataloader.dataset.data_root=D test_dataloader.dataset.data_root=D
#   FOLDS="1 3" bash tools/cv.sh CONFIG 1          # a subset of folds
#   WORK_DIR=work_dirs/x bash tools/cv.sh CONFIG   # default work_dirs/<config>
#
# Fold K is selected with --cfg-options {train,val,test}_dataloader.dataset.fold=K
# (val only when the config has a val_dataloader; HAS_VAL=0/1 overrides the
# check) and trained in WORK_DIR/fold_K. The reported checkpoint is the LAST one
# (WORK_DIR/fold_K/last_checkpoint): models are never selected on the test
# split (docs/design.md, 'Model selection'). The --cfg-options among the
# extra arguments are passed to the test step as well (other extra arguments
# go to training only). tools/test.py --dump writes the JSON per-view records
# that tools/analysis/cv_report.py aggregates (per-fold, mean ± sample std,
# pooled) into WORK_DIR/cv_report/.
set -euo pipefail

if [ $# -lt 1 ]; then
    sed -n '2,17p' "$0"
    exit 2
fi
CONFIG=$1
shift
GPUS=1
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
    GPUS=$1
    shift
fi
EXTRA=("$@")
# the values of every --cfg-options in EXTRA: the test step gets them too,
# so a changed data_root, test pipeline or model is tested as trained
TEST_OPTS=()
IN_OPTS=0
for A in "$@"; do
    case "$A" in
        --cfg-options) IN_OPTS=1 ;;
        --cfg-options=*) IN_OPTS=1; TEST_OPTS+=("${A#--cfg-options=}") ;;
        -*) IN_OPTS=0 ;;
        *) if [ "$IN_OPTS" = 1 ]; then TEST_OPTS+=("$A"); fi ;;
    esac
done
FOLDS=${FOLDS:-"1 2 3 4 5"}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NAME=$(basename "${CONFIG%.py}")
WORK_DIR=${WORK_DIR:-work_dirs/${NAME}_cv}
PYTHON=${PYTHON:-python}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

# the val split gets the fold too, but only if the config has one (setting
# val_dataloader.* on a config without validation would make the Runner fail)
HAS_VAL=${HAS_VAL:-$("$PYTHON" -c "
import sys, dfertools
from mmengine.config import Config
cfg = Config.fromfile(sys.argv[1], import_custom_modules=False)
print(int(cfg.get('val_dataloader') is not None))" "$CONFIG")}

DUMPS=()
for K in $FOLDS; do
    FOLD_DIR="$WORK_DIR/fold_$K"
    FOLD_OPTS=(train_dataloader.dataset.fold="$K"
               test_dataloader.dataset.fold="$K")
    if [ "$HAS_VAL" = 1 ]; then
        FOLD_OPTS+=(val_dataloader.dataset.fold="$K")
    fi
    echo "=== fold $K -> $FOLD_DIR"
    if [ "$GPUS" -gt 1 ]; then
        bash "$ROOT/tools/dist_train.sh" "$CONFIG" "$GPUS" \
            --work-dir "$FOLD_DIR" --cfg-options "${FOLD_OPTS[@]}" "${EXTRA[@]}"
    else
        "$PYTHON" "$ROOT/tools/train.py" "$CONFIG" \
            --work-dir "$FOLD_DIR" --cfg-options "${FOLD_OPTS[@]}" "${EXTRA[@]}"
    fi
    if [ ! -s "$FOLD_DIR/last_checkpoint" ]; then
        echo "cv.sh: $FOLD_DIR/last_checkpoint is missing; training of fold" \
             "$K did not save a checkpoint (check default_hooks.checkpoint)." >&2
        exit 1
    fi
    CKPT=$(cat "$FOLD_DIR/last_checkpoint")
    DUMP="$FOLD_DIR/dump.json"
    if [ "$GPUS" -gt 1 ] && [ -f "$ROOT/tools/dist_test.sh" ]; then
        bash "$ROOT/tools/dist_test.sh" "$CONFIG" "$CKPT" "$GPUS" \
            --work-dir "$FOLD_DIR" --dump "$DUMP" \
            --cfg-options "${FOLD_OPTS[@]}" "${TEST_OPTS[@]}"
    else
        "$PYTHON" "$ROOT/tools/test.py" "$CONFIG" "$CKPT" \
            --work-dir "$FOLD_DIR" --dump "$DUMP" \
            --cfg-options "${FOLD_OPTS[@]}" "${TEST_OPTS[@]}"
    fi
    DUMPS+=("$DUMP")
done

"$PYTHON" "$ROOT/tools/analysis/cv_report.py" "${DUMPS[@]}" \
    --out "$WORK_DIR/cv_report"
