#!/usr/bin/env bash
# The docs checks that need no Quarto (see .ci/check_docs.py).
cd "$(dirname "$0")/../.." && HF_HUB_OFFLINE=1 MPLBACKEND=Agg .venv/bin/python .ci/check_docs.py
