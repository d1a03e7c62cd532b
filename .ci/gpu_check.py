"""What `.ci/gpu_check.sh` runs: the project's GPU side, checked in one go (under 8 minutes on one H100/H200).

Steps, each timed and recorded in one JSON (`<out>/gpu_check.json`, rewritten after every step, so a run cut short
still leaves what it measured):
  env        the GPU(s), driver, torch/CUDA and the versions of the packages the project needs;
  cuda_cells every notebook that has `#| cuda` cells, run by a small runner (no nbdev or IPython needed) in order up to
             its last cuda cell: the cuda cells must pass; earlier cells that fail (without data/sample, say) are listed;
  train      a short run of the project's loop (`train`) with configs/full_gpu.yaml's AMP + channels-last settings on
             the bundled chips, its images/s beside a bare loop's (same model, loss, optimizer, AMP, channels-last, random
             batches already on the GPU);
  forward    a bare bf16 channels-last forward (tiles/s) and the predict runner's raw forward at the predict settings;
  predict    `cloud-nbdev predict` on a synthetic 10980x10980 4-band GeoTIFF, end to end in a fresh process, with its
             read / forward / write times (default batch and a GPU batch);
  torchrun   a 2-process DDP run of the loop through torchrun (`launch` with nproc=2) when 2 GPUs are present.
`--mode cpu` is the dry run: the same steps with tiny sizes on the CPU (cuda cells found and compiled, the runner tried
on a small notebook, torchrun with 2 CPU processes), so that the script cannot rot without a GPU. Without data/sample or
outputs/model (a slimmed checkout) it trains on synthetic chips and predicts with a random-init model of the same size.
Exit status: 0 when every step passed."""
import argparse, json, os, platform, shutil, subprocess, sys, tempfile, time, traceback
from pathlib import Path
from nbs_meta import split_cell              # .ci/nbs_meta.py: nbdev's `#|` parser, or by its rules without nbdev

ROOT = Path(__file__).resolve().parent.parent
A = argparse.ArgumentParser(); A.add_argument('--mode', choices=('gpu', 'cpu'), default='gpu'); A.add_argument('--out', default='outputs/gpu')
ARGS = A.parse_args(); GPU = ARGS.mode == 'gpu'
OUT = Path(ARGS.out); OUT.mkdir(parents=True, exist_ok=True); JSON = OUT/'gpu_check.json'
WORK = Path(tempfile.mkdtemp(prefix='gpu_check_'))
os.environ.setdefault('CLOUD_NBDEV_CACHE', str(WORK/'cache'))
T0 = time.time()
R = dict(mode=ARGS.mode, started=time.strftime('%Y-%m-%dT%H:%M:%S%z'), steps={})

def save(): R['total_s'] = round(time.time() - T0, 1); JSON.write_text(json.dumps(R, indent=1, default=str))

def step(name):
    "Run the decorated function now as step `name`; record its result or its error, and its time."
    def deco(f):
        t = time.time(); print(f"== gpu_check: {name} ...", flush=True)
        try: res, ok = f(), True
        except Exception as e: res, ok = dict(error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc()[-3000:]), False
        if isinstance(res, dict) and res.get('ok') is False: ok = False
        res = {k: v for k, v in (res if isinstance(res, dict) else dict(result=res)).items() if k != 'ok'}
        R['steps'][name] = dict(ok=ok, seconds=round(time.time() - t, 1), **res)
        print(f"== gpu_check: {name} {'ok' if ok else 'FAILED'} in {time.time() - t:.1f} s", flush=True); save()
        return f
    return deco

def run(argv, timeout, **kw) -> dict:
    "A subprocess: exit code, wall time, and the tail of its output."
    t = time.time()
    try: p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout, cwd=kw.pop('cwd', ROOT), **kw); rc, o = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e: rc, o = 'timeout', (e.stdout or b'').decode(errors='replace') + (e.stderr or b'').decode(errors='replace')
    return dict(ok=rc == 0, returncode=rc, wall_s=round(time.time() - t, 1), tail=o[-2500:])

import numpy as np, torch
DEV = 'cuda' if GPU else 'cpu'
if GPU and not torch.cuda.is_available(): sys.exit("gpu_check: no CUDA GPU visible to torch; use --cpu for the dry run")

@step('env')
def _():
    import importlib
    v = {}
    for m in ('numpy', 'torch', 'torchvision', 'timm', 'segmentation_models_pytorch', 'rasterio', 'onnxruntime', 'onnx',
              'torchmetrics', 'safetensors', 'nbdev', 'execnb', 'fastcore', 'IPython', 'pandas', 'yaml'):
        try: v[m] = getattr(importlib.import_module(m), '__version__', '?')
        except Exception as e: v[m] = f"missing ({type(e).__name__})"
    smi = shutil.which('nvidia-smi')
    return dict(python=platform.python_version(), platform=platform.platform(), cpus=os.cpu_count(), cuda=torch.version.cuda,
                gpus=[torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
                nvidia_smi=subprocess.run([smi, '-L'], capture_output=True, text=True).stdout.strip() if smi else None,
                versions=v, data_sample=(ROOT/'data'/'sample'/'train_features').is_dir(),
                released_model=(ROOT/'outputs'/'model'/'model_card.json').exists())

def cell_flags(src):
    "(skipped, cuda) for a cell's source: flagged `slow`/`notest`/`eval: false` (not run), flagged `cuda`."
    d = split_cell(src)[0]                     # nbdev's parser; without nbdev (as on the GPU machine) .ci/nbs_meta.py's own
    return bool({'slow', 'notest'} & d.keys()) or d.get('eval') == 'false', 'cuda' in d

def is_cuda(src): return cell_flags(src)[1]

def run_cells(nb, run_cuda=True) -> dict:
    """Run a notebook's code cells in order in one namespace, up to its last `#| cuda` cell, as nbdev_test would (from
    nbs/, IN_TEST=1; `slow`/`notest` cells skipped). The `#| cuda` cells must pass. Other cells run statement by
    statement, and one that fails is counted and the run goes on: an import only the docs need (nbdev, IPython) or a
    read of data/sample in a checkout without it costs only what depends on it."""
    import ast
    cells = [''.join(c['source']) for c in json.loads(Path(nb).read_text())['cells'] if c['cell_type'] == 'code']
    last = max((i for i, c in enumerate(cells) if is_cuda(c)), default=-1)
    ns, res, cwd = {'__name__': '__main__'}, dict(cuda=[], prereq_failed=[], n_run=0), os.getcwd()
    os.environ['IN_TEST'] = '1'; os.chdir(Path(nb).parent)
    try:
        for i, src in enumerate(cells[:last + 1]):
            skip, cuda = cell_flags(src)
            if skip or (cuda and not run_cuda): continue
            t, errs, name = time.time(), [], f'{Path(nb).name}[{i}]'
            parts = [src] if cuda else [ast.Module(body=[st], type_ignores=[]) for st in ast.parse(src).body]
            for part in parts:
                try: exec(compile(part, name, 'exec'), ns)
                except BaseException as e:
                    errs.append(f"{type(e).__name__}: {str(e)[:300]}")
                    if isinstance(e, KeyboardInterrupt): raise
            res['n_run'] += 1
            if cuda: res['cuda'].append(dict(cell=i, ok=not errs, error=errs[0] if errs else None, seconds=round(time.time() - t, 1)))
            elif errs: res['prereq_failed'].append(dict(cell=i, n_statements_failed=len(errs), first=errs[0]))
    finally: os.chdir(cwd)
    return dict(res, ok=all(c['ok'] for c in res['cuda']))

@step('cuda_cells')
def _():
    cuda_cells = lambda p: [''.join(c['source']) for c in json.loads(p.read_text())['cells']
                            if c['cell_type'] == 'code' and is_cuda(''.join(c['source']))]
    nbs = {p: cuda_cells(p) for p in sorted((ROOT/'nbs').glob('*.ipynb'))}
    nbs = {p: cs for p, cs in nbs.items() if cs}
    for p, cs in nbs.items():
        for c in cs: compile(c, p.name, 'exec')                            # they parse, at least
    if GPU:
        res = {p.name: run_cells(p) for p in nbs}; torch.cuda.empty_cache()
        return dict(notebooks=res, ok=bool(res) and all(r['ok'] for r in res.values()))
    demo = WORK/'demo.ipynb'                                           # the dry run: the runner itself, on a small notebook
    code = lambda s: dict(cell_type='code', source=s, metadata={}, outputs=[], execution_count=None)
    demo.write_text(json.dumps(dict(cells=[
        code("#| hide\nfrom no_such_module import x\ny = 2"), code("#| export\nx = 1"), code("#| slow\nraise SystemExit(1)"),
        code("#| cuda\nimport os\nassert (x, y, os.environ['IN_TEST']) == (1, 2, '1')"),
        code("raise RuntimeError('after the last cuda cell: never run')")])))
    r = run_cells(demo)
    ok = r['ok'] and len(r['cuda']) == 1 and len(r['prereq_failed']) == 1 and r['n_run'] == 3
    return dict(found={p.name: len(cs) for p, cs in nbs.items()}, runner_demo=r, ok=ok and bool(nbs),
                skipped='dry run: the cuda cells were found and compiled, and the runner tried on a small notebook')

@step('train')
def _():
    from cloud_nbdev.training import load_config, train, CloudLoss, make_optimizer
    from cloud_nbdev.model import build_model
    if GPU:                                # configs/full_gpu.yaml's settings (AMP, channels-last, batch 16 of 512, workers...)
        cfg = dict(load_config(ROOT/'configs'/'full_gpu.yaml'), data_root=None, val_locations=None, steps_per_epoch=40, epochs=2,
                   compile=False, patience=0, warmup_steps=10)
        if not (ROOT/'data'/'sample'/'train_features').is_dir(): cfg.update(synthetic=48, synthetic_size=512)   # slim checkout
    else: cfg = dict(synthetic=6, synthetic_size=64, val_locations=None, encoder='tu-mobilenetv3_small_050', crop=32, batch_size=4,
                     steps_per_epoch=3, epochs=2, device='cpu', workers=0, ema=0.0, warmup_steps=1)
    cfg.update(outputs=str(WORK/'runs'), run_name='gpu_check')
    s = train(cfg)
    import pandas as pd
    m = pd.read_csv(Path(s['run_dir'])/'metrics.csv')
    imgs = cfg['steps_per_epoch'] * cfg['batch_size']
    loop = dict(epoch_seconds=m.seconds.tolist(), imgs_per_s=round(imgs / m.seconds.iloc[-1], 1), note='last epoch, validation included')
    # the bare loop: same network, loss, optimizer, AMP and memory format; random batches already on the device
    net = build_model(dict(encoder=cfg.get('encoder', 'resnet34'))).to(DEV)
    if cfg.get('channels_last', True) and GPU: net = net.to(memory_format=torch.channels_last)
    loss_fn, opt, b, c = CloudLoss(), make_optimizer(net, dict(cfg, optimizer=cfg.get('optimizer', 'adam'), lr=1e-3, weight_decay=0.0)), cfg['batch_size'], cfg['crop']
    x = torch.rand(b, 4, c, c, device=DEV); y = (torch.rand(b, 1, c, c, device=DEV) > 0.5).float()
    if GPU: x = x.contiguous(memory_format=torch.channels_last)
    def stp():
        with torch.autocast(DEV, dtype=torch.bfloat16, enabled=GPU): l = loss_fn(net(x), y)
        opt.zero_grad(set_to_none=True); l.backward(); opt.step()
    n = 30 if GPU else 3
    for _ in range(3): stp()
    if GPU: torch.cuda.synchronize()
    t = time.time()
    for _ in range(n): stp()
    if GPU: torch.cuda.synchronize()
    bare = dict(imgs_per_s=round(n * b / (time.time() - t), 1), steps=n)
    from cloud_nbdev.training import make_config
    eff = make_config({k: v for k, v in cfg.items()})
    return dict(config={k: eff[k] for k in ('encoder', 'crop', 'batch_size', 'steps_per_epoch', 'epochs', 'amp', 'channels_last', 'compile', 'workers', 'synthetic')},
                summary=s, loop=loop, bare_loop=bare, loop_vs_bare=round(loop['imgs_per_s'] / bare['imgs_per_s'], 3))

CKPT = None
@step('forward')
def _():
    global CKPT
    from cloud_nbdev.model import build_model, make_card, save_checkpoint, released_model_dir
    from cloud_nbdev.inference import load_runner, _time_forward, TILE
    if GPU and (released_model_dir()/'model_card.json').exists(): CKPT = released_model_dir()
    else: torch.manual_seed(0); CKPT = save_checkpoint(WORK/'ckpt', build_model(), make_card(run_id='gpu-check-random'))
    net = build_model().to(DEV).eval().to(memory_format=torch.channels_last)
    b, t, n = (32, 512, 20) if GPU else (2, 64, 2)
    x = torch.rand(b, 4, t, t, device=DEV).contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), torch.autocast(DEV, dtype=torch.bfloat16, enabled=GPU):
        for _ in range(3): net(x)
        if GPU: torch.cuda.synchronize()
        t0 = time.time()
        for _ in range(n): net(x)
        if GPU: torch.cuda.synchronize()
    bare = dict(tiles_per_s=round(n * b / (time.time() - t0), 1), tile=t, batch=b, dtype='bf16' if GPU else 'fp32')
    run = load_runner(CKPT, DEV)
    fw = {str(bs): _time_forward(run, TILE if GPU else 128, bs, 5 if GPU else 1) for bs in ((4, 32) if GPU else (2,))}
    return dict(checkpoint=str(CKPT), bare_bf16_channels_last=bare, runner=fw)

@step('predict')
def _():
    from cloud_nbdev.inference import write_synthetic_scene
    size = 10980 if GPU else 700
    t = time.time(); scene = write_synthetic_scene(WORK/f'scene_{size}.tif', size); write_s = round(time.time() - t, 1)
    res = dict(size=size, write_scene_s=write_s, runs={})
    fw = R['steps'].get('forward', {}).get('runner', {})
    for bs in ((4, 32) if GPU else (2,)):
        out = WORK/f'mask_{bs}.tif'
        argv = [sys.executable, '-m', 'cloud_nbdev', 'predict', scene, out,
                '--device', DEV, '--batch-size', bs, '--quiet', '--checkpoint', CKPT] + ([] if GPU else ['--tile', 256])
        r = run(argv, 240)
        if r['ok']:
            s = json.loads(out.with_suffix('.json').read_text()); r.update(timings=s['timings'], pixels_per_s=s['pixels_per_s'],
                                                                         engine=s['engine'], device=s['device'], n_tiles=s['n_tiles'])
            if str(bs) in fw and GPU: r['ratio_vs_forward'] = round(s['pixels_per_s'] / fw[str(bs)]['pixels_per_s'], 3)
        res['runs'][str(bs)] = r
    return dict(res, ok=all(r['ok'] for r in res['runs'].values()))

@step('torchrun')
def _():
    n = torch.cuda.device_count() if GPU else 2
    if n < 2: return dict(skipped=f"{n} GPU: torchrun needs 2")
    from cloud_nbdev.training import launch
    cfg = dict(synthetic=6, synthetic_size=64, val_locations=None, encoder='tu-mobilenetv3_small_050', crop=32, batch_size=4,
               steps_per_epoch=3 if GPU else 2, epochs=2 if GPU else 1, device=DEV, workers=0, ema=0.0, warmup_steps=1, nproc=2,
               outputs=str(WORK/'runs'), run_name='ddp')
    t = time.time(); o = launch(cfg)
    s = json.loads((o/'summary.json').read_text())
    return dict(world_size=s['world_size'], device=s['device'], ok=s['world_size'] == 2, wall_s=round(time.time() - t, 1))

R['ok'] = all(s['ok'] for s in R['steps'].values()); save()
shutil.rmtree(WORK, ignore_errors=True)
print(f"gpu_check: {'all steps passed' if R['ok'] else 'FAILED: ' + ', '.join(k for k, s in R['steps'].items() if not s['ok'])}"
      f" in {R['total_s']} s -> {JSON}")
sys.exit(0 if R['ok'] else 1)
