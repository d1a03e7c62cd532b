#!/usr/bin/env bash
# The whole study on the bundled real chips. Each step writes under outputs/; see README.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False MPLBACKEND=Agg
B=.venv/bin
echo "== 1/1 data report: outputs/study/data =="
$B/cloud-nbdev data-report data/sample --out outputs/study/data
