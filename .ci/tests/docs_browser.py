"""Real-browser test of the docs site (issue 14), run by docs_browser.sh after `make docs` built _docs/.

Serves _docs/ on 127.0.0.1 (a free port, Python's http.server in a thread) and drives headless Debian Chromium through
Playwright (executable_path=/usr/bin/chromium; no browser is downloaded). Checks:
  - every page of the sidebar loads (HTTP 200) with no console error, no failed request and no request to another host;
  - the sidebar lists the home page, every chapter of nbs/ in order (the app last), then the model card;
  - every <img> has loaded (naturalWidth > 0);
  - no link inside the site gives a 404, and every #anchor it points to exists on its page;
  - the home page shows the results table (outputs/study/results.md) and chapters show their API sections;
  - at phone size (390x844) a chapter has no sideways scroll of the page, and the search box finds a function.
Saves screenshots of the home page and of 03_evaluation at desktop (1280x900) and phone width under outputs/docs/.
Usage: docs_browser.py [--site _docs] [--out outputs/docs]"""
import argparse, functools, http.server, re, sys, threading, time, urllib.parse, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT/'.ci'))
from docs_site import page_name
from nbs_meta import chapters as nbs_chapters, sidebar
from browser import CHROMIUM, CHROMIUM_ARGS, check, failures

def serve(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, addr):                      # the browser dropping a connection is no error
            if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)): super().handle_error(request, addr)
    httpd = Server(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f'http://127.0.0.1:{httpd.server_address[1]}/'

def expected_pages():
    "[(page, notebook)] in sidebar order, page names as .ci/docs_site.py gives them."
    return [(page_name(n, {}), n) for _, nbs in sidebar() for n in nbs]

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--site', default=str(ROOT/'_docs')); ap.add_argument('--out', default=str(ROOT/'outputs'/'docs'))
    a = ap.parse_args()
    site, out = Path(a.site), Path(a.out); out.mkdir(parents=True, exist_ok=True)
    if not (site/'index.html').exists(): print(f"no site in {site}: run `make docs`"); return 1
    pages = expected_pages()
    httpd, base = serve(site)
    print(f"serving {site.relative_to(ROOT) if site.is_relative_to(ROOT) else site} at {base}", flush=True)
    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"browser: Chromium {browser.version}", flush=True)
            try: run_checks(browser, base, pages, out)
            finally: browser.close()
    except Exception as e:
        check(False, f"{type(e).__name__}: {str(e)[:600]}")
    finally: httpd.shutdown()
    print(f"screenshots in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: " + ', '.join(sorted(p.name for p in out.glob('*.png'))))
    print(f"{'FAILED: ' + '; '.join(failures) if failures else 'all docs browser checks passed'}")
    return 1 if failures else 0

def run_checks(browser, base, pages, out):
    ctx = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = ctx.new_page()
    errors, outside = [], []
    page.on('console', lambda m: errors.append(f"console {m.type}: {m.text[:200]}") if m.type == 'error' else None)
    page.on('pageerror', lambda e: errors.append(f"page error: {str(e)[:200]}"))
    page.on('requestfailed', lambda r: errors.append(f"request failed: {r.url} ({r.failure})"))
    page.on('response', lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.on('request', lambda r: outside.append(r.url) if not r.url.startswith((base, 'data:', 'blob:', 'about:')) else None)
    links, t0 = {}, time.time()
    for name, nb in pages:
        errors.clear(); outside.clear()
        resp = page.goto(base + f'{name}.html', wait_until='load'); page.wait_for_load_state('networkidle')
        page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=30_000)
        imgs = page.evaluate("Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth])")
        bad_imgs = [s for s, w in imgs if not w]
        check(resp.status == 200 and not errors and not outside and not bad_imgs,
              f"{name}.html ({nb}) loads: HTTP {resp.status}, {len(imgs)} images all shown, no console error, nothing from "
              f"another host" + (f" -- {errors[:3]} {outside[:3]} broken images {bad_imgs[:3]}" if errors or outside or bad_imgs else ''))
        for h in page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"):
            if h.startswith(base): links.setdefault(h, f'{name}.html')
        if name == pages[0][0]:
            side = page.evaluate("""Array.from(document.querySelectorAll('.sidebar-tree a.reference')).map(a =>
                                    a.getAttribute('href').replace(/^(\\.\\/)?/, '').replace(/#.*$/, ''))""")
            chapters = [p.name for p in nbs_chapters(ROOT/'nbs')]
            want = [f"{page_name(n, {})}.html" for n in chapters + ['model_card.ipynb']]
            others = {f"{page_name(n.name, {})}.html" for n in (ROOT/'nbs').glob('*.ipynb')} - set(want) - {'index.html'}
            check(side[:len(want)] == want and set(side[len(want):]) <= others and chapters[-1].startswith('05_app'),
                  f"the sidebar lists every chapter of nbs/ in order, the app last, then the model card (then reference pages): {side}")
            capt = page.evaluate("Array.from(document.querySelectorAll('.sidebar-tree p.caption')).map(p => p.innerText)")
            check(bool(page.query_selector('.sidebar-brand')), f"the sidebar links home, sections {capt}")
            res = (ROOT/'outputs'/'study'/'results.md')
            tables = page.evaluate("Array.from(document.querySelectorAll('article table')).map(t => t.innerText)")
            if res.exists():
                row = next(l for l in res.read_text().splitlines() if l.startswith('| model |'))
                cells = [c.strip() for c in row.strip('|').split('|')]
                check(any(all(c in t for c in cells) for t in tables),
                      f"the home page shows the study's results table ({len(tables)} tables; row 'model': {' '.join(cells[1:4])}...)")
            else: check(bool(tables) or 'No study results yet' in page.inner_text('article'), "the home page shows the results table or says there is none")
            page.screenshot(path=str(out/'home_desktop.png'), full_page=False)
        else:
            n_api = page.evaluate("document.querySelectorAll('article span.api[id]').length")
            if nb[:2].isdigit(): check(n_api > 0, f"{name}.html has API sections ({n_api} documented functions and classes)")
        if nb.startswith('03_'): page.screenshot(path=str(out/'evaluation_desktop.png'), full_page=False)
    print(f"  ({len(pages)} pages in {time.time() - t0:.1f} s)", flush=True)
    # every link inside the site resolves, and so does its #anchor
    bad, missing_anchor, anchors = [], [], {}
    for h in sorted(links):
        u = urllib.parse.urlsplit(h); path = u.path or '/'
        try: code = urllib.request.urlopen(base.rstrip('/') + path, timeout=10).status
        except Exception as e: code = getattr(e, 'code', str(e))
        if code != 200: bad.append(f"{h} ({code}, on {links[h]})"); continue
        if u.fragment and path.endswith('.html'):
            if path not in anchors:
                html = urllib.request.urlopen(base.rstrip('/') + path, timeout=10).read().decode('utf-8', 'replace')
                anchors[path] = set(re.findall(r'\bid="([^"]+)"', html))
            if urllib.parse.unquote(u.fragment) not in anchors[path]: missing_anchor.append(f"{path}#{u.fragment} (on {links[h]})")
    check(not bad, f"all {len(links)} links inside the site resolve" + (f": broken {bad[:5]}" if bad else ''))
    check(not missing_anchor, f"every #anchor they point to exists" + (f": missing {missing_anchor[:5]}" if missing_anchor else ''))
    # search
    page.goto(base + 'index.html'); page.fill('input[name=q]', 'load_chip'); page.keyboard.press('Enter')
    page.wait_for_function("document.querySelector('#search-results') && document.querySelector('#search-results').innerText.match(/found|Found/)", timeout=30_000)
    hits = page.evaluate("Array.from(document.querySelectorAll('#search-results li a')).map(a => a.getAttribute('href'))")
    check(any('data.html' in h for h in hits), f"the search box finds load_chip on data.html ({len(hits)} results)")
    ctx.close()
    # phone
    ctx = browser.new_context(viewport={'width': 390, 'height': 844}, is_mobile=True, has_touch=True, device_scale_factor=1)
    page = ctx.new_page()
    for name, shot in (('index', 'home_phone.png'), (next(n for n, nb in pages if nb.startswith('03_')), 'evaluation_phone.png')):
        page.goto(base + f'{name}.html', wait_until='load'); page.wait_for_load_state('networkidle')
        over = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth")
        wide = page.evaluate("""Array.from(document.querySelectorAll('article *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                                 && getComputedStyle(e).position !== 'fixed' && !e.closest('.cell_output, .highlight, .table-wrapper, table, pre, .MathJax'))
                                 .slice(0, 3).map(e => e.tagName + '.' + e.className)""")
        check(over <= 1, f"390x844 phone: {name}.html has no sideways scroll of the page ({over} px)" + (f"; wide: {wide}" if over > 1 else ''))
        page.screenshot(path=str(out/shot), full_page=False)
    ctx.close()

if __name__ == '__main__':
    sys.exit(main())
