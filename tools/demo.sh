#!/usr/bin/env bash
# The main job on the built-in synthetic data (SynthDFER, not a real dataset).
#
#   bash tools/demo.sh [--method hi2m|videomae|mae_dfer|adatosk|hdf] [WORK_DIR]
#
# Masked-pretraining methods (hi2m, the default and what `make demo` runs;
# videomae; mae_dfer):
#   1. generate SynthDFER (labeled 5-fold set + an unlabeled pool of other
#      people with natural, unlabeled expressions), reused when present,
#   2. pretrain a small model on the unlabeled pool,
#   3. fine-tune on fold 1 from that checkpoint and from scratch (same
#      budget) and test both with 2 views per video,
#   4. linear probes on frozen features, pretrained vs random init,
#   5. a table with the targets, figures and report.md in WORK_DIR.
# Supervised methods (adatosk, hdf): train on fold 1, test, report.
# Env: DATA (data folder), PYTHON, SEED.
set -euo pipefail
cd "$(dirname "$0")/.."
METHOD=hi2m
if [ "${1:-}" = --method ]; then METHOD=${2:?--method needs a value}; shift 2
fi
case "$METHOD" in
  hi2m) PRE=configs/demo/vit-t_synth-pretrain.py
        FT=configs/demo/vit-t_synth-dfer_finetune.py ;;
  videomae) PRE=configs/demo/vit-t_synth-pretrain_videomae.py
            FT=configs/demo/vit-t_synth-dfer_finetune.py ;;
  mae_dfer) PRE=configs/demo/lgi-t_synth-pretrain_mae-dfer.py
            FT=configs/demo/lgi-t_synth-dfer_finetune.py ;;
  adatosk) PRE= FT=configs/demo/vit-t_synth-dfer_adatosk.py ;;
  hdf) PRE= FT=configs/demo/x3d-s_synth-dfer_hdf.py ;;
  *) echo "tools/demo.sh: unknown --method '$METHOD' (hi2m, videomae," \
          "mae_dfer, adatosk, hdf)" >&2; exit 2 ;;
esac
DEFAULT_WORK=work_dirs/demo
[ "$METHOD" = hi2m ] || DEFAULT_WORK=work_dirs/demo_$METHOD
WORK=${1:-$DEFAULT_WORK}
DATA=${DATA:-data/synth_dfer_demo}
PY=${PYTHON:-python3}
SEED=${SEED:-0}
export MPLBACKEND=Agg
start=$(date +%s)
stamp() { echo "[demo $(( $(date +%s) - start ))s] $*"; }

# meta.json is written last: its presence means a complete data set
if [ -f "$DATA/meta.json" ]; then
  stamp "reusing SynthDFER in $DATA"
else
  stamp "generating SynthDFER into $DATA"
  $PY tools/data/make_synthetic.py --out "$DATA" --seed 0 \
    --num-labeled 4200 --num-unlabeled 3000 --size 64 --no-progress
fi

data_opts=(train_dataloader.dataset.data_root="$DATA")
test_opts=(test_dataloader.dataset.data_root="$DATA")
ft_opts=("${data_opts[@]}" val_dataloader.dataset.data_root="$DATA"
         "${test_opts[@]}")

train_and_test() {  # NAME INIT: fine-tune $FT into $WORK/NAME, test it
  local name=$1 init=$2
  stamp "training $FT -> $WORK/$name (load_from=$init)"
  $PY tools/train.py "$FT" --work-dir "$WORK/$name" --seed "$SEED" \
    --cfg-options load_from="$init" "${ft_opts[@]}"
  stamp "testing $name"
  $PY tools/test.py "$FT" "$(cat "$WORK/$name/last_checkpoint")" \
    --work-dir "$WORK/$name" --dump "$WORK/$name/dump.json" \
    --cfg-options "${ft_opts[@]}"
}

if [ -n "$PRE" ]; then
  stamp "pretraining $PRE on the unlabeled pool"
  $PY tools/train.py "$PRE" --work-dir "$WORK/pretrain" --seed "$SEED" \
    --cfg-options "${data_opts[@]}"
  CKPT=$(cat "$WORK/pretrain/last_checkpoint")
  train_and_test finetune_pretrained "$CKPT"
  train_and_test finetune_scratch None
  stamp "linear probes (frozen features)"
  $PY tools/analysis/linear_probe.py "$FT" --checkpoint "$CKPT" \
    --seed "$SEED" --dump "$WORK/probe_pretrained.json" \
    --cfg-options "${ft_opts[@]}"
  $PY tools/analysis/linear_probe.py "$FT" --seed "$SEED" \
    --dump "$WORK/probe_random.json" --cfg-options "${ft_opts[@]}"
  stamp "report"
  $PY tools/analysis/demo_report.py "$WORK" --pretrain-config "$PRE" \
    --title "$METHOD, SynthDFER fold 1 test, 2 views per video" \
    --cfg-options "${data_opts[@]}"
else
  train_and_test finetune None
  stamp "report"
  $PY tools/analysis/demo_report.py "$WORK" \
    --title "$METHOD, SynthDFER fold 1 test, 2 views per video"
fi
stamp "done: $WORK/report.md"
