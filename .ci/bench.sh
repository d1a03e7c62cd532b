#!/usr/bin/env bash
# Inference benchmark (not a timed test), one run on one machine, each case in its own process:
#  - outputs/bench/speed.json + speed.png: `cloud-nbdev predict` on a folder of the bundled chips (6 and all 31) next to
#    ukis-csmask at 10 m and 30 m on the same chips, start-up included (cloud_nbdev.inference.bench_chips);
#  - outputs/bench/inference.json: CPU engine options, raw forward vs the full `predict_file` path on a synthetic
#    4096x4096 and 10980x10980 GeoTIFF (pixels/s, peak RSS) (cloud_nbdev.inference.bench).
# Takes 15-30 minutes on a 2-core CPU. Options go in BENCH_ARGS, e.g. BENCH_ARGS="--device cuda --batch-size 16 --chips-out ''"
# or BENCH_ARGS="--sizes 1024,2048 --no-options" (see cloud_nbdev.inference.bench_cli).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False MPLBACKEND=Agg
.venv/bin/cloud-nbdev bench ${BENCH_ARGS:-}
