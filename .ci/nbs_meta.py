"""What .ci's scripts read from nbs/, read in one place: a code cell's `#|` directives (nbdev's own parser).

    import nbs_meta      # .ci/ is on sys.path when a script of .ci/ runs (`python .ci/readme.py`)
    opts, code = nbs_meta.split_cell("#| echo: false\\nshow(x)")     # ({'echo': 'false'}, 'show(x)')

Used by readme.py, docs_site.py and gpu_check.py."""
import re

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
