#!/usr/bin/env bash
# The docs site in a real browser (issue 14): builds it as `make docs` does (.ci/docs.sh: the docs checks, then the
# site), then drives headless Debian Chromium through Playwright against it (.ci/tests/docs_browser.py). Installs
# chromium (apt) and playwright (pip, into .venv) when missing, as app_browser.sh does; never downloads a browser.
# Screenshots go to outputs/docs/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! [ -x /usr/bin/chromium ]; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  echo "installing Debian chromium (apt)"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
.venv/bin/python -c "import playwright" 2>/dev/null || .venv/bin/python -m pip install -q playwright 2>&1 | grep -v "^WARNING: Location" || true
DOCS_RENDERER=sphinx bash .ci/docs.sh          # the checks below know the Sphinx/Furo pages (a Quarto site is laid out otherwise)
exec .venv/bin/python .ci/tests/docs_browser.py "$@"
