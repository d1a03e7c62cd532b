"""Build the docs site into _docs/ without Quarto: nbdev's processed notebooks (_proc/, from `nbdev_proc_nbs`) rendered
by Sphinx + MyST-NB with the Furo theme. `make docs` (.ci/docs.sh) runs it when `quarto` is not on PATH.

Why this renderer: Sphinx is the Python ecosystem's own documentation tool and MyST-NB (Executable Books) renders saved
notebook outputs as they are (no execution), both actively released; Furo is a small theme that ships everything it
shows (system fonts, no CDN) and has a phone layout and a search box. MkDocs 1.x, the other candidate, has had no
release since 2024 and mkdocs-material is in maintenance mode. Everything used is a pip package; nothing is fetched.

It does to nbdev's processed notebooks what Quarto would do with them:
- the frontmatter raw cell becomes the page title and description, and `output-file` the page name (`data.html`,
  the names nbdev's own doc links use);
- Quarto cell options: `#| echo: false` hides the code, and the markdown outputs of such cells (`#| output: asis`) are
  pasted into the page as markdown (so show_doc's API sections are real sections with anchors), `#| output: false`
  and `#| include: false` drop outputs or cells, `#| code-fold` folds the code; `#|` lines are not shown;
- links nbdev wrote to the published site (doc_host + doc_baseurl) become links inside this site, and every show_doc
  heading carries the anchor nbdev links to (`#load_chip`); a link to a private name with no API section becomes code;
- the sidebar is nbs/sidebar.yml (the same file Quarto reads): home, the chapters in order, then the model card.
- the build fails if any page would load a script, style, font or image from another host.
Usage: python .ci/docs_site.py [--out _docs]"""
import argparse, configparser, json, re, shutil, subprocess, sys, time
from pathlib import Path
import yaml
from nbs_meta import split_cell

ROOT = Path(__file__).resolve().parent.parent
PROC, SRC, CONF = ROOT/'_proc', ROOT/'_docs_src', ROOT/'docs'

def page_name(nb_name, front):
    "The page a notebook becomes: frontmatter `output-file`, else nbdev's rule (number prefix dropped, lower case)."
    if front.get('output-file'): return Path(front['output-file']).stem
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(nb_name).stem.lower())

def sidebar():
    "[(caption or None, [notebook, ...]), ...] from nbs/sidebar.yml."
    items, out = yaml.safe_load((ROOT/'nbs'/'sidebar.yml').read_text())['website']['sidebar']['contents'], []
    for it in items:
        if isinstance(it, dict): out.append((it.get('section'), [c for c in it.get('contents', []) if isinstance(c, str)]))
        else: out.append((None, [it]))
    return out

def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']

_SHOWDOC_H = re.compile(r'^(#{2,4}) (\S+)\s*$', re.M)
_SOURCE_LINK = re.compile(r'\[source\]\((https?://[^)\s]+)\)\{[^}]*\}')

def fix_markdown(md, site_url, anchors):
    """Links to the published site -> links in this site (to the API section when it has one; a link nbdev made to an
    undocumented private name becomes plain code); Quarto-only link attributes -> HTML."""
    def link(m):
        text, page, frag = m.group(1), m.group(2), (m.group(3) or '')[1:]
        if page not in anchors: return m.group(0)
        if frag and frag not in anchors[page]: return text
        return f'[{text}]({page}.html' + (f'#{frag}' if frag else '') + ')'
    md = re.sub(r'\[([^\]]*)\]\(' + re.escape(site_url.rstrip('/')) + r'/([\w-]+)\.html(#[\w.-]*)?\)', link, md)
    return _SOURCE_LINK.sub(lambda m: f'<a class="sourcelink" href="{m.group(1)}">source</a>', md)

def api_anchors(md):
    "show_doc markdown with an HTML anchor named as nbdev names it (`load_chip`, `appcontext.results`) before its heading."
    return _SHOWDOC_H.sub(lambda m: f'<span class="api" id="{m.group(2).lower()}"></span>\n\n{m.group(0)}', md, count=1)

def page_anchors(nb):
    "The anchors that the API sections of a converted page carry."
    return {m for c in nb['cells'] if c['cell_type'] == 'markdown' for m in re.findall(r'<span class="api" id="([^"]+)"></span>', c['source'])}

def relink(nb, site_url, anchors):
    for c in nb['cells']:
        if c['cell_type'] == 'markdown': c['source'] = fix_markdown(c['source'], site_url, anchors)
        for o in c.get('outputs', []):
            d = o.get('data', {})
            if 'text/markdown' in d: d['text/markdown'] = fix_markdown(''.join(d['text/markdown']), site_url, anchors)
    return nb

def md_cell(text): return dict(cell_type='markdown', metadata={}, source=text)

def convert(nb, toc=None):
    cells, front = [], {}
    for c in nb['cells']:
        src = _src(c)
        if c['cell_type'] == 'raw':
            if src.strip().startswith('---'):
                front = yaml.safe_load(src.strip().strip('-')) or {}
                head = f"# {front.get('title', '')}\n"
                if front.get('description'):
                    head += f"\n```{{container}} description\n{front['description']}\n```\n"
                cells.append(md_cell(head))
            continue
        if c['cell_type'] == 'markdown':
            if src.strip().startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
            cells.append(md_cell(src)); continue
        opts, code = split_cell(src)                                # Quarto cell options (`#| key: value`), by nbdev
        code = code.strip('\n')
        if opts.get('include') == 'false': continue
        outs = [] if opts.get('output') == 'false' else c.get('outputs', [])
        echo = opts.get('echo') != 'false'
        if not echo:                                              # markdown outputs become part of the page
            rest = []
            for o in outs:
                md = o.get('data', {}).get('text/markdown')
                if md is not None: cells.append(md_cell(api_anchors(''.join(md))))
                else: rest.append(o)
            outs = rest
            if not outs: continue
        tags = [] if echo else ['remove-input']
        if echo and opts.get('code-fold') in ('true', 'show'): tags.append('hide-input')
        if not code and not outs: continue
        cells.append(dict(cell_type='code', execution_count=None, metadata={'tags': tags} if tags else {}, outputs=outs,
                          source=code))
    if toc:
        for caption, docs in toc:
            cells.append(md_cell("```{toctree}\n:hidden:\n" + (f":caption: {caption}\n" if caption else '') + '\n' +
                                 '\n'.join(docs) + "\n```"))
    meta = {'kernelspec': {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'},
            'language_info': {'name': 'python'}}
    return dict(cells=cells, metadata=meta, nbformat=4, nbformat_minor=5), front

def external_assets(site):
    "Scripts, styles, fonts, images or frames that a page of `site` would load from another host."
    pat = re.compile(r'<(?:script|img|iframe|source)\b[^>]*\bsrc="((?:https?:)?//[^"]+)"|<link\b[^>]*\bhref="((?:https?:)?//[^"]+)"'
                     r'|@import\s+(?:url\()?["\']?((?:https?:)?//[^"\')]+)|url\(["\']?((?:https?:)?//[^"\')]+)', re.I)
    found = []
    for f in sorted(site.rglob('*')):
        if f.suffix in ('.html', '.css', '.js'):
            text = f.read_text(encoding='utf-8', errors='replace')
            if f.suffix == '.js': text = '\n'.join(l for l in text.splitlines() if 'url(' in l or '@import' in l)
            for m in pat.finditer(text):
                if f.suffix == '.html' and m.group(0).startswith('<link') and re.search(r'rel="(canonical|alternate)"', m.group(0)): continue
                found.append(f"{f.relative_to(site)}: {next(g for g in m.groups() if g)}")
    return found

def write_if_changed(path, text):
    if not path.exists() or path.read_text(encoding='utf-8') != text: path.write_text(text, encoding='utf-8'); return True
    return False

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=str(ROOT/'_docs'))
    a = ap.parse_args(argv)
    t0 = time.time()
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini'); cfg = cfg['DEFAULT']
    site_url = cfg['doc_host'].rstrip('/') + cfg['doc_baseurl']
    side = sidebar()
    order = [n for _, nbs in side for n in nbs]
    missing = [n for n in order if not (PROC/n).exists()]
    if missing: sys.exit(f"not in {PROC.name}/: {missing}: run `nbdev_proc_nbs` first")
    fronts = {}
    for n in order:
        src = _src(json.loads((PROC/n).read_text())['cells'][0])
        fronts[n] = yaml.safe_load(src.strip().strip('-')) if src.strip().startswith('---') else {}
    pages = {n: page_name(n, fronts[n]) for n in order}
    home = pages[order[0]]
    if home != 'index': sys.exit(f"the first sidebar entry must be the home page index.ipynb, not {order[0]}")
    SRC.mkdir(exist_ok=True)
    toc = [(cap, [pages[n] for n in nbs]) for cap, nbs in side if pages[nbs[0]] != 'index']
    nbs = {n: convert(json.loads((PROC/n).read_text()), toc if pages[n] == 'index' else None)[0] for n in order}
    anchors = {pages[n]: page_anchors(nb) for n, nb in nbs.items()}
    written = []
    for n, nb in nbs.items():
        nb = relink(nb, site_url, anchors)
        if write_if_changed(SRC/f'{pages[n]}.ipynb', json.dumps(nb, indent=1, ensure_ascii=False) + '\n'): written.append(pages[n])
    for f in SRC.glob('*.ipynb'):                                   # pages no longer in the sidebar
        if f.stem not in pages.values(): f.unlink()
    out = Path(a.out)
    build = SRC/'_build'/'html'                                  # myst-nb writes beside it (jupyter_execute/): keep that in _docs_src/
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-q', '-c', str(CONF), '-d', str(SRC/'_build'/'doctrees'), str(SRC), str(build)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    warnings = [l for l in (r.stderr or '').splitlines() if 'WARNING' in l or 'ERROR' in l]
    for l in warnings[:20]: print('  ' + l.replace(str(ROOT) + '/', ''))
    if r.returncode: print(r.stdout[-2000:], r.stderr[-3000:]); return r.returncode
    ext = external_assets(build)
    if ext: print(f"the site loads files from other hosts, so it would not work offline: {ext[:5]}"); return 1
    if out.exists(): shutil.rmtree(out)
    shutil.copytree(build, out, ignore=shutil.ignore_patterns('.buildinfo', '_sources'))
    (out/'.nojekyll').touch()
    print(f"rendered {len(order)} pages with Sphinx + MyST-NB ({', '.join(f'{p}.html' for p in pages.values())}); "
          f"{len(written)} changed, {len(warnings)} warning(s), {time.time() - t0:.0f} s")
    return 0

if __name__ == '__main__': sys.exit(main())
