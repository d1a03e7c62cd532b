#!/usr/bin/env bash
# Build the docs site into _docs/. With Quarto on PATH: `nbdev_docs`, as nbdev intends. Without it (Quarto cannot be
# installed on this project's machines): nbdev's processed notebooks (`nbdev_proc_nbs`, so the show_doc API sections are
# there) rendered by Sphinx + MyST-NB with the Furo theme, offline (.ci/docs_site.py says why that renderer).
# First the checks of .ci/check_docs.py (sidebar, API docs, links, README freshness). Quick when nothing changed: the
# site carries a stamp of everything it is made from. DOCS_FORCE=1 rebuilds anyway.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False MPLBACKEND=Agg IN_TEST=1
t0=$(date +%s)
renderer=${DOCS_RENDERER:-$(command -v quarto >/dev/null 2>&1 && echo quarto || echo sphinx)}   # DOCS_RENDERER=sphinx|quarto
key=$({ echo "$renderer"; find settings.ini nbs docs cloud_nbdev .ci/docs.sh .ci/docs_site.py .ci/check_docs.py .ci/nbs_meta.py -type f \
          -not -path '*/.ipynb_checkpoints/*' -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha1sum; } | sha1sum | cut -c1-16)
stamp=_docs/.built-$key
where="_docs/index.html (to browse it: .venv/bin/python -m http.server -d _docs 8000, then http://127.0.0.1:8000/)"
if [ -f "$stamp" ] && [ -f _docs/index.html ] && [ "${DOCS_FORCE:-0}" = 0 ]; then
  echo "docs site is up to date ($renderer): $where"; exit 0
fi
python .ci/check_docs.py || exit 1
if [ "$renderer" = quarto ]; then
  nbdev_docs || exit 1
else
  command -v quarto >/dev/null 2>&1 || echo "Quarto is not on PATH: rendering nbdev's processed notebooks with Sphinx + MyST-NB"
  python .ci/docs_site.py || exit 1
fi
rm -f _docs/.built-*; touch "$stamp"
echo "docs site built in $(( $(date +%s) - t0 )) s ($renderer): $where"
