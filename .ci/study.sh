#!/usr/bin/env bash
# The whole study on the bundled real chips. Each step writes under outputs/; see README.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False MPLBACKEND=Agg
B=.venv/bin
echo "== 1/1 data report: outputs/study/data =="
$B/cloud-nbdev data-report data/sample --out outputs/study/data
# step 2 (02_training): train the CPU-study config into a new run folder; the evaluation step reads last_run.txt.
# Never touches outputs/model/ (the released model changes only through `cloud-nbdev promote`).
run=study-cpu-$(date +%Y%m%d-%H%M%S)
echo "== 2 training: outputs/runs/$run (configs/cpu_study.yaml, ~15-25 min on 2 free cores) =="
nice -n 5 $B/cloud-nbdev train --config configs/cpu_study.yaml --name "$run"
mkdir -p outputs/study && echo "outputs/runs/$run" > outputs/study/last_run.txt
