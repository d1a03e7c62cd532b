"""Execute the study's chapters in place, so that each one carries its results (figures, tables, numbers) like a paper.

    .venv/bin/python .ci/execute_chapters.py                  # the chapters (nbs/00_*.ipynb, 01a_*...) in order, then model_card
    .venv/bin/python .ci/execute_chapters.py nbs/00_data.ipynb nbs/01_model.ipynb
    .venv/bin/python .ci/execute_chapters.py --flags slow nbs/03_evaluation.ipynb   # also run the cells flagged slow
    .venv/bin/python .ci/execute_chapters.py --sanitize-only NB...                    # only tidy the saved outputs

`make study` runs it as its last step. Each notebook runs top to bottom in a fresh `cloud-nbdev` kernel (the project's
.venv, installed by .ci/venv.sh), from nbs/ as nbdev_test runs it, with IN_TEST=1. Cells are skipped exactly as
nbdev_test skips them: cells flagged with a `tst_flags` flag of settings.ini (`#| slow`, `#| cuda`, `#| notest`) unless
--flags names it, `#| eval: false` cells, and the cell that calls nbdev_export (nothing is exported). A cell that fails
stops the notebook, names the cell, and leaves the notebook file as it was.

The outputs are then made reviewable, so that re-running the study gives small diffs:
- the repository's absolute path becomes a relative one; the home folder `~`; temporary folders `<tmp>`; this
  machine's host name `<host>`; the git commit `<git sha>`; a random local port `<port>`; dates and times that fall
  within the execution itself (run names, "saved" stamps) `<now>`; object addresses (`at 0x7f...`) are dropped;
- progress bars (tqdm) are turned off in the kernel and any left in stderr are removed, with tqdm's IProgress warning;
- in text outputs timings (`12.34 s`, `560 ms`) are rounded to two significant digits, and full-precision float reprs
  (`0.30929988622665405`, noise in the last digits between runs) to four; consecutive prints are one output;
- PNGs wider than 1000 px are scaled down, every PNG is stored with at most 256 colours when that is smaller, and one
  still over 150 KB (a gallery of satellite chips) is scaled down until it fits, to no less than 480 px wide;
- then `nbdev_clean` (execution counts, metadata), the same as before every commit.
Prints one line per notebook (cells run and skipped, seconds, size, PNGs)."""
import argparse, base64, copy, io, json, os, re, socket, subprocess, sys, tempfile, time
from pathlib import Path
import nbs_meta

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
KERNEL = 'cloud-nbdev'
MAX_PNG_WIDTH = 1000
MAX_PNG_KB = 150

def chapters():
    "The numbered chapters in order (`01a_*` after `01_*`: .ci/nbs_meta.py), then the model card."
    return nbs_meta.chapters(NBS) + [NBS/'model_card.ipynb']

# ---- which cells run: nbdev_test's rule ---------------------------------------------------------------------------
def skip_reason(cell, skip_flags):
    "Why nbdev_test would not run `cell` (None if it would)."
    from nbdev.process import extract_directives
    if cell.cell_type != 'code': return 'markdown'
    if 'nbdev_export' + '(' in cell.source: return 'nbdev_export'
    d = extract_directives(copy.deepcopy(cell), remove=False)
    if d.get('eval:', [''])[0].lower() == 'false': return 'eval: false'
    hit = skip_flags & d.keys()
    return f"#| {' '.join(sorted(hit))}" if hit else None

def execute(nb, path, skip, timeout):
    "Run the cells of `nb` not in `skip` in a fresh project kernel, from the notebook's folder."
    from nbclient import NotebookClient
    class Client(NotebookClient):
        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if cell_index in skip:
                if cell.cell_type == 'code': cell.outputs, cell.execution_count = [], None
                return cell
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
    from jupyter_client.manager import KernelManager
    with tempfile.TemporaryDirectory(prefix='kernel_') as d:                # local sockets, nothing on TCP
        km = KernelManager(kernel_name=KERNEL, transport='ipc', ip=str(Path(d)/'k'))
        try: Client(nb, km=km, timeout=timeout, allow_errors=False, record_timing=False,
                    resources={'metadata': {'path': str(path.parent)}}).execute()
        finally:
            if km.has_kernel: km.shutdown_kernel(now=False)

# ---- reviewable outputs -------------------------------------------------------------------------------------------
def _git_head():
    try: return subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception: return ''

def _subs():
    "(pattern, replacement) pairs that make text outputs machine-independent."
    subs = []
    for r in {str(ROOT), str(ROOT.resolve())}: subs += [(re.escape(r) + '/', ''), (re.escape(r) + r'\b', '.')]
    for t in {tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir())}:   # mkdtemp(): a prefix and 8 random chars
        subs.append((re.escape(t) + r'/tmp[a-z0-9_]{8}\b', '<tmp>'))
        subs.append((re.escape(t) + r'/([A-Za-z][\w.-]*?)(?=[a-z_]*\d)[a-z0-9_]{8}\b', r'<tmp>/\1*'))
    home = os.path.expanduser('~')
    if len(home) > 1: subs.append((re.escape(home) + r'(?=/|\b)', '~'))
    for h in {socket.gethostname(), socket.getfqdn()}:
        if len(h) >= 3 and h not in ('localhost', 'localhost.localdomain'): subs.append((r'\b' + re.escape(h) + r'\b', '<host>'))
    subs.append((r' at 0x[0-9a-fA-F]{6,}', ''))
    if head := _git_head(): subs.append((re.escape(head) + r'(-dirty)?', '<git sha>'))
    ephemeral = r'(?:3[2-9]\d{3}|[4-5]\d{4}|60\d{3})'                                 # Linux's ephemeral ports
    subs += [(r'\b(127\.0\.0\.1|localhost|0\.0\.0\.0):' + ephemeral + r'\b', r'\1:<port>'),
             (r'\b([Pp]ort:? )' + ephemeral + r'\b', r'\1<port>')]
    return [(re.compile(p), s) for p, s in subs]

_STAMP = re.compile(r'(?<!\d)(\d{4})-?(\d{2})-?(\d{2})[T _-]?(\d{2}):?(\d{2}):?(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?(?!\d)')

def drop_run_times(s, window):
    "Replace dates and times that fall within `window` (the execution: run names, 'saved' stamps) by `<now>`."
    import datetime as dt
    t0, t1 = window
    def sub(m):
        try: t = dt.datetime(*map(int, m.groups()[:6]))
        except ValueError: return m.group(0)
        cands = [t.replace(tzinfo=dt.timezone.utc)] if m.group(8) is None else []
        if m.group(8) is None: cands.append(t.astimezone())                            # naive: local time, or UTC
        else: cands.append(dt.datetime.fromisoformat(m.group(0).replace('Z', '+00:00').replace(' ', 'T')))
        return '<now>' if any(t0 - 120 <= c.timestamp() <= t1 + 120 for c in cands) else m.group(0)
    return _STAMP.sub(sub, s)

_TIME = re.compile(r'(?<![\w.])(\d+\.\d+|\d{3,})(\s?)(s|ms|sec|seconds|min)\b')
_PROGRESS = re.compile(r'\r|\d+%\|[^\n]*\||\d+(\.\d+)?(it|s)/(s|it)\]|TqdmWarning|^\s*from \.autonotebook import')

def _sig2(m):
    v = float(m.group(1))
    if v == 0: return m.group(0)
    r = float(f'{v:.2g}')
    return (f'{r:g}' if r < 1000 else f'{r:.0f}') + m.group(2) + m.group(3)

_LONG_FLOAT = re.compile(r'(?:(?<=^)|(?<=[\s(\[{:=]))(-?\d+\.\d{12,})(?![\d])', re.M)   # a repr's float, not one in a WKT

def clean_text(s, subs, timings=True, window=None):
    for p, r in subs: s = p.sub(r, s)
    if window: s = drop_run_times(s, window)
    if timings:                                                  # reprs of computed floats: 0.30929988622665405 -> 0.3093
        s = _LONG_FLOAT.sub(lambda m: f'{float(m.group(1)):.4g}', s)
        s = _TIME.sub(_sig2, s)
    return s

def small_png(b64, max_kb=None):
    """A PNG (base64) at most MAX_PNG_WIDTH wide, with a 256-colour palette when that is smaller, and scaled down until it
    fits `max_kb` (photographic figures such as chip galleries) but never below 480 px wide."""
    from PIL import Image
    max_kb = max_kb or MAX_PNG_KB
    raw = base64.b64decode(b64); src = Image.open(io.BytesIO(raw)); src.load()
    width = min(src.width, MAX_PNG_WIDTH)
    while True:
        im = src if width == src.width else src.resize((width, round(src.height * width / src.width)), Image.LANCZOS)
        best = raw if im is src else None
        for cand in ([im] if im.mode == 'P' else [im, im.convert('RGB').quantize(256, method=Image.Quantize.MEDIANCUT)]):
            buf = io.BytesIO(); cand.save(buf, 'PNG', optimize=True)
            if best is None or len(buf.getvalue()) < 0.9 * len(best): best = buf.getvalue()
        if len(best) <= max_kb * 1024 or width <= 480: return base64.b64encode(best).decode()
        width = max(480, int(width * min(0.9, (max_kb * 1024 / len(best)) ** 0.5)))

def _join(x): return ''.join(x) if isinstance(x, list) else x

def sanitize(nb, subs, window=None):
    "Make every output of `nb` reviewable (see the module docstring); returns the number of PNGs."
    n_png = 0
    for c in nb.cells:
        if c.cell_type != 'code': continue
        keep = []
        for o in c.get('outputs', []):
            if o.output_type == 'stream':
                lines = _join(o.text).splitlines(keepends=True)
                if o.name == 'stderr': lines = [l for l in lines if not _PROGRESS.search(l)]
                text = clean_text(''.join(lines), subs, window=window)
                if not text.strip(): continue
                if keep and keep[-1].output_type == 'stream' and keep[-1].name == o.name: keep[-1].text += text
                else: o.text = text; keep.append(o)
                continue
            if o.output_type in ('execute_result', 'display_data'):
                data = o.data
                data.pop('application/vnd.jupyter.widget-view+json', None)
                if set(data) <= {'text/plain'} and re.search(r'^(HBox|VBox|FloatProgress)\(', _join(data.get('text/plain', ''))): continue
                for k in list(data):
                    if k.startswith('text/'): data[k] = clean_text(_join(data[k]), subs, timings=k == 'text/plain', window=window)
                    elif k == 'image/png': data[k] = small_png(_join(data[k])); n_png += 1
                if not data: continue
            elif o.output_type == 'error':
                o.traceback = [clean_text(t, subs, False) for t in o.traceback]
            keep.append(o)
        c.outputs = keep
    return n_png

# ---- one notebook -------------------------------------------------------------------------------------------------
def run_one(path, skip_flags, timeout, execute_it=True):
    import nbformat
    from nbformat.v4.rwbase import split_lines
    from execnb.nbio import nb2str
    t0, text = time.time(), path.read_text(encoding='utf-8')
    raw, nb = json.loads(text), nbformat.reads(text, as_version=4)
    skip = {i: r for i, c in enumerate(nb.cells) if (r := skip_reason(c, skip_flags))}
    n_code = sum(c.cell_type == 'code' for c in nb.cells)
    if execute_it: execute(nb, path, set(skip), timeout)
    n_png = sanitize(nb, _subs(), (t0, time.time()) if execute_it else None)
    split_lines(nb)                                                      # outputs stored as nbformat stores them
    for rc, c in zip(raw['cells'], nb.cells):                            # only the outputs change: sources, ids and
        if rc['cell_type'] == 'code':                                    # metadata stay byte for byte as they were
            rc['outputs'] = [json.loads(json.dumps(o)) for o in c.outputs]
            for o in rc['outputs']:
                if 'image/png' in o.get('data', {}): o['data']['image/png'] = _join(o['data']['image/png']).strip()
    tmp = path.with_name(f'.{path.name}.tmp')
    tmp.write_text(nb2str(raw), encoding='utf-8'); os.replace(tmp, path)
    subprocess.run([str(ROOT/'.venv'/'bin'/'nbdev_clean'), '--fname', str(path)], check=True, cwd=ROOT)
    skipped = sorted({r for r in skip.values() if r != 'markdown'})
    n_skip = sum(r != 'markdown' for r in skip.values())
    out = json.loads(path.read_text(encoding='utf-8'))
    png_kb = sum(len(base64.b64decode(o['data']['image/png'])) for c in out['cells']
                 for o in c.get('outputs', []) if 'image/png' in o.get('data', {})) / 1024
    print(f"{path.relative_to(ROOT)}: {'ran ' + str(n_code - n_skip) if execute_it else 'sanitized'} of {n_code} code cells"
          f"{f' (skipped {n_skip}: ' + ', '.join(skipped) + ')' if n_skip and execute_it else ''} in {time.time() - t0:.0f} s; "
          f"{len(text)/1024:.0f} -> {path.stat().st_size/1024:.0f} KB, {n_png} PNG ({png_kb:.0f} KB)", flush=True)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('notebooks', nargs='*', help='default: the numbered chapters, then model_card.ipynb')
    ap.add_argument('--flags', default='', help="space-separated test flags whose cells also run (as nbdev_test --flags)")
    ap.add_argument('--timeout', type=int, default=3600, help='seconds a cell may run')
    ap.add_argument('--sanitize-only', action='store_true', help='do not execute; only tidy the saved outputs')
    a = ap.parse_args(argv)
    os.chdir(ROOT)
    from nbdev.config import get_config
    skip_flags = set(get_config().tst_flags.split()) - set(a.flags.split())
    # the kernel inherits this environment: offline, tests' mode, no progress bars, the inline matplotlib backend
    os.environ.update(IN_TEST='1', HF_HUB_OFFLINE='1', GRADIO_ANALYTICS_ENABLED='False', TQDM_DISABLE='1', PYTHONHASHSEED='0')
    os.environ.pop('MPLBACKEND', None)                                   # Agg would leave the chapters without figures
    if not a.sanitize_only:
        from jupyter_client.kernelspec import KernelSpecManager
        if KERNEL not in KernelSpecManager().find_kernel_specs():
            sys.exit(f"no '{KERNEL}' Jupyter kernel: run `bash .ci/venv.sh` (it installs it into .venv)")
    paths = [Path(p).resolve() for p in a.notebooks] or chapters()
    for p in paths:
        if not p.exists(): sys.exit(f"{p}: no such notebook")
    failed = []
    for p in paths:
        try: run_one(p, skip_flags, a.timeout, not a.sanitize_only)
        except Exception as e:
            failed.append(p.name)
            msg = str(e); msg = msg if len(msg) < 3000 else msg[:1500] + '\n...\n' + msg[-1500:]
            print(f"FAILED {p.relative_to(ROOT)} (left unchanged): {type(e).__name__}: {msg}", file=sys.stderr, flush=True)
    if failed: print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}"); return 1
    return 0

if __name__ == '__main__': sys.exit(main())
