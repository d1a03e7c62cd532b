"""Check the docs site as far as it can be checked without Quarto.

- nbdev's docs processing (what `nbdev_docs` runs before `quarto render`) succeeds for every notebook;
- every notebook in nbs/ is in the sidebar, in chapter order, and every sidebar entry exists;
- every processed chapter has API docs (show_doc output) for what it exports;
- every relative link or image in the notebooks' markdown resolves to a file;
- README.md is current: it is what `.ci/readme.py` renders from nbs/index.ipynb.
Prints one line per check; exits non-zero on any failure."""
import json, re, subprocess, sys
from pathlib import Path
from nbdev.config import get_config
from nbdev.quarto import refresh_quarto_yml
from nbdev.serve import proc_nbs
from nbs_meta import chapters as nbs_chapters, is_chapter, sidebar_notebooks

cfg = get_config(); nbs = cfg.nbs_path; root = cfg.config_path
fails = []
def check(ok, msg):
    print(('ok    ' if ok else 'FAIL  ') + msg)
    if not ok: fails.append(msg)

refresh_quarto_yml()
cache = proc_nbs(n_workers=0)
notebooks = sorted(p.name for p in nbs.glob('*.ipynb'))
check(all((cache/n).exists() for n in notebooks), f"nbdev docs processing wrote all {len(notebooks)} notebooks into {cache.name}/")

entries = sidebar_notebooks(nbs)                                  # as .ci/docs_site.py reads nbs/sidebar.yml
check(sorted(entries) == notebooks, f"sidebar lists exactly the notebooks in nbs/ ({len(entries)})")
chapters = [e for e in entries if is_chapter(e)]
check(chapters == [p.name for p in nbs_chapters(nbs)] and chapters[-1].startswith('05_app'), "chapters in order, the app last")

for n in notebooks:
    if not is_chapter(n): continue
    nb = json.loads((cache/n).read_text())
    docs = sum('show_doc(' in ''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code')
    check(docs > 0, f"{n}: API docs for its exports ({docs} show_doc cells)")

link_re = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)[^)]*\)')
for n in notebooks:
    nb = json.loads((nbs/n).read_text()); bad = []
    for c in nb['cells']:
        if c['cell_type'] != 'markdown': continue
        for target in link_re.findall(''.join(c['source'])):
            if re.match(r'^(https?:|mailto:|#)', target): continue
            t = target.split('#')[0]
            cand = [nbs/t, nbs/t.replace('.html', '.ipynb'), nbs/(t + '.ipynb')]
            if not any(p.exists() for p in cand): bad.append(target)
    check(not bad, f"{n}: relative links resolve" + (f" (broken: {bad})" if bad else ''))

readme = root/'README.md'
if (root/'.ci'/'readme.py').exists():
    r = subprocess.run([sys.executable, str(root/'.ci'/'readme.py'), '--check'], capture_output=True, text=True)
    check(r.returncode == 0, "README.md is what nbs/index.ipynb renders to" + ('' if r.returncode == 0 else f": {r.stdout.strip()[-300:]}"))
print(f"{len(fails)} docs check(s) failed" if fails else "docs checks passed")
sys.exit(1 if fails else 0)
