#!/usr/bin/env python
"""Transport for the distillation study on a borrowed GPU machine with no network.

The study itself is project code: the recipes are `configs/g-*.yaml`, each cross-validated by `cross_validate`, compared
by `cv_summary` and chosen by `best_recipe` (03a_crossval); the release is `train` of the chosen recipe on every
location (02_training). This file only carries what the GPU machine lacks, starts the work, and packs the results:

    python .ci/gpu_study.py prepare            # here (CPU, full install): ukis-csmask's outputs + wheels -> .gpu/
    python .ci/gpu_study.py run --out DIR      # there: the CVs, then the release run of the best recipe -> DIR
    python .ci/gpu_study.py check              # here: the tifffile reader gives rasterio's pixels on every bundled chip

- ukis-csmask (145 MB with onnxruntime) cannot travel: `prepare` stores its outputs for the 31 bundled chips with
  `save_peer_store` (01a_peer), and `run` names that file in CLOUD_NBDEV_PEER_STORE, so `make_peer` serves them.
- rasterio (36 MB) cannot travel either: `run` reads the bundled GeoTIFFs with `.ci/tiff_reader.py`, which reads the
  pixels and NOT the georeferencing (see its docstring). Nothing is written as a GeoTIFF there.
"""
import argparse, json, os, subprocess, sys, tarfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
G = ROOT/'.gpu'
RECIPES = ('g-labels', 'g-teacher', 'g-mix', 'g-teacher-haze', 'g-teacher-aug', 'g-teacher-long')   # configs/<name>.yaml
SMOKE = dict(epochs=1, steps_per_epoch=2, crop=64, batch_size=2, device='cpu', encoder='resnet18')  # --smoke: a dry run

def prepare():
    "ukis-csmask's outputs for every bundled chip, and the wheels the GPU machine lacks, into .gpu/."
    sys.path.insert(0, str(ROOT))
    from cloud_nbdev.data import sample_root
    from cloud_nbdev.peer import save_peer_store
    G.mkdir(exist_ok=True); save_peer_store(sample_root(), G/'peers.npz')
    subprocess.run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '--only-binary=:all:', '--python-version', '3.12',
                    '--implementation', 'cp', '--platform', 'manylinux_2_28_x86_64', '-d', str(G/'whl'),
                    'segmentation-models-pytorch==0.6.0', 'fastcore==1.12.47', 'tifffile'], check=True)

def setup():
    "Stand-ins for what this machine lacks: the tifffile reader for rasterio, the stored outputs for ukis-csmask."
    sys.path.insert(0, str(ROOT))
    if os.environ.get('GPU_STUDY_BARE'): sys.modules.update(rasterio=None, ukis_csmask=None)   # test here as on the GPU machine
    try: import rasterio  # noqa
    except ImportError:
        sys.path.insert(0, str(ROOT/'.ci')); import tiff_reader; tiff_reader.install()
        print('rasterio missing: pixels read with tifffile (no georeferencing)', flush=True)
    from cloud_nbdev.peer import peers_available, PEER_STORE
    if not peers_available(): os.environ[PEER_STORE] = str(G/'peers.npz'); print(f'ukis-csmask missing: {G/"peers.npz"}', flush=True)

def _config(name): return ROOT/'configs'/f'{name}.yaml'
def _smoke(smoke): return dict(SMOKE) if smoke else {}

def one_cv(name, smoke):
    "The leave-one-location-out CV of recipe `name`, in this process (folds already trained are reused)."
    setup()
    import torch; torch.set_num_threads(2)
    from cloud_nbdev.crossval import cross_validate
    r = cross_validate(_config(name), name, _smoke(smoke), papermill=False, peers=True, progress=False)
    print(name, r['table'][['iou', 'fold_iou_mean']].round(3).to_string(), flush=True)

def _release(name, smoke): return dict(run_name=f'release-{name}', val_locations=[], **_smoke(smoke))

def one_job(name, loc, smoke):
    "One fold run of recipe `name` (held-out location `loc`) or, without `loc`, its release run, in this process."
    setup()
    import torch; torch.set_num_threads(2)
    from cloud_nbdev.training import load_config, train
    from cloud_nbdev.crossval import _fold_run
    if loc is None: train(load_config(_config(name), _release(name, smoke)))
    else: _fold_run(load_config(_config(name), _smoke(smoke)), name, loc, papermill=False)

def _spawn(args, log, smoke):
    return subprocess.Popen([sys.executable, __file__, *args] + (['--smoke'] if smoke else []), stdout=open(log, 'w'), stderr=subprocess.STDOUT)

def _wait(procs, t0):
    for k, p in procs.items(): print(k, 'exit', p.wait(), f'{time.time() - t0:.0f} s', flush=True)

def run(out, smoke=False, recipes=None, parallel_folds=False):
    "The CVs of `recipes` (one process each), the best recipe's release run, and the results packed into `out`."
    out = Path(out); out.mkdir(parents=True, exist_ok=True); t0 = time.time(); names = recipes or list(RECIPES)
    setup()
    from cloud_nbdev.data import read_metadata, sample_root, repo_path
    from cloud_nbdev.crossval import loco_folds, cv_summary, best_recipe
    logs = repo_path('outputs/runs/gpu-logs'); logs.mkdir(parents=True, exist_ok=True)
    if parallel_folds:    # every fold and the release run at once, one process each; the CVs below then reuse the folds
        locs = list(loco_folds(read_metadata(sample_root())))
        jobs = {f'{n}/{l}': _spawn(['job', n, '--loc', l], logs/f'{n}-{l[:8]}.log', smoke) for n in names for l in locs}
        jobs.update({f'{n}/release': _spawn(['job', n], logs/f'{n}-release.log', smoke) for n in names})
        _wait(jobs, t0)
    _wait({n: _spawn(['cv', n], logs/f'{n}.log', smoke) for n in names}, t0)
    runs = repo_path('outputs/runs'); done = [runs/n for n in names if (runs/n/'cv.json').exists()]
    table = cv_summary(done, runs/'gpu-summary'); best = best_recipe(table)
    print(table[['iou', 'fold_iou_mean']].round(3).to_string(), '\nbest recipe', best, flush=True)
    rel = runs/f'release-{best}'
    if not (rel/'summary.json').exists(): _wait({f'{best}/release': _spawn(['job', best], logs/f'{best}-release.log', smoke)}, t0)
    _pack(out, done + [runs/'gpu-summary', rel, logs], rel)
    print(json.dumps(dict(best=best, release=str(rel.relative_to(ROOT)), seconds=round(time.time() - t0)), indent=1))

def _pack(out, folders, rel):
    "The release's fp16 weights in 15 MB parts (what a device run can bring back) and every small file in results.tar.gz."
    from cloud_nbdev.model import load_checkpoint, save_checkpoint
    m, card = load_checkpoint(rel/'last'); save_checkpoint(rel/'fp16', m, card, dtype='float16')
    blob = (rel/'fp16'/'model.safetensors').read_bytes(); k = 15 << 20
    for i in range(0, len(blob), k): (out/f'model.part{i // k}').write_bytes(blob[i:i + k])
    with tarfile.open(out/'results.tar.gz', 'w:gz') as t:
        for d in folders:
            for f in d.rglob('*'):
                if f.is_file() and f.suffix != '.safetensors' and f.name != 'train_state.pt': t.add(f, f.relative_to(ROOT))

def check():
    "The tifffile reader's pixels against rasterio's on every bundled chip (both must be installed)."
    sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT/'.ci'))
    import numpy as np, rasterio, tiff_reader
    from cloud_nbdev.data import sample_root, read_metadata
    root = sample_root(); files = [f for c in read_metadata(root).chip_id for f in sorted((root/'train_features'/c).glob('*.tif'))]
    bad = []
    for f in files:
        with rasterio.open(f) as a: ref = a.read(1)
        if not np.array_equal(tiff_reader.TiffReader(f).read(1), ref): bad.append(str(f))
    print(f"{len(files) - len(bad)} of {len(files)} band files give rasterio's pixels" + (f"; differ: {bad}" if bad else ''))
    return 1 if bad else 0

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('cmd', choices=['prepare', 'run', 'cv', 'job', 'check']); p.add_argument('name', nargs='?')
    p.add_argument('--out', default='outputs/tmp/gpu'); p.add_argument('--smoke', action='store_true'); p.add_argument('--recipes', nargs='*')
    p.add_argument('--parallel-folds', action='store_true', help='train every fold and the release at once, one process each')
    p.add_argument('--loc', help='job: the held-out location of a fold run (default: the release run)')
    a = p.parse_args()
    if a.cmd == 'prepare': prepare()
    elif a.cmd == 'check': sys.exit(check())
    elif a.cmd == 'cv': one_cv(a.name, a.smoke)
    elif a.cmd == 'job': one_job(a.name, a.loc, a.smoke)
    else: run(a.out, a.smoke, a.recipes, a.parallel_folds)
