#!/usr/bin/env bash
# The main job on the built-in synthetic data (SynthDFER, not a real dataset):
#   1. generate SynthDFER (labeled 5-fold set + unlabeled "talking" clips),
#   2. HI2M-style masked pretraining of a tiny VideoViT on the unlabeled clips,
#   3. fine-tune on fold 1 from that checkpoint, and from scratch,
#   4. test both (2 views per video) and print UAR/WAR side by side.
# Usage: bash tools/demo.sh [WORK_DIR]   (env: DATA, PYTHON, SEED)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-work_dirs/demo}
DATA=${DATA:-data/synth_dfer}
PY=${PYTHON:-python3}
SEED=${SEED:-0}
export MPLBACKEND=Agg
start=$(date +%s)
stamp() { echo "[demo $(( $(date +%s) - start ))s] $*"; }

if [ ! -f "$DATA/annotations/train_1.txt" ]; then
  stamp "generating SynthDFER into $DATA"
  $PY tools/data/make_synthetic.py --out "$DATA" --seed "$SEED"
else
  stamp "reusing SynthDFER in $DATA"
fi

PRE_CFG=configs/demo/vit-t_synth-pretrain.py
FT_CFG=configs/demo/vit-t_synth-dfer_finetune.py
stamp "pretraining ($PRE_CFG)"
$PY tools/train.py "$PRE_CFG" --work-dir "$WORK/pretrain" --seed "$SEED" \
  --cfg-options train_dataloader.dataset.data_root="$DATA"
CKPT=$(cat "$WORK/pretrain/last_checkpoint")

data_opts=(train_dataloader.dataset.data_root="$DATA"
           val_dataloader.dataset.data_root="$DATA"
           test_dataloader.dataset.data_root="$DATA")
for run in pretrained scratch; do
  init=None
  [ "$run" = pretrained ] && init="$CKPT"
  stamp "fine-tuning fold 1 ($run, load_from=$init)"
  $PY tools/train.py "$FT_CFG" --work-dir "$WORK/finetune_$run" \
    --seed "$SEED" --cfg-options load_from="$init" "${data_opts[@]}"
  stamp "testing fold 1 ($run)"
  $PY tools/test.py "$FT_CFG" "$(cat "$WORK/finetune_$run/last_checkpoint")" \
    --work-dir "$WORK/finetune_$run" --dump "$WORK/finetune_$run/dump.json" \
    --cfg-options "${data_opts[@]}"
done

stamp "SynthDFER fold 1, last checkpoint, 2 views per video:"
echo "=== demo results"
$PY tools/analysis/compare_runs.py \
  "pretrained=$WORK/finetune_pretrained/dump.json" \
  "scratch=$WORK/finetune_scratch/dump.json"
$PY tools/analysis/plot_confusion.py "$WORK/finetune_pretrained/dump.json" \
  --out "$WORK/confusion_pretrained.png"
stamp "done; confusion matrix: $WORK/confusion_pretrained.png"
