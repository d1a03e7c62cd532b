#!/usr/bin/env bash
# Create or refresh .venv in the repo root. Quick no-op when the stamp (a hash of everything that
# decides what gets installed) matches. Offline apart from the package registry.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
key=$(cat settings.ini setup.py .ci/venv.sh .ci/constraints.txt | sha1sum | cut -c1-16)
stamp=.venv/.installed-$key
if [ -f "$stamp" ] && .venv/bin/python -c "import cloud_nbdev" 2>/dev/null; then
  exit 0
fi
t0=$(date +%s)
echo "== setting up .venv (key $key) =="
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip=".venv/bin/python -m pip"
quiet() { "$@" 2>&1 | grep -v -e "^WARNING: Location" -e "^ *$" || true; return ${PIPESTATUS[0]}; }
# torch/torchvision pinned to the pair that imports together on this machine kind
# (see shared/INSTALL_NOTES.md); the rest comes from settings.ini through setup.py.
quiet $pip install -q --upgrade pip "setuptools<81" wheel
# .ci/constraints.txt pins every other package to the versions that made the committed results (see its header).
quiet $pip install -q -c .ci/constraints.txt torch==2.14.1 torchvision==0.29.1
quiet $pip install -q -c .ci/constraints.txt -e ".[dev,peers]"
.venv/bin/python -m ipykernel install --sys-prefix --name cloud-nbdev --display-name "cloud-nbdev (.venv)" >/dev/null
rm -f .venv/.installed-*
touch "$stamp"
echo "== .venv ready in $(( $(date +%s) - t0 )) s, $(du -sh .venv | cut -f1) =="
