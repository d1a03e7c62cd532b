#!/usr/bin/env bash
# Inference benchmark (not a timed test): raw model forward on 512x512 batches vs the full `predict` path on a
# synthetic 4096x4096 and 10980x10980 GeoTIFF, each case in its own process (pixels/s, peak RSS)
# -> outputs/bench/inference.json. Takes minutes on a CPU (the 10980 scene is 625 tiles). Options go in BENCH_ARGS,
# e.g. BENCH_ARGS="--device cuda --batch-size 16" or BENCH_ARGS="--sizes 1024,2048" (see cloud_nbdev.inference.bench_cli).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False MPLBACKEND=Agg
.venv/bin/python -c 'import sys; from cloud_nbdev.inference import bench_cli; sys.exit(bench_cli(sys.argv[1:]))' ${BENCH_ARGS:-}
