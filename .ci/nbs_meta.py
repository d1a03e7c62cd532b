"""What .ci's scripts read from nbs/, read in one place: the chapters, the sidebar, a code cell's `#|` directives.

    import nbs_meta      # .ci/ is on sys.path when a script of .ci/ runs (`python .ci/readme.py`)
    nbs_meta.chapters()                     # [.../nbs/00_data.ipynb, .../nbs/01_model.ipynb, ..., .../nbs/05_app.ipynb]
    nbs_meta.sidebar()                      # [(None, ['index.ipynb']), ('Chapters', ['00_data.ipynb', ...]), ...]
    opts, code = nbs_meta.split_cell("#| echo: false\\nshow(x)")     # ({'echo': 'false'}, 'show(x)'), nbdev's parser

Used by readme.py, docs_site.py, check_docs.py, execute_chapters.py, gpu_check.py and tests/docs_browser.py."""
import re
from pathlib import Path

NBS = Path(__file__).resolve().parent.parent/'nbs'

# A chapter is `NN_name.ipynb` or, between two numbers, `NNx_name.ipynb` (`01a_peer.ipynb`). Sorted by name, a lettered
# chapter comes after its number's and before the next number's: '01_model' < '01a_peer' < '02_training' ('_' < 'a').
CHAPTER = re.compile(r'\d\d[a-z]?_')

def is_chapter(name) -> bool: return bool(CHAPTER.match(Path(name).name))

def chapters(nbs=NBS) -> list:
    "The chapters of `nbs` (paths), in order."
    return sorted((p for p in Path(nbs).glob('*.ipynb') if is_chapter(p.name)), key=lambda p: p.name)

def sidebar(nbs=NBS) -> list:
    """[(caption or None, [notebook, ...]), ...] from `nbs`/sidebar.yml, the file Quarto reads: a section's notebooks
    under its caption, a notebook outside any section under None (sections inside sections are not read)."""
    import yaml
    out = []
    for it in yaml.safe_load((Path(nbs)/'sidebar.yml').read_text())['website']['sidebar']['contents']:
        if isinstance(it, dict): out.append((it.get('section'), [c for c in it.get('contents', []) if isinstance(c, str)]))
        else: out.append((None, [it]))
    return out

def sidebar_notebooks(nbs=NBS) -> list: return [n for _, ns in sidebar(nbs) for n in ns]

try:
    from fastcore.basics import AttrDict
    from nbdev.process import extract_directives, first_code_ln
except ImportError:
    # Only for .ci/gpu_check.py on a GPU machine: nbdev needs IPython, and neither travels there (.ci/gpu_wheels.sh).
    # Then `_read_directives` below reads the directives by nbdev's rules; everywhere else nbdev's parser does.
    extract_directives = first_code_ln = None

_MAGIC = re.compile(r'\s*%%\w+')                             # a cell magic (`%%time`), as nbdev.process._cell_mgc

def _read_directives(lines):
    "Without nbdev: (directives, index of the first code line) by nbdev's rules for Python cells (see `split_cell`)."
    opts = {}
    for i, line in enumerate(lines):
        m = re.match(r'\s*#\s*\|\s*([\w-]+)\s*:?\s*(.*)$', line)   # nbdev.process._dir_pre('python'), then name: value
        if m: opts[m.group(1)] = m.group(2).strip().lower() or 'true'       # (nbdev also reads `%%time` as a directive `time`)
        elif line.strip() and not _MAGIC.match(line): return opts, i
    return opts, None

def split_cell(src, lang='python'):
    """A code cell's `#|` directives and its code without them: ({name: value}, code), read by nbdev's parser
    (`nbdev.process.extract_directives`). As in nbdev and Quarto, only the lines before the first line of code are
    directives (blank lines and a `%%` cell magic may come among them; the magic stays in the code). A value is the
    directive's text after its name in lower case ('false' for `#| echo: false`, 'app' for `#| default_exp app`), or
    'true' when there is none (`#| hide`, `#| export`). The code: its lines (str.splitlines) joined with '\\n'."""
    lines = src.splitlines(True)
    if extract_directives is None: opts, i = _read_directives(lines)
    else:
        d = extract_directives(AttrDict(source=src), remove=False, lang=lang)   # {'echo:': ['false'], 'hide': []}
        opts = {k.rstrip(':'): ' '.join(v).strip().lower() or 'true' for k, v in d.items()}
        i = first_code_ln(lines, lang=lang)
    if i is None: i = len(lines)                              # directives only
    return opts, '\n'.join(''.join([l for l in lines[:i] if _MAGIC.match(l)] + lines[i:]).splitlines())
