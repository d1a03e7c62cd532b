#!/usr/bin/env python
"""Transport for the distillation study on a borrowed GPU machine with no network and no Jupyter.

The study is the project's command line, nothing else: each recipe `configs/g-*.yaml` is cross-validated by
`cloud-nbdev cv` (every fold a papermill run of nbs/02_training.ipynb), the CVs are compared by `cv_summary` and the
best is chosen by `best_recipe` (03a_crossval), and the release is `cloud-nbdev train` of that recipe on every location,
a papermill run too. So every run folder it brings back holds its executed notebook, which `cloud-nbdev promote`
requires. This file only carries what the GPU machine lacks, starts those commands, and packs their run folders:

    python .ci/gpu_study.py prepare            # here (CPU, full install): ukis-csmask's outputs + wheels -> .gpu/
    python .ci/gpu_study.py run --out DIR      # there: install the wheels, the CVs, the release run -> DIR
    python .ci/gpu_study.py run --dry          # here: the same commands on tiny synthetic chips on the CPU, in /tmp
    python .ci/gpu_study.py check              # here: the tifffile reader gives rasterio's pixels on every bundled chip

- Jupyter cannot be installed there (no network): `prepare` downloads the wheels of papermill, an IPython kernel, nbdev
  (the notebook's last cell imports it) and what they need beyond the machine's own packages (WHEELS; Python 3.12,
  manylinux x86_64, the versions of .ci/constraints.txt) into `.gpu/whl`, and `run` installs them into a folder on
  PYTHONPATH. `.gpu/` is git-ignored: a device call carries it (`carry: [".gpu"]`).
- ukis-csmask (145 MB with onnxruntime) cannot travel: `prepare` stores its outputs for the 31 bundled chips with
  `save_peer_store` (01a_peer), and `run` names that file in CLOUD_NBDEV_PEER_STORE, which every process inherits.
- rasterio (36 MB) cannot travel either: `.ci/gpu_site/sitecustomize.py`, on the PYTHONPATH of every command `run`
  starts (and so of papermill's kernels), reads the bundled GeoTIFFs with `.ci/tiff_reader.py`: the pixels and NOT the
  georeferencing (see its docstring). Nothing is written as a GeoTIFF there.
"""
import argparse, json, os, shutil, subprocess, sys, tarfile, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
G, SITE = ROOT/'.gpu', ROOT/'.ci'/'gpu_site'
RECIPES = ('g-labels', 'g-teacher', 'g-mix', 'g-teacher-haze', 'g-teacher-aug', 'g-teacher-long', 'g-teacher-kl')   # configs/<name>.yaml
SMOKE = dict(epochs=1, steps_per_epoch=2, crop=64, batch_size=2, encoder='resnet18')   # --smoke: a first try there
DRY = dict(epochs=1, steps_per_epoch=2, crop=32, batch_size=2, encoder='tu-mobilenetv3_small_050', device='cpu',
           targets='labels', threads=1)                                               # --dry: here, synthetic chips
WHEELS = ('segmentation-models-pytorch==0.6.0', 'fastcore==1.12.47',                  # the U-Net; fastcore
          'papermill==2.7.0', 'nbclient==0.11.0', 'nbformat==5.11.1', 'fastjsonschema==2.22.3', 'jsonschema==4.26.0',
          'jsonschema-specifications==2025.9.1', 'referencing==0.37.0', 'rpds-py==2026.9.1', 'entrypoints==0.4.2',
          'tenacity==9.2.1',                                                          # papermill and nbformat
          'ipykernel==7.4.0', 'jupyter-client==8.10.0', 'jupyter-core==5.9.1', 'pyzmq==27.3.0', 'tornado==6.6.1',
          'traitlets==5.16.1', 'platformdirs==4.14.8', 'comm==0.2.3', 'debugpy==1.8.22', 'nest-asyncio2==1.7.4',
          'matplotlib-inline==0.2.2', 'ipython==9.18.1', 'ipython-pygments-lexers==1.1.1', 'jedi==0.20.1', 'parso==0.8.7',
          'prompt-toolkit==3.0.53', 'wcwidth==0.9.4', 'pexpect==4.9.0', 'ptyprocess==0.7.0', 'stack-data==0.6.3',
          'asttokens==3.0.2', 'executing==2.3.0', 'pure-eval==0.2.4',                 # the kernel
          'nbdev==2.4.14', 'execnb==0.1.18', 'fastgit==0.1.4', 'ghapi==1.1.1', 'astunparse==1.6.3', 'watchdog==7.1.0')

def prepare():
    "ukis-csmask's outputs for every bundled chip, and the wheels the GPU machine lacks, into .gpu/."
    sys.path.insert(0, str(ROOT))
    from cloud_nbdev.data import sample_root
    from cloud_nbdev.peer import save_peer_store
    G.mkdir(exist_ok=True); save_peer_store(sample_root(), G/'peers.npz')
    shutil.rmtree(G/'whl', ignore_errors=True)
    plat = [a for n in ('manylinux_2_28', 'manylinux_2_27', 'manylinux_2_17', 'manylinux2014', 'manylinux1') for a in ('--platform', f'{n}_x86_64')]
    subprocess.run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '--only-binary=:all:', '--python-version', '3.12',
                    '--implementation', 'cp', *plat, '-d', str(G/'whl'), *WHEELS], check=True)
    got = sorted(G.glob('whl/*.whl'))
    if len(got) != len(WHEELS): sys.exit(f"expected {len(WHEELS)} wheels in {G/'whl'}, got {len(got)}")
    print(f"{len(got)} wheels, {sum(f.stat().st_size for f in got) / 2**20:.1f} MiB in {G/'whl'}; peers in {G/'peers.npz'}")

def setup():
    "This process's stand-in for rasterio where it is missing (the commands it starts get theirs from gpu_site)."
    sys.path.insert(0, str(ROOT))
    import importlib.util
    if importlib.util.find_spec('rasterio') is None:
        sys.path.insert(0, str(ROOT/'.ci')); import tiff_reader; tiff_reader.install()

def _env(site, bare):
    "The environment of the commands: the wheels, the stand-ins, the project, ukis-csmask's stored outputs where it is missing."
    env = dict(os.environ, MPLBACKEND='Agg', HF_HUB_OFFLINE='1', PYTHONUNBUFFERED='1', TQDM_MININTERVAL='5')
    env['PYTHONPATH'] = os.pathsep.join([*([str(site)] if site else []), str(SITE), str(ROOT), *filter(None, [os.environ.get('PYTHONPATH')])])
    if bare:                                 # block here what the GPU machine lacks (rasterio only where tifffile can stand in)
        import importlib.util
        env['GPU_STUDY_BARE'] = 'ukis_csmask' + (',rasterio' if importlib.util.find_spec('tifffile') else '')
        print(f"dry run: blocked in every command: {env['GPU_STUDY_BARE']}", flush=True)
    from cloud_nbdev.peer import peers_available, PEER_STORE
    if (bare or not peers_available()) and (G/'peers.npz').exists(): env[PEER_STORE] = str(G/'peers.npz')
    return env

def install(whl):
    "The wheels of `whl` installed into a new folder (None when there are none: this machine has what it needs)."
    files = sorted(Path(whl).glob('*.whl')) if whl else []
    if not files and whl: print(f'no wheels in {whl}: this machine\'s own packages must do', flush=True)
    if not files: return None
    site = Path(tempfile.mkdtemp(prefix='gpu_study_site.')); t0 = time.time()
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-index', '--no-deps', '--no-compile', '--no-cache-dir',
                    '--target', str(site), *map(str, files)], check=True)
    print(f'installed {len(files)} wheels into {site} in {time.time() - t0:.0f} s', flush=True)
    return site

def _p(ov): return [a for k, v in ov.items() for a in ('-p', k, json.dumps(v))]      # JSON is YAML: `-p` reads it

def _cli(args, log, env):
    "`cloud-nbdev ARGS` (as `python -m cloud_nbdev`, the same command) started with its output in `log`."
    return subprocess.Popen([sys.executable, '-m', 'cloud_nbdev', *args], stdout=open(log, 'w'), stderr=subprocess.STDOUT, env=env, cwd=ROOT)

def _wait(procs, t0):
    for k, p in procs.items(): print(k, 'exit', p.wait(), f'{time.time() - t0:.0f} s', flush=True)

def _notebook_problems(folders):
    "What `cloud-nbdev promote` would say of each run folder's executed notebook (missing, failed), by folder."
    from cloud_nbdev.crossval import run_notebook, NotebookError
    bad = {}
    for d in folders:
        try: run_notebook(d)
        except NotebookError as e: bad[str(d)] = str(e).split(';')[0]
    return bad

def run(out, recipes=None, smoke=False, dry=False, parallel_folds=False, whl=None, outputs=None):
    "The CVs of `recipes` (one `cloud-nbdev cv` each), the best recipe's release (`cloud-nbdev train`), packed into `out`."
    t0 = time.time(); names = list(recipes or (RECIPES[1:2] if dry else RECIPES))
    site = install(whl)                      # first: this process imports cloud_nbdev too (fastcore, smp, nbformat)
    if site: sys.path.insert(0, str(site))
    setup()
    from cloud_nbdev.data import read_metadata, sample_root, repo_path, make_synthetic_root
    from cloud_nbdev.crossval import loco_folds, cv_summary, best_recipe, _slug
    ov = dict(SMOKE) if smoke else {}
    if dry:                                  # tiny synthetic chips (three locations), written with this machine's rasterio
        tmp = Path(tempfile.mkdtemp(prefix='gpu_study_dry.')); out = Path(out or tmp/'out'); outputs = tmp/'runs'
        ov = dict(DRY, data_root=str(make_synthetic_root(tmp/'chips', n=6, size=32)))
    runs = repo_path(outputs or 'outputs/runs'); ov['outputs'] = str(runs)
    out = Path(out); out.mkdir(parents=True, exist_ok=True); logs = runs/'gpu-logs'; logs.mkdir(parents=True, exist_ok=True)
    env = _env(site, bare=dry); cv_flags = ['--no-peers'] if dry else []
    cfg = lambda n: ['--config', str(ROOT/'configs'/f'{n}.yaml')]
    if parallel_folds:    # every fold at once, one `cloud-nbdev train` each, as `cloud-nbdev cv` names them; the CVs reuse them
        locs = list(loco_folds(read_metadata(Path(ov.get('data_root') or sample_root()))))
        _wait({f'{n}/{l}': _cli(['train', *cfg(n), '--name', f'{n}/fold-{_slug(l)}', *_p({**ov, 'val_locations': [l]})],
                                logs/f'{n}-{_slug(l)}.log', env) for n in names for l in locs}, t0)
    _wait({n: _cli(['cv', *cfg(n), '--name', n, *_p(ov), *cv_flags], logs/f'{n}.log', env) for n in names}, t0)
    done = [runs/n for n in names if (runs/n/'cv.json').exists()]
    if not done: sys.exit(f'no CV finished; see the logs in {logs}')
    table = cv_summary(done, runs/'gpu-summary'); best = best_recipe(table)
    print(table[['iou', 'fold_iou_mean']].round(3).to_string(), '\nbest recipe', best, flush=True)
    rel = runs/f'release-{best}'
    if not (rel/'summary.json').exists():
        _wait({f'{best}/release': _cli(['train', *cfg(best), '--name', rel.name, *_p({**ov, 'val_locations': []})],
                                       logs/f'{best}-release.log', env)}, t0)
    bad = _notebook_problems([rel, *(f for d in done for f in sorted(d.glob('fold-*')))])
    _pack(out, runs, done + [runs/'gpu-summary', rel, logs], rel)
    res = dict(best=best, release=str(rel), notebook_problems=bad, seconds=round(time.time() - t0), out=str(out))
    (out/'study.json').write_text(json.dumps(res, indent=1)); print(json.dumps(res, indent=1))
    return 1 if bad else 0

def _pack(out, runs, folders, rel):
    "The release's fp16 weights in 15 MB parts (what a device run can bring back) and every small file, notebooks included, in results.tar.gz."
    from cloud_nbdev.model import load_checkpoint, save_checkpoint
    m, card = load_checkpoint(rel/'last'); save_checkpoint(rel/'fp16', m, card, dtype='float16')
    blob = (rel/'fp16'/'model.safetensors').read_bytes(); k = 15 << 20
    for i in range(0, len(blob), k): (out/f'model.part{i // k}').write_bytes(blob[i:i + k])
    with tarfile.open(out/'results.tar.gz', 'w:gz') as t:     # paths as under outputs/: runs/<recipe>/fold-<loc>/notebook.ipynb ...
        for d in folders:
            for f in d.rglob('*'):
                if f.is_file() and f.suffix != '.safetensors' and f.name != 'train_state.pt': t.add(f, Path('runs')/f.relative_to(runs))

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
    p = argparse.ArgumentParser(); p.add_argument('cmd', choices=['prepare', 'run', 'check'])
    p.add_argument('--out', help='run: where the results go (default outputs/tmp/gpu; --dry: a temporary folder)')
    p.add_argument('--recipes', nargs='*', help=f'run: configs/<name>.yaml to cross-validate (default: {" ".join(RECIPES)})')
    p.add_argument('--smoke', action='store_true', help='run: a few steps of a small encoder on the bundled chips (a first try)')
    p.add_argument('--dry', action='store_true', help='run: here, on the CPU, tiny synthetic chips, as bare as the GPU machine')
    p.add_argument('--parallel-folds', action='store_true', help='run: train every fold at once, one `cloud-nbdev train` each')
    p.add_argument('--wheels', default=str(G/'whl'), help='run: the wheels to install first (default .gpu/whl; none with --dry)')
    p.add_argument('--outputs', help='run: the outputs folder of the runs (default outputs/runs)')
    a = p.parse_args()
    if a.cmd == 'prepare': prepare()
    elif a.cmd == 'check': sys.exit(check())
    else: sys.exit(run(a.out or (None if a.dry else 'outputs/tmp/gpu'), a.recipes, a.smoke, a.dry, a.parallel_folds,
                       None if a.dry else a.wheels, a.outputs))
