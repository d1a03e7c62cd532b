#!/usr/bin/env bash
# The GPU check in one command (see .ci/gpu_check.py for what it runs and the JSON it writes):
#   bash .ci/gpu_check.sh --wheels .whl --out $OUT     on a GPU machine without network (wheels from .ci/gpu_wheels.sh)
#   bash .ci/gpu_check.sh --cpu                        dry run with tiny sizes on this machine's .venv (make test runs it)
# Without --wheels it uses .venv/bin/python if there is one, else python3. JSON: --out DIR, else $OUT, else outputs/gpu/.
set -uo pipefail
cd "$(dirname "$0")/.."
wheels= out=${OUT:-} mode=gpu
while [ $# -gt 0 ]; do
  case $1 in
    --wheels) wheels=$2; shift 2;;
    --out) out=$2; shift 2;;
    --cpu) mode=cpu; shift;;
    *) echo "usage: bash .ci/gpu_check.sh [--wheels DIR] [--out DIR] [--cpu]" >&2; exit 2;;
  esac
done
py=python3
[ -z "$wheels" ] && [ -x .venv/bin/python ] && py=.venv/bin/python
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
if [ -n "$wheels" ]; then
  site=$(mktemp -d /tmp/cloud_nbdev_site.XXXXXX)
  t0=$(date +%s)
  $py -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" "$wheels"/*.whl || exit 1
  echo "gpu_check: installed $(ls "$wheels"/*.whl | wc -l) wheels into $site in $(( $(date +%s) - t0 )) s"
  export PYTHONPATH=$site:$PYTHONPATH PATH=$site/bin:$PATH
fi
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False MPLBACKEND=Agg PYTHONUNBUFFERED=1 TQDM_DISABLE=1
exec $py .ci/gpu_check.py --mode "$mode" --out "${out:-outputs/gpu}"
