#!/usr/bin/env bash
# The recipe comparison of issue 9: leave-one-location-out CV of each training recipe on the 13 trusted chips,
# next to the brightness baseline and ukis-csmask on the same pixels. Each step is resumable (run the script again
# after an interruption: finished folds are reused). Per recipe: outputs/runs/loco-*/cv.md; all recipes side by side
# after each step: outputs/study/loco.{md,png,csv}. About 13 min a recipe on two free cores (5 recipes).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 MPLBACKEND=Agg
B=.venv/bin
AUG="-p cloud_paste 0.5 -p scale 0.25 -p rotate true"
RECIPES=(loco-base loco-aug loco-aug-pseudo loco-aug-smooth loco-aug-balanced)
summary() {  # every finished CV so far, in the order of RECIPES
  local dirs=(); for n in "${RECIPES[@]}"; do [ -f outputs/runs/$n/cv.json ] && dirs+=(outputs/runs/$n); done
  $B/python -c "import sys; from cloud_nbdev.evaluation import cv_summary
print(cv_summary(sys.argv[1:], 'outputs/study')[['iou', 'f1', 'precision', 'recall', 'fold_iou_mean', 'fold_iou_std']].round(3).to_string())" "${dirs[@]}"
}
cv() { nice -n 5 $B/cloud-nbdev cv --config configs/loco_base.yaml --tta "$@"; summary; }
cv --name loco-base                      # haze + photometric + flips + EMA (the recipe of the released model)
cv --name loco-aug $AUG                  # + cloud paste, zoom and free rotation
cv --name loco-aug-pseudo $AUG -p pseudo_teacher 'outputs/runs/loco-aug/fold-{fold}/last'   # + self-training on bad-label chips' imagery
cv --name loco-aug-smooth $AUG -p label_smoothing 0.1       # + noise-robust (smoothed) targets
cv --name loco-aug-balanced $AUG -p pos_weight 0.25         # + cloud pixels weighted down in the BCE (training locations are ~80 % cloud)
