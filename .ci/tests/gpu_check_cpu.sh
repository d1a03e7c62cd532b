#!/usr/bin/env bash
# The GPU check's dry run (tiny sizes, CPU), so that .ci/gpu_check.sh cannot rot on machines without a GPU.
cd "$(dirname "$0")/../.." || exit 1
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
bash .ci/gpu_check.sh --cpu --out "$out" > "$out/log" 2>&1; rc=$?
.venv/bin/python - "$out/gpu_check.json" <<'PY' || { tail -30 "$out/log"; exit 1; }
import json, sys
r = json.load(open(sys.argv[1]))
steps = ['env', 'cuda_cells', 'train', 'forward', 'predict', 'torchrun']
assert list(r['steps']) == steps, list(r['steps'])
bad = {k: s.get('error') for k, s in r['steps'].items() if not s['ok']}
assert r['ok'] and not bad, bad
assert r['steps']['predict']['runs']['2']['timings']['read_s'] >= 0 and r['steps']['train']['bare_loop']['imgs_per_s'] > 0
print(f"gpu_check --cpu: {len(steps)} steps passed in {r['total_s']} s")
PY
[ $rc = 0 ]
