"""What the two browser tests (app_browser.py, docs_browser.py) share: the Debian Chromium they drive through
Playwright, offline and without background traffic, and a PASS/FAIL check that collects the failures."""
CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
                 '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic']
failures = []

def check(ok, what):
    "Print a PASS or FAIL line for `what`, remember a failure, and return `ok`."
    print(('PASS  ' if ok else 'FAIL  ') + what, flush=True)
    if not ok: failures.append(what)
    return ok
