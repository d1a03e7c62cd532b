#!/usr/bin/env bash
# Build the Quarto docs site into _docs/ (needs `quarto` on PATH). Without Quarto, run every check that can be
# made without it and say clearly that the site was not built.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False MPLBACKEND=Agg IN_TEST=1
python .ci/check_docs.py || exit 1
if command -v quarto >/dev/null 2>&1; then
  nbdev_docs && echo "docs site built in _docs/ (open _docs/index.html)"
else
  echo "Quarto is not installed, so the site was NOT built; the checks above passed."
  echo "Install Quarto (https://quarto.org/docs/get-started/) and run \`make docs\` again."
  exit 2
fi
