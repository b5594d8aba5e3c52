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
#      budget; side by side, half of the threads each) and test both with
#      2 views per video,
#   4. linear probes on frozen features, pretrained vs random init,
#   5. a table with the targets, figures and report.md in WORK_DIR.
# Supervised methods (adatosk, hdf): train on the same three quarters of
# fold 1's labels, test, report.
# Env: DATA (data folder), PYTHON, SEED.
#
# Run again, it reuses what is finished: each stage (pretraining, each
# fine-tuning, the probes) records a stamp of the method, seed, data folder
# and the code and configs; a finished stage with the same stamp is reused,
# an interrupted one resumes from its last checkpoint, and a stage whose
# stamp differs (other seed, edited code or config) is deleted and run
# again. FRESH=1 runs every stage from the start.
# Each stage's seconds (or "reused") go to WORK_DIR/stage_times.tsv; the
# report checks their sum against the time target (make demo: 10 min,
# the other methods 15 min, data generation included).
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
DEFAULT_WORK=work_dirs/demo TIME_LIMIT=600
if [ "$METHOD" != hi2m ]; then
  DEFAULT_WORK=work_dirs/demo_$METHOD TIME_LIMIT=900
fi
WORK=${1:-$DEFAULT_WORK}
DATA=${DATA:-data/synth_dfer_demo}
PY=${PYTHON:-python3}
SEED=${SEED:-0}
export MPLBACKEND=Agg
FRESH=${FRESH:-0}
start=$(date +%s)
stamp() { echo "[demo $(( $(date +%s) - start ))s] $*"; }
mkdir -p "$WORK"
TIMES=$WORK/stage_times.tsv
: > "$TIMES"
last=$start
# timed STAGE ran|reused: the seconds since the previous stage ended
timed() {
  local now; now=$(date +%s)
  printf '%s\t%s\t%s\n' "$1" $(( now - last )) "$2" >> "$TIMES"; last=$now
}

# what a stage's results depend on; same stamp = same results
STAMP="$METHOD seed=$SEED data=$DATA code=$(find dfertools configs tools \
  -name '*.py' -o -name '*.sh' | LC_ALL=C sort | xargs cat | cksum)"
# stage_ready DIR: 0 if DIR holds a finished stage of this stamp (timed
# as reused); else prepares DIR (kept to resume if the stamp matches,
# deleted if not) and 1. stage_done DIR marks it finished and times it.
stage_ready() {
  local dir=$1
  if [ "$FRESH" = 1 ] || [ "$(cat "$dir/.demo-stamp" 2>/dev/null)" != "$STAMP" ]
  then
    rm -rf "$dir"; mkdir -p "$dir"; echo "$STAMP" > "$dir/.demo-stamp"
    return 1
  fi
  if [ -f "$dir/.demo-done" ]; then
    stamp "reusing finished $dir"; timed "$(basename "$dir")" reused
    return 0
  fi
  return 1
}
stage_done() { touch "$1/.demo-done"; timed "$(basename "$1")" ran; }
# --resume when the stage left a checkpoint behind (an interrupted run)
resume_opt() { [ -s "$1/last_checkpoint" ] && echo --resume; true; }

# meta.json is written last: its presence means a complete data set
if [ -f "$DATA/meta.json" ]; then
  stamp "reusing SynthDFER in $DATA"; timed data reused
else
  stamp "generating SynthDFER into $DATA"
  "$PY" tools/data/make_synthetic.py --out "$DATA" --seed 0 \
    --num-labeled 4200 --num-unlabeled 3000 --size 64 --no-progress
  timed data ran
fi

data_opts=(train_dataloader.dataset.data_root="$DATA")
test_opts=(test_dataloader.dataset.data_root="$DATA")
ft_opts=("${data_opts[@]}" val_dataloader.dataset.data_root="$DATA"
         "${test_opts[@]}")

fine_tune() {  # NAME INIT: FT_CMD = the command that fine-tunes $FT
  # into $WORK/NAME and tests it (one process: a background one is
  # killed by its pid)
  FT_CMD=("$PY" tools/train.py "$FT" --work-dir "$WORK/$1" --seed "$SEED"
    $(resume_opt "$WORK/$1") --test --dump "$WORK/$1/dump.json"
    --cfg-options load_from="$2" "${ft_opts[@]}")
}

train_and_test() {  # NAME INIT [NAME INIT]: each fine-tuning stage not
  # finished yet; two of them run side by side, each with half of the
  # threads (the demo's small matrices use a second thread poorly, so
  # two one-thread runs side by side finish well before two two-thread
  # runs one after the other). The second one's output goes to its
  # console.log; if it fails, its end is shown and the demo stops (a
  # finished first one is kept).
  local todo=()
  while [ $# -gt 0 ]; do
    stage_ready "$WORK/$1" || todo+=("$1" "$2")
    shift 2
  done
  if [ ${#todo[@]} -eq 2 ]; then
    stamp "training $FT -> $WORK/${todo[0]} (load_from=${todo[1]}), then" \
      "testing it"
    fine_tune "${todo[@]}"; "${FT_CMD[@]}"
    stage_done "$WORK/${todo[0]}"
  elif [ ${#todo[@]} -eq 4 ]; then
    local threads=$(( ${OMP_NUM_THREADS:-$(nproc)} / 2 )) side log
    [ "$threads" -ge 1 ] || threads=1
    side=${todo[2]} log=$WORK/${todo[2]}/console.log
    stamp "training $FT -> $WORK/${todo[0]} (load_from=${todo[1]}) and," \
      "side by side, -> $WORK/$side (load_from=${todo[3]}; its output:" \
      "$log), $threads thread(s) each, then testing them"
    fine_tune "$side" "${todo[3]}"
    # stop the run beside whenever the demo stops; Ctrl-C or a TERM end the
    # demo at once (the run beside ignores SIGINT, as background jobs of a
    # script do, and the wait below would last until it finished). Set
    # before the run starts, so no signal lands between the two.
    SIDE_PID=
    trap '[ -z "$SIDE_PID" ] || kill "$SIDE_PID" 2>/dev/null || true' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    OMP_NUM_THREADS=$threads "${FT_CMD[@]}" > "$log" 2>&1 &
    SIDE_PID=$!
    fine_tune "${todo[0]}" "${todo[1]}"
    OMP_NUM_THREADS=$threads "${FT_CMD[@]}"
    touch "$WORK/${todo[0]}/.demo-done"
    if ! wait "$SIDE_PID"; then
      echo "tools/demo.sh: the fine-tuning into $WORK/$side failed; the" \
        "end of $log:" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    trap - EXIT INT TERM
    touch "$WORK/$side/.demo-done"
    timed "${todo[0]} + $side (side by side)" ran
  fi
}

probes() {  # CKPT: linear probes of CKPT and of the random init, in one
  # process (the videos are decoded once), into $WORK/probe_*.json
  stage_ready "$WORK/probes" && return 0
  "$PY" tools/analysis/linear_probe.py "$FT" --checkpoint "$1" random \
    --seed "$SEED" --dump "$WORK/probe_pretrained.json" \
    "$WORK/probe_random.json" --cfg-options "${ft_opts[@]}"
  stage_done "$WORK/probes"
}

if [ -n "$PRE" ]; then
  if ! stage_ready "$WORK/pretrain"; then
    stamp "pretraining $PRE on the unlabeled pool"
    "$PY" tools/train.py "$PRE" --work-dir "$WORK/pretrain" --seed "$SEED" \
      $(resume_opt "$WORK/pretrain") --cfg-options "${data_opts[@]}"
    stage_done "$WORK/pretrain"
  fi
  CKPT=$(cat "$WORK/pretrain/last_checkpoint")
  train_and_test finetune_pretrained "$CKPT" finetune_scratch None
  stamp "linear probes (frozen features)"
  probes "$CKPT"
  stamp "report"
  "$PY" tools/analysis/demo_report.py "$WORK" --pretrain-config "$PRE" \
    --time-limit "$TIME_LIMIT" \
    --title "$METHOD, SynthDFER fold 1 test, 2 views per video" \
    --cfg-options "${data_opts[@]}"
else
  # the labels the pretraining methods fine-tune on (the fine-tuning
  # config's label_fraction): one protocol for the side-by-side table
  ft_opts+=(train_dataloader.dataset.label_fraction=0.75)
  train_and_test finetune None
  stamp "report"
  "$PY" tools/analysis/demo_report.py "$WORK" \
    --time-limit "$TIME_LIMIT" \
    --title "$METHOD, SynthDFER fold 1 test, 2 views per video"
fi
stamp "done: $WORK/report.md"
