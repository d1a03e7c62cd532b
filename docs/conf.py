"""Sphinx configuration of the docs site built without Quarto (see .ci/docs_site.py, which writes the pages into
_docs_src/ from nbdev's processed notebooks and runs Sphinx with this folder as its configuration)."""
import configparser
from pathlib import Path

_ini = configparser.ConfigParser(); _ini.read(Path(__file__).resolve().parent.parent/'settings.ini'); _ini = _ini['DEFAULT']
project = _ini['title']
author = _ini['author']
copyright = _ini['copyright']
release = version = _ini['version']

extensions = ['myst_nb']
root_doc = 'index'
exclude_patterns = ['_build', '**/.ipynb_checkpoints']
nb_execution_mode = 'off'                 # the chapters carry their outputs (.ci/execute_chapters.py); never re-run here
nb_render_markdown_format = 'myst'        # markdown outputs (tables) rendered as MyST
nb_merge_streams = True
myst_enable_extensions = ['colon_fence', 'html_image']
myst_all_links_external = True           # links are plain hrefs: .ci/docs_site.py already made site links relative
suppress_warnings = ['myst.header', 'misc.highlighting_failure', 'mystnb.unknown_mime_type']
highlight_language = 'python3'

html_theme = 'furo'                       # system fonts, no CDN: works offline
html_title = _ini['title']
html_static_path = [str(Path(__file__).resolve().parent/'_static')]
html_css_files = ['custom.css']
html_favicon = str(Path(__file__).resolve().parent/'_static'/'favicon.svg')
html_copy_source = False                  # no copies of the notebooks under _sources/
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {'navigation_with_keys': True, 'top_of_page_buttons': []}
# MathJax (from a CDN) would be added only to a page with an equation; there is none, and .ci/docs_site.py fails the
# build if any page loads a script, style or font from another host.
