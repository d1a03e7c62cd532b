"""Render README.md from nbs/index.ipynb (nbdev's readme_nb).

`nbdev_readme` needs Quarto, which cannot be installed on this project's machines, so this renders the notebook's
markdown and saved outputs itself, honouring nbdev's `#| hide` and `#| echo: false` directives:
  python .ci/readme.py            execute nbs/index.ipynb in place (it reads the study's outputs), then render
  python .ci/readme.py --render   render from the saved outputs only
  python .ci/readme.py --check    exit 1 if README.md differs from what the saved outputs render to"""
import base64, json, os, subprocess, sys
from pathlib import Path
from nbs_meta import split_cell

root = Path(__file__).resolve().parent.parent
nb_path, readme, files = root/'nbs'/'index.ipynb', root/'README.md', root/'README_files'

def render(nb):
    out, images = [], {}
    for i, c in enumerate(nb['cells']):
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': out.append(src.strip()); continue
        d, code = split_cell(src)                                    # nbdev's reading of the cell's `#|` directives
        if d.get('hide') or d.get('include') == 'false': continue
        code = code.strip()
        if code and d.get('echo') != 'false': out.append(f"``` python\n{code}\n```")
        for o in c.get('outputs', []):
            data = o.get('data', {})
            if o.get('output_type') == 'stream' and o.get('name') == 'stdout': out.append("```\n" + ''.join(o['text']).rstrip() + "\n```")
            elif 'image/png' in data:
                name = f"index_{i:02d}_{len(images)}.png"; images[name] = base64.b64decode(data['image/png'])
                out.append(f"![]({files.name}/{name})")
            elif 'text/markdown' in data: out.append(''.join(data['text/markdown']).strip())
            elif 'text/plain' in data: out.append("```\n" + ''.join(data['text/plain']).rstrip() + "\n```")
    text = "<!-- generated from nbs/index.ipynb by .ci/readme.py: edit the notebook, not this file -->\n\n" + '\n\n'.join(p for p in out if p) + '\n'
    return text, images

def main(args):
    if not ({'--render', '--check'} & set(args)):
        venv = root/'.venv'/'bin'
        subprocess.run([str(venv/'jupyter'), 'nbconvert', '--to', 'notebook', '--execute', '--inplace',
                        '--ExecutePreprocessor.timeout=600', str(nb_path)], check=True, cwd=root/'nbs',
                       env={**os.environ, 'README_RENDER': '1'})   # index's README check waits for this render
        subprocess.run([str(venv/'nbdev_clean'), '--fname', str(nb_path)], check=True, cwd=root)
    text, images = render(json.loads(nb_path.read_text()))
    if '--check' in args:
        stale = [n for n, b in images.items() if not (files/n).exists() or (files/n).read_bytes() != b]
        if not readme.exists() or readme.read_text() != text or stale:
            print("README.md is stale: run `.venv/bin/python .ci/readme.py --render` (or `make study`)"); return 1
        print("README.md is current"); return 0
    if files.exists():
        for f in files.glob('*.png'): f.unlink()
    if images: files.mkdir(exist_ok=True)
    for n, b in images.items(): (files/n).write_bytes(b)
    readme.write_text(text); print(f"wrote {readme.name} ({len(text)} chars, {len(images)} images)"); return 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
