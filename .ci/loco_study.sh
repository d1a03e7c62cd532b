#!/usr/bin/env bash
# The recipe comparison of issue 9: leave-one-location-out CV of each training recipe on the 13 trusted chips.
# Each line is resumable (run it again after an interruption). Results: outputs/runs/loco-*/cv.md; summary in
# outputs/study/loco.md (written by the last step). ~15 min a recipe on two free cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 MPLBACKEND=Agg
B=.venv/bin
cv() { nice -n 5 $B/cloud-nbdev cv --config configs/loco_base.yaml "$@"; }
cv --name loco-base                                                          # haze + photometric + flips + EMA (the released recipe)
cv --name loco-aug -p cloud_paste 0.5 -p scale 0.25 -p rotate true           # + cloud paste, zoom and free rotation
cv --name loco-aug-smooth -p cloud_paste 0.5 -p scale 0.25 -p rotate true -p label_smoothing 0.1   # + noise-robust targets
cv --name loco-aug-pseudo -p cloud_paste 0.5 -p scale 0.25 -p rotate true \
   -p pseudo_teacher 'outputs/runs/loco-aug/fold-{fold}/last'               # + self-training on the bad-label chips' imagery
