"""Imported at start-up by every Python process whose PYTHONPATH names this folder: `.ci/gpu_study.py` names it for the
commands it starts (`cloud-nbdev cv`, `cloud-nbdev train`), and so papermill's kernels and torchrun's workers inherit it.
Where rasterio is missing (the GPU machines), it puts the tifffile stand-in of `.ci/tiff_reader.py` in its place: pixels
only, georeferencing NOT read (see that file). GPU_STUDY_BARE names modules to block where they are installed
(`rasterio,ukis_csmask`), so a dry run here meets what the GPU machine has. Then it runs the machine's own
sitecustomize, if there is one."""
import importlib.machinery, importlib.util, os, sys
from pathlib import Path

_here = Path(__file__).resolve().parent
_blocked = [m for m in os.environ.get('GPU_STUDY_BARE', '').split(',') if m]
sys.modules.update(dict.fromkeys(_blocked))
if 'rasterio' in _blocked or importlib.util.find_spec('rasterio') is None:
    sys.path.insert(0, str(_here.parent)); import tiff_reader; tiff_reader.install(); sys.path.remove(str(_here.parent))
_other = importlib.machinery.PathFinder.find_spec('sitecustomize', [p for p in sys.path if Path(p or '.').resolve() != _here])
if _other and _other.loader: _other.loader.exec_module(importlib.util.module_from_spec(_other))
