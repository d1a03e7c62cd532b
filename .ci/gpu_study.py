#!/usr/bin/env python
"""The distillation study on one GPU machine with no network: leave-one-location-out CV of several training recipes at
once (one process each), then the release run of the recipe with the best out-of-fold score, trained on every location.

    python .ci/gpu_study.py prepare            # here (CPU, with the full install): teacher/peer maps + wheels -> .gpu/
    python .ci/gpu_study.py run --out DIR      # on the GPU machine: CVs + release run -> DIR (results.tar.gz, model parts)

The GPU machines this project can use lack rasterio and ukis-csmask, and their wheels (36 MB and 145 MB) do not fit the
64 MiB that travels with the working tree. So `prepare` stores ukis-csmask's outputs for every bundled chip, keyed by
the chip's pixel hash (its soft cloud probability, the teacher's targets, and its 10 m / 30 m masks, the peer rows),
and `run` reads the bundled GeoTIFFs with tifffile through a small stand-in for `rasterio.open` when rasterio is
missing. The pixels are the same; `run --check` compares both readers where both are installed.
"""
import argparse, json, os, subprocess, sys, tarfile, time, types
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
G = ROOT/'.gpu'
RECIPES = {   # name: overrides of configs/gpu_distill.yaml
    'g-labels': dict(targets='labels'),
    'g-teacher': dict(targets='teacher'),
    'g-mix': dict(targets='mix'),
    'g-teacher-haze': dict(targets='teacher', haze=0.15),
    'g-teacher-aug': dict(targets='teacher', cloud_paste=0.5, scale=0.25),
    'g-teacher-long': dict(targets='teacher', epochs=14, ema=0.995),    # 1400 steps instead of 800
}
SMOKE = dict(epochs=1, steps_per_epoch=2, crop=64, batch_size=2, device='cpu', encoder='resnet18')

def prepare():
    "Teacher and peer maps of every bundled chip, and the wheels the GPU machine lacks, into .gpu/."
    from cloud_nbdev.data import sample_root, read_metadata, load_chip
    from cloud_nbdev.training import TeacherCache, teacher_id, _pixel_hash
    from cloud_nbdev.evaluation import CSmaskPeer
    root = sample_root(); meta = read_metadata(root); tc = TeacherCache(10); p10, p30 = CSmaskPeer(10), CSmaskPeer(30)
    arrs = {'teacher_id': np.array(teacher_id(10))}
    for cid, bad in zip(meta.chip_id, meta.bad_label):
        img = load_chip(root/'train_features'/cid).image; h = _pixel_hash(img)
        arrs[f'soft|{h}'] = tc(img).astype(np.float16)
        if not bad: arrs[f'p10|{h}'] = np.packbits(p10(img) > 0.5); arrs[f'p30|{h}'] = np.packbits(p30(img) > 0.5)
        print(cid, flush=True)
    G.mkdir(exist_ok=True); np.savez_compressed(G/'peers.npz', **arrs)
    subprocess.run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '--only-binary=:all:', '--python-version', '3.12',
                    '--implementation', 'cp', '--platform', 'manylinux_2_28_x86_64', '-d', str(G/'whl'),
                    'segmentation-models-pytorch==0.6.0', 'fastcore==1.12.47'], check=True)

class _Reader:   # the part of a rasterio dataset that cloud_nbdev's readers use, from tifffile
    def __init__(self, path):
        import tifffile
        with tifffile.TiffFile(path) as t: self.arr = t.pages[0].asarray()
        self.count, self.dtypes = 1, (str(self.arr.dtype),)
        self.height, self.width = self.arr.shape
        self.profile = dict(crs=None, transform=_Affine((0,)), height=self.height, width=self.width, count=1, dtype=self.dtypes[0])
    def read(self, i=1): return self.arr
    def __enter__(self): return self
    def __exit__(self, *a): pass

class _Affine(tuple):
    def almost_equals(self, other): return True

def _stub_rasterio():
    r = types.ModuleType('rasterio'); e = types.ModuleType('rasterio.errors'); w = types.ModuleType('rasterio.windows')
    class RasterioIOError(IOError): pass
    class NotGeoreferencedWarning(UserWarning): pass
    e.RasterioIOError, e.NotGeoreferencedWarning, w.Window, r.errors, r.windows = RasterioIOError, NotGeoreferencedWarning, tuple, e, w
    def _open(path, *a, **k):
        try: return _Reader(path)
        except Exception as x: raise RasterioIOError(str(x)) from None
    r.open = _open
    sys.modules.update({'rasterio': r, 'rasterio.errors': e, 'rasterio.windows': w})

def _use_stored_peers():
    "ukis-csmask's outputs from .gpu/peers.npz instead of the package (see the module docstring)."
    z = np.load(G/'peers.npz'); tid = str(z['teacher_id'])
    import cloud_nbdev.training as tr, cloud_nbdev.evaluation as ev
    class StoredPeer:
        def __init__(self, resolution=10, threads=None, **k): self.resolution = resolution
        def cloud_proba(self, image): return z[f'soft|{tr._pixel_hash(image)}'].astype(np.float32)
        def __call__(self, image):
            h, w = np.asarray(image).shape[-2:]
            return np.unpackbits(z[f'p{self.resolution}|{tr._pixel_hash(image)}'])[:h * w].reshape(h, w).astype(np.float32)
    tr.teacher_id = lambda resolution=10: tid
    ev.CSmaskPeer = StoredPeer

def setup():
    sys.path.insert(0, str(ROOT))
    if os.environ.get('GPU_STUDY_BARE'): sys.modules.update(rasterio=None, ukis_csmask=None)   # test here as on the GPU machine
    try: import rasterio  # noqa
    except ImportError: _stub_rasterio(); print('rasterio missing: reading GeoTIFFs with tifffile', flush=True)
    import cloud_nbdev.evaluation as ev
    if not ev.peers_available(): _use_stored_peers(); print('ukis-csmask missing: its stored outputs (.gpu/peers.npz)', flush=True)

def one_cv(name, overrides, smoke):
    setup()
    import torch; torch.set_num_threads(2)
    from cloud_nbdev.evaluation import cross_validate
    ov = dict(overrides, **(SMOKE if smoke else {}))
    r = cross_validate(ROOT/'configs'/'gpu_distill.yaml', name, ov, papermill=False, peers=True, progress=False)
    print(name, r['table'][['iou', 'fold_iou_mean']].round(3).to_string(), flush=True)

def _release_overrides(name, smoke): return dict(RECIPES[name], run_name=f'release-{name}', val_locations=[], **(SMOKE if smoke else {}))

def one_job(kind, name, loc, smoke):
    "One fold run (`kind` 'fold', location `loc`) or the release run ('release') of recipe `name`, in this process."
    setup()
    import torch; torch.set_num_threads(2)
    from cloud_nbdev.training import load_config, train
    from cloud_nbdev.evaluation import _fold_run
    if kind == 'release': train(load_config(ROOT/'configs'/'gpu_distill.yaml', _release_overrides(name, smoke)))
    else: _fold_run(load_config(ROOT/'configs'/'gpu_distill.yaml', dict(RECIPES[name], **(SMOKE if smoke else {}))), name, loc, papermill=False)

def _spawn(args, log, smoke):
    return subprocess.Popen([sys.executable, __file__, *args] + (['--smoke'] if smoke else []), stdout=open(log, 'w'), stderr=subprocess.STDOUT)

def run(out, smoke=False, recipes=None, parallel_folds=False):
    out = Path(out); out.mkdir(parents=True, exist_ok=True); t0 = time.time(); names = recipes or list(RECIPES)
    logs = ROOT/'outputs'/'runs'/'gpu-logs'; logs.mkdir(parents=True, exist_ok=True)
    if parallel_folds:    # every fold and the release run at once, one process each; the CVs below then reuse the folds
        import pandas as pd
        locs = sorted(pd.read_csv(ROOT/'data'/'sample'/'chip_flags.csv').query('~listed_as_bad_label').location.unique())
        jobs = {f'{n}/{l}': _spawn(['job', n, '--loc', l], logs/f'{n}-{l[:8]}.log', smoke) for n in names for l in locs}
        jobs.update({f'{n}/release': _spawn(['job', n], logs/f'{n}-release.log', smoke) for n in names})
        for k, p in jobs.items(): print(k, 'exit', p.wait(), f'{time.time() - t0:.0f} s', flush=True)
    procs = {n: _spawn(['cv', n], logs/f'{n}.log', smoke) for n in names}
    for n, p in procs.items(): print(n, 'exit', p.wait(), f'{time.time() - t0:.0f} s', flush=True)
    setup()
    import pandas as pd
    from cloud_nbdev.evaluation import cv_summary
    from cloud_nbdev.training import train, load_config, _abs
    from cloud_nbdev.model import load_checkpoint, save_checkpoint, read_card
    runs = _abs('outputs/runs'); done = [runs/n for n in names if (runs/n/'cv.json').exists()]
    table = cv_summary(done, runs/'gpu-summary'); print(table[['iou', 'fold_iou_mean']].round(3).to_string(), flush=True)
    nested = {n: table.loc[f'{n}: model, OOF threshold (nested)', 'iou'] for n in [d.name for d in done]}
    best = max(nested, key=nested.get); print('best recipe', best, nested[best], flush=True)
    rel = runs/f'release-{best}'
    if not (rel/'summary.json').exists(): train(load_config(ROOT/'configs'/'gpu_distill.yaml', _release_overrides(best, smoke)))
    m, card = load_checkpoint(rel/'last'); save_checkpoint(rel/'fp16', m, card, dtype='float16')
    blob = (rel/'fp16'/'model.safetensors').read_bytes(); k = 15 << 20
    for i in range(0, len(blob), k): (out/f'model.part{i // k}').write_bytes(blob[i:i + k])
    with tarfile.open(out/'results.tar.gz', 'w:gz') as t:
        for d in [*done, runs/'gpu-summary', rel, logs]:
            for f in d.rglob('*'):
                if f.is_file() and f.suffix != '.safetensors' and f.name != 'train_state.pt': t.add(f, f.relative_to(ROOT))
    print(json.dumps(dict(best=best, nested=nested, release=str(rel.relative_to(ROOT)), seconds=round(time.time() - t0)), indent=1))

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('cmd', choices=['prepare', 'run', 'cv', 'job']); p.add_argument('name', nargs='?')
    p.add_argument('--out', default='outputs/tmp/gpu'); p.add_argument('--smoke', action='store_true'); p.add_argument('--recipes', nargs='*')
    p.add_argument('--parallel-folds', action='store_true', help='train every fold and the release at once, one process each')
    p.add_argument('--loc', help='job: the held-out location of a fold run (default: the release run)')
    a = p.parse_args()
    if a.cmd == 'prepare': sys.path.insert(0, str(ROOT)); prepare()
    elif a.cmd == 'cv': one_cv(a.name, RECIPES[a.name], a.smoke)
    elif a.cmd == 'job': one_job('fold' if a.loc else 'release', a.name, a.loc, a.smoke)
    else: run(a.out, a.smoke, a.recipes, a.parallel_folds)
