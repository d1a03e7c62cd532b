#!/usr/bin/env bash
# The whole study on the bundled real chips. Each step writes under outputs/; see README.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False MPLBACKEND=Agg
B=.venv/bin
echo "== 1 data report: outputs/study/data =="
$B/cloud-nbdev data-report data/sample --out outputs/study/data
# step 2 (02_training): train the CPU-study config into a new run folder; the evaluation step reads last_run.txt.
# Never touches outputs/model/ (the released model changes only through `cloud-nbdev promote`).
run=study-cpu-$(date +%Y%m%d-%H%M%S)
echo "== 2 training: outputs/runs/$run (configs/cpu_study.yaml, ~15-25 min on 2 free cores) =="
nice -n 5 $B/cloud-nbdev train --config configs/cpu_study.yaml --name "$run"
mkdir -p outputs/study && echo "outputs/runs/$run" > outputs/study/last_run.txt
# step 3 (03_evaluation): the study run's best checkpoint on its validation chips, with and without TTA, next to the
# baselines and ukis-csmask on the same pixels; label audit over all 31 chips; the best validation threshold is stored
# in the run's model card (not in outputs/model/). Writes outputs/study/results.{json,md} (the README's table).
echo "== 3 evaluation: outputs/study/eval, outputs/study/results.md =="
nice -n 5 $B/cloud-nbdev evaluate data/sample --checkpoint "$(cat outputs/study/last_run.txt)/best" --split val \
  --compare --audit --write-threshold --out outputs/study/eval --summary outputs/study
# step 3b (03_evaluation, "Cross-validation"): every training recipe of issue 9 by leave-one-location-out CV over the
# 13 trusted chips, next to the brightness baseline and ukis-csmask on the same pixels -> outputs/study/loco.{md,png,csv}.
# About 13 min a recipe on two free cores (5 recipes); resumable. LOCO=0 skips it (the README then keeps the last table).
if [ "${LOCO:-1}" != 0 ]; then
  echo "== 3b cross-validation of the recipes: outputs/runs/loco-*, outputs/study/loco.md =="
  bash .ci/loco_study.sh
fi
# step 4: the README and docs home page show this study's table and figures: execute nbs/index.ipynb in place and
# render README.md from it (a test in index.ipynb fails if README.md and outputs/study/results.md ever disagree).
echo "== 4 README: nbs/index.ipynb -> README.md =="
$B/python .ci/readme.py
# step 5: the chapters carry the study's results: execute the numbered chapters and the model card in place with the
# project's kernel (cells skipped as nbdev_test skips them; CHAPTER_FLAGS=slow also runs the slow cells, which hold the
# figures of 00_data and the study's evaluation in 03_evaluation), outputs made reviewable, then nbdev_clean.
echo "== 5 chapters: nbs/0*.ipynb and nbs/model_card.ipynb executed in place =="
$B/python .ci/execute_chapters.py --flags "${CHAPTER_FLAGS-}"
echo "== study done: outputs/study/ (data/, eval/, results.md), README.md, executed chapters in nbs/ =="
