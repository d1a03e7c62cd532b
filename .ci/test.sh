#!/usr/bin/env bash
# Every test of the project, counted from what really ran. Ends with `N passed, M failed`.
# TEST_FLAGS (default "slow") names the nbdev flags whose cells also run; TEST_FLAGS= runs only the fast cells.
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False MPLBACKEND=Agg PYTHONHASHSEED=0 TQDM_MININTERVAL=5
B=.venv/bin
FLAGS=${TEST_FLAGS-slow}
passed=0; failed=0; failures=()
record() {  # name, exit code, seconds
  if [ "$2" = 0 ]; then passed=$((passed+1)); echo "PASS  $1 (${3}s)"
  else failed=$((failed+1)); failures+=("$1"); echo "FAIL  $1 (${3}s)"; fi
}
snapshot() { { git status --porcelain --untracked-files=all; git diff; } | sha1sum; }
run_check() {  # name, command...: passes when the command succeeds and leaves the tree unchanged
  local name=$1; shift; local t0=$(date +%s) before after rc
  before=$(snapshot); "$@"; rc=$?; after=$(snapshot)
  if [ $rc = 0 ] && [ "$before" != "$after" ]; then
    echo "$name changed the tree:"; git status --short | head -20; rc=1; fi
  record "$name" $rc $(( $(date +%s) - t0 ))
}

run_check "nbdev_export leaves the tree unchanged" $B/nbdev_export
run_check "nbdev_clean leaves the tree unchanged" $B/nbdev_clean

for nb in ${NOTEBOOKS:-nbs/*.ipynb}; do
  t0=$(date +%s)
  if [ -n "$FLAGS" ]; then $B/nbdev_test --path "$nb" --flags "$FLAGS" --do_print
  else $B/nbdev_test --path "$nb" --do_print; fi
  record "$nb" $? $(( $(date +%s) - t0 ))
done

# Tests that are not notebook cells (e.g. a real browser against the app): .ci/tests/*.sh
for t in .ci/tests/*.sh; do
  [ -e "$t" ] || continue
  t0=$(date +%s); bash "$t"; record "$t" $? $(( $(date +%s) - t0 ))
done

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
