#!/usr/bin/env bash
# The whole study on the bundled real chips. Each step writes under outputs/; see README.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False MPLBACKEND=Agg
B=.venv/bin
echo "== 1 data report: outputs/study/data =="
$B/cloud-nbdev data-report data/sample --out outputs/study/data
# step 2 (02_training): the released recipe at a CPU budget (configs/cpu_study.yaml: ukis-csmask's soft targets, 300 steps
# of 128-px crops), validated on Chifunfu. The teacher's targets are computed once (~1 min) and cached in outputs/teacher/.
# Never touches outputs/model/ (the released model changes only through `cloud-nbdev promote`, gated by cross-validation).
run=study-cpu-$(date +%Y%m%d-%H%M%S)
echo "== 2 training: outputs/runs/$run (configs/cpu_study.yaml, ~15 min on 2 free cores) =="
nice -n 5 $B/cloud-nbdev train --config configs/cpu_study.yaml --name "$run"
mkdir -p outputs/study && echo "outputs/runs/$run" > outputs/study/last_run.txt
# step 3 (03_evaluation): the study run's best checkpoint on its validation chips, with and without TTA, next to the
# baselines and ukis-csmask on the same pixels; label audit over all 31 chips. Writes outputs/study/results.{json,md}.
echo "== 3 evaluation: outputs/study/eval, outputs/study/results.md =="
nice -n 5 $B/cloud-nbdev evaluate data/sample --checkpoint "$(cat outputs/study/last_run.txt)/best" --split val \
  --compare --audit --write-threshold --out outputs/study/eval --summary outputs/study
# step 3b (03_evaluation, "Cross-validation"), opt-in: leave-one-location-out CV of the CPU recipe (4 folds, ~1 h on two
# free cores) -> outputs/runs/loco-cpu-study/cv.md, copied to outputs/study/loco_cpu.md. The committed LOCO table of the
# release (outputs/study/loco.*) comes from the GPU study: `python .ci/gpu_study.py run` (see README, "On a GPU").
if [ "${LOCO:-0}" != 0 ]; then
  echo "== 3b cross-validation of the CPU recipe: outputs/runs/loco-cpu-study =="
  nice -n 5 $B/cloud-nbdev cv --config configs/cpu_study.yaml --name loco-cpu-study
  cp outputs/runs/loco-cpu-study/cv.md outputs/study/loco_cpu.md
fi
# step 4: the README and docs home page show this study's tables and figures: execute nbs/index.ipynb in place and
# render README.md from it (a test in index.ipynb fails if README.md and outputs/study/*.md ever disagree).
echo "== 4 README: nbs/index.ipynb -> README.md =="
env -u MPLBACKEND $B/python .ci/readme.py   # the inline backend: plt.show() must draw the figure
$B/python .ci/execute_chapters.py --sanitize-only nbs/index.ipynb && $B/python .ci/readme.py --render   # no absolute paths or warnings in the saved outputs; README from them
# step 5: the chapters carry the study's results: execute the numbered chapters and the model card in place with the
# project's kernel (cells skipped as nbdev_test skips them; slow cells run by default, since they hold the figures of
# 00_data and the study's evaluation in 03_evaluation: CHAPTER_FLAGS= skips them), outputs made reviewable, then nbdev_clean.
echo "== 5 chapters: nbs/0*.ipynb and nbs/model_card.ipynb executed in place =="
$B/python .ci/execute_chapters.py --flags "${CHAPTER_FLAGS-slow}"
echo "== study done: outputs/study/ (data/, eval/, results.md, loco.md), README.md, executed chapters in nbs/ =="
