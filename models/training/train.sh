#!/usr/bin/env bash
# Trains the shipped models on phantoms and publishes them into the model repository
# (`npm run models:train`): two versions each of spine-classifier and spine-detector.
#
#   1. generates train / validation phantom sets with the spinexr CLI (validation: another seed)
#   2. trains, validates (AUROC + bootstrap CI, Youden-J point, AP@0.5 per finding, mAP),
#      exports ONNX with an agreement fixture, writes config.json / metrics.json / MODEL_CARD.md
#
# Versions: 1 = trained on the `default` scanner profile; 2 = 3-channel classifier / 640-px detector on `default`
# plus a second profile (PROFILE2), so an A/B rollout compares genuinely different versions.
# Everything is seeded; sizes below aim at < 40 minutes on an idle 2-core CPU (measured: 8 min phantoms +
# 38 min training on a 2-core machine shared with other heavy jobs; see models/training/README.md)
# (CUDA is used automatically when torch sees a GPU). Override any of them from the environment.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-/usr/bin/python3}"
DATA="${SPINEXR_TRAIN_DATA:-models/training/.cache/phantoms}"
TRAIN_COUNT="${TRAIN_COUNT:-800}"
TRAIN2_COUNT="${TRAIN2_COUNT:-400}"
VAL_COUNT="${VAL_COUNT:-300}"
TRAIN_SEED="${TRAIN_SEED:-1001}"
TRAIN2_SEED="${TRAIN2_SEED:-1002}"
VAL_SEED="${VAL_SEED:-2002}"
PROFILE2="${PROFILE2:-siemens-like-noisy}"
THREADS="${THREADS:-2}"
CLS_EPOCHS="${CLS_EPOCHS:-24}"
CLS2_EPOCHS="${CLS2_EPOCHS:-16}"
DET_EPOCHS="${DET_EPOCHS:-24}"
DET2_EPOCHS="${DET2_EPOCHS:-18}"
DET_SIZE="${DET_SIZE:-512}"
DET2_SIZE="${DET2_SIZE:-640}"
# On a shared CPU, spinning OpenMP threads stall each other; passive waits degrade gracefully.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
ONLY="${ONLY:-}"   # e.g. ONLY=detector-2 to retrain one version

log() { echo "[$(date +%H:%M:%S)] $*"; }
start=$(date +%s)

# Generates one phantom set unless a complete one with the same parameters already exists.
phantoms() { # dir count seed profile
  local dir="$1" count="$2" seed="$3" profile="$4"
  local stamp="count=$count seed=$seed profile=$profile"
  if [[ -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$stamp" ]]; then
    log "phantoms $dir: cached ($stamp)"
    return
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  log "phantoms $dir: generating ($stamp)"
  node --import tsx models/training/phantom-sets.ts phantoms --count "$count" --seed "$seed" --out "$dir" --png --no-dicom --profile "$profile" \
    > "$dir.log" 2>&1 || { cat "$dir.log"; return 1; }
  tail -n 1 "$dir.log"
  echo "$stamp" > "$dir/.stamp"
}

# The generator is single-threaded: run the sets side by side, one per core.
phantoms "$DATA/train-default" "$TRAIN_COUNT" "$TRAIN_SEED" default &
p1=$!
phantoms "$DATA/val-default" "$VAL_COUNT" "$VAL_SEED" default &
p2=$!
wait "$p2"
phantoms "$DATA/train-$PROFILE2" "$TRAIN2_COUNT" "$TRAIN2_SEED" "$PROFILE2"
wait "$p1"
log "phantoms ready after $(( $(date +%s) - start ))s"

seeds_json() { # version-specific train folders
  printf '{"seeds": {"train-default": %s, "train-%s": %s, "val-default": %s}, "generator": "npx spinexr phantoms --png", "counts": {"train-default": %s, "train-%s": %s, "val-default": %s}}' \
    "$TRAIN_SEED" "$PROFILE2" "$TRAIN2_SEED" "$VAL_SEED" "$TRAIN_COUNT" "$PROFILE2" "$TRAIN2_COUNT" "$VAL_COUNT"
}

train() { # key, then train.py arguments
  local key="$1"
  shift
  if [[ -n "$ONLY" && ",$ONLY," != *",$key,"* ]]; then return; fi
  log "training $key"
  "$PY" models/training/train.py "$@" --val "$DATA/val-default" --threads "$THREADS" --datasets-json "$(seeds_json)"
}

V1_DATA=(--train "$DATA/train-default")
V2_DATA=(--train "$DATA/train-default" --train "$DATA/train-$PROFILE2")

train classifier-1 classifier --version 1 "${V1_DATA[@]}" --width 16 --channels 1 --epochs "$CLS_EPOCHS"
train classifier-2 classifier --version 2 "${V2_DATA[@]}" --width 16 --channels 3 --epochs "$CLS2_EPOCHS"
train detector-1 detector --version 1 "${V1_DATA[@]}" --width 24 --size "$DET_SIZE" --crop 320 --batch 16 --epochs "$DET_EPOCHS"
train detector-2 detector --version 2 "${V2_DATA[@]}" --width 24 --size "$DET2_SIZE" --crop 320 --batch 16 --epochs "$DET2_EPOCHS"

log "models:train done in $(( $(date +%s) - start ))s"
du -sh models/spine-classifier models/spine-detector
