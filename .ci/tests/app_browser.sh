#!/usr/bin/env bash
# Real-browser test of the app (issue 7): headless Debian Chromium driven by Playwright's Python package with
# executable_path=/usr/bin/chromium (no browser is ever downloaded). Installs chromium (apt) and playwright (pip, into
# .venv) when missing. Writes screenshots and the latency of one 512x512 chip to outputs/app/browser/.
set -euo pipefail
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False MPLBACKEND=Agg
if ! [ -x /usr/bin/chromium ]; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  echo "installing Debian chromium (apt)"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
.venv/bin/python -c "import playwright" 2>/dev/null || .venv/bin/python -m pip install -q playwright 2>&1 | grep -v "^WARNING: Location" || true
exec .venv/bin/python .ci/tests/app_browser.py "$@"
