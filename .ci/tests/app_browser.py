"""Real-browser test of `cloud-nbdev app` in headless Debian Chromium (run by app_browser.sh).

Launches the app with the CLI on 127.0.0.1 on a free port, with the released model (outputs/model/) when there is one,
else a random-weights checkpoint of the same architecture (the plumbing is what is tested), then in the browser:
  1. desktop 1280x900: load the page, click an example chip in the gallery, wait for the result, move the threshold
     slider with the keyboard and check that the displayed cloud % changes; upload the four band files of another chip
     and wait for its result; upload a PNG and check that the error is shown; screenshots.
  2. phone 390x844: load, tap an example, wait for the result, check nothing overflows sideways; screenshot.
Then it measures the request latency of one 512x512 chip (gradio_client, /example endpoint, CPU), stops the app
with SIGTERM and checks that its temporary folder is gone. Output: outputs/app/browser/*.png, latency.json, server.log.
Usage: app_browser.py [--checkpoint PATH] [--out DIR] [--runs N] [--readme-shot]
(--readme-shot also refreshes outputs/app/app_desktop.png, the small screenshot the README shows.)
"""
import argparse, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
from browser import CHROMIUM, CHROMIUM_ARGS, check, failures

def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def make_checkpoint(d):
    "A random-weights Unet/ResNet34 checkpoint (same size and speed as the released model)."
    import torch
    from cloud_nbdev.model import build_model, make_card, save_checkpoint
    torch.manual_seed(0)
    return save_checkpoint(d, build_model(), make_card(threshold=0.5, run_id='browser-test-random-weights'), dtype='float16')

def start_app(ckpt, port, log):
    cmd = [str(ROOT/'.venv/bin/cloud-nbdev'), 'app', '--port', str(port), '--checkpoint', str(ckpt)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f'http://127.0.0.1:{port}/'
    for _ in range(240):
        if proc.poll() is not None: raise RuntimeError(f"the app exited with {proc.returncode}; see {log.name}")
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200: return proc, url
        except Exception: time.sleep(0.5)
    raise RuntimeError(f"the app did not answer at {url} within 120 s")

def cloud_pct(page):
    m = re.search(r'Cloud cover: ([\d.]+) %', page.inner_text('#stats'))
    return float(m.group(1)) if m else None

def wait_stats(page, contains, timeout=120_000):
    page.wait_for_function("t => document.querySelector('#stats') && document.querySelector('#stats').innerText.includes(t)",
                           arg=contains, timeout=timeout)

def show_all_pictures(page):
    "Scroll each result picture into view (they load lazily) and return how many have loaded."
    for k in ('rgb', 'nir', 'heat', 'mask', 'overlay', 'label'):
        page.locator(f'#pic-{k} img').scroll_into_view_if_needed()
    page.wait_for_function("Array.from(document.querySelectorAll('#pics img')).every(i => i.complete && i.naturalWidth > 0)", timeout=30_000)
    page.evaluate("window.scrollTo(0, 0)")
    return page.evaluate("Array.from(document.querySelectorAll('#pics img')).filter(i => i.naturalWidth > 0).length")

def desktop(browser, url, out, tmp):
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    page.goto(url, wait_until='load')
    page.wait_for_selector('#examples button.thumbnail-item', timeout=60_000)
    check(page.title().startswith('cloud_nbdev'), f"page loads, title {page.title()!r}")
    n_thumbs = page.locator('#examples button.thumbnail-item').count()
    check(n_thumbs == 31, f"gallery shows the 31 bundled chips ({n_thumbs})")
    t0 = time.time()
    page.locator('#examples button.thumbnail-item').first.click()                    # adwp: good labels come first
    wait_stats(page, 'adwp')
    check(True, f"clicking example chip adwp shows its result ({time.time() - t0:.1f} s in the browser)")
    check(page.locator('#pic-mask img').count() == 1 and page.locator('#pic-heat img').count() == 1,
          "mask and probability heatmap are displayed")
    check('IoU with the label' in page.inner_text('#stats'), "an example shows its label and IoU")
    start, thr0 = cloud_pct(page), re.search(r'threshold ([\d.]+)', page.inner_text('#stats')).group(1)
    rng = page.locator('#threshold input[type=range]')
    rng.focus(); page.keyboard.press('Home')
    wait_stats(page, 'threshold 0.01', 30_000); low = cloud_pct(page)
    page.screenshot(path=str(out/'desktop_threshold_low.png'), full_page=True)
    rng.focus(); page.keyboard.press('End')
    wait_stats(page, 'threshold 0.99', 30_000); high = cloud_pct(page)
    check(low >= start >= high and low > high,
          f"moving the threshold changes the displayed cloud %: {low} % at 0.01, {start} % at {thr0}, {high} % at 0.99")
    for _ in range(round((0.99 - float(thr0)) * 100)): page.keyboard.press('ArrowLeft')
    wait_stats(page, f'threshold {thr0}', 30_000)
    check(cloud_pct(page) == start, f"moving it back to {thr0} gives {start} % again (cached probabilities, no new run)")
    check(show_all_pictures(page) == 6, "all six pictures are loaded")
    with page.expect_download() as dl: page.locator('#dl-mask').click()
    mask = tmp/dl.value.suggested_filename; dl.value.save_as(mask)
    import rasterio
    with rasterio.open(mask) as m, rasterio.open(ROOT/'data/sample/train_features/adwp/B02.tif') as ref:
        check((m.shape, m.crs, m.transform, m.dtypes[0], m.nodata) == (ref.shape, ref.crs, ref.transform, 'uint8', 255),
              f"the Mask GeoTIFF button downloads {mask.name}: uint8, nodata 255, on the chip's grid ({m.crs})")
    page.screenshot(path=str(out/'desktop.png'), full_page=True)
    page.locator('#model-card button').first.click()
    page.wait_for_function("document.querySelector('#model-card').innerText.includes('Architecture')", timeout=30_000)
    card = page.inner_text('#model-card')
    check('Threshold' in card and 'run' in card, "the model card panel opens and shows architecture, threshold and run id")
    page.screenshot(path=str(out/'desktop_model_card.png'), full_page=True)
    page.locator('#model-card button').first.click()
    # upload the four band files of another chip, named the way a user might have them
    page.get_by_role('tab', name='Upload').click()
    files = []
    for b in ('B02', 'B03', 'B04', 'B08'):
        files.append(tmp/f'adwu_{b}.tif'); shutil.copy(ROOT/'data/sample/train_features/adwu'/f'{b}.tif', files[-1])
    page.locator('#upload input[type=file]').set_input_files([str(f) for f in files])
    page.wait_for_function("document.querySelector('#upload').innerText.includes('adwu_B08')", timeout=60_000)
    page.locator('#run-upload').click()
    wait_stats(page, 'adwu')
    check('512 × 512 px' in page.inner_text('#stats'), f"uploading the four band files of chip adwu shows its result: {cloud_pct(page)} % cloud")
    page.screenshot(path=str(out/'desktop_upload.png'), full_page=True)
    # a larger scene (1024 x 1024, 9 tiles) shows tile progress while it runs
    big = tmp/'scene_1024.tif'
    import numpy as np, rasterio
    with rasterio.open(ROOT/'data/sample/train_features/adwp/B02.tif') as ref: prof = ref.profile
    prof.update(count=4, width=1024, height=1024)
    with rasterio.open(big, 'w', **prof) as dst:
        for i, b in enumerate(('B02', 'B03', 'B04', 'B08'), 1):
            with rasterio.open(ROOT/'data/sample/train_features/adwp'/f'{b}.tif') as src: dst.write(np.tile(src.read(1), (2, 2)), i)
    page.locator('#upload button[aria-label="Clear"]').first.click()
    page.locator('#upload input[type=file]').set_input_files(str(big))
    page.wait_for_function("document.querySelector('#upload').innerText.includes('scene_1024')", timeout=60_000)
    page.locator('#run-upload').click()
    page.wait_for_function("document.querySelector('#stats').parentElement.innerText.match(/[0-9]+\\/[2-9] tile/)", timeout=60_000)
    check(True, "a 1024 x 1024 upload shows tile progress (n/N tiles, N > 1 at the default tile size) while the model runs")
    page.screenshot(path=str(out/'desktop_progress.png'), full_page=False)
    wait_stats(page, '1024 × 1024 px')
    check(True, f"and then its result: {cloud_pct(page)} % cloud")
    page.locator('#upload button[aria-label="Clear"]').first.click()
    # an RGB picture is refused with a visible message, and the app keeps working
    from PIL import Image
    Image.new('RGB', (64, 64), (120, 160, 200)).save(tmp/'holiday_photo.png')
    page.locator('#upload input[type=file]').set_input_files(str(tmp/'holiday_photo.png'))
    page.wait_for_function("document.querySelector('#upload').innerText.includes('holiday_photo')", timeout=60_000)
    page.locator('#run-upload').click()
    err = page.get_by_text('no near-infrared band', exact=False).first
    err.wait_for(timeout=60_000)
    check(err.is_visible(), "a PNG upload shows the error 'an RGB picture has no near-infrared band...'")
    time.sleep(0.5)
    page.screenshot(path=str(out/'desktop_png_error.png'), full_page=False)
    page.get_by_role('tab', name='Examples').click()
    page.locator('#run-example').click()
    wait_stats(page, 'adwp')
    check(True, "after the error the app still serves (Run example works)")
    page.close()

def phone(browser, url, out):
    ctx = browser.new_context(viewport={'width': 390, 'height': 844}, is_mobile=True, has_touch=True, device_scale_factor=1)
    page = ctx.new_page()
    page.goto(url, wait_until='load')
    page.wait_for_selector('#examples button.thumbnail-item', timeout=60_000)
    page.locator('#examples button.thumbnail-item').nth(1).tap()                    # adwu
    wait_stats(page, 'adwu')
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    check(overflow <= 1, f"390x844 phone viewport: result shown, no sideways overflow ({overflow} px)")
    check(show_all_pictures(page) == 6, "all six pictures are loaded on the phone")
    boxes = [page.locator(f'#pic-{k}').bounding_box() for k in ('rgb', 'mask')]
    check(all(b and b['x'] >= 0 and b['x'] + b['width'] <= 391 for b in boxes), "pictures fit the phone screen")
    page.screenshot(path=str(out/'phone.png'), full_page=True)
    page.screenshot(path=str(out/'phone_viewport.png'), full_page=False)
    ctx.close()

def latency(url, thr, runs, downloads):
    """Seconds per /example request for one 512x512 chip (after one warm-up), as a gradio_client user sees them: until the
    result event arrives (what a browser waits for; it then loads the pictures in parallel), and with the client also
    downloading all nine output files one after another."""
    from gradio_client import Client
    fast = Client(url, verbose=False, download_files=False, analytics_enabled=False)
    full = Client(url, verbose=False, download_files=str(downloads), analytics_enabled=False)
    fast.predict('adwu', thr, api_name='/example')
    times, model, with_dl = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter(); out = fast.predict('adwp', thr, api_name='/example'); times.append(time.perf_counter() - t0)
        model.append(float(re.search(r'model ([\d.]+) s', out[0]).group(1)))
        t0 = time.perf_counter(); full.predict('adwp', thr, api_name='/example'); with_dl.append(time.perf_counter() - t0)
    return dict(chip='adwp (512 x 512)', endpoint='/example', runs=runs, median_s=round(statistics.median(times), 3),
                min_s=round(min(times), 3), max_s=round(max(times), 3), model_median_s=statistics.median(model),
                with_downloads_median_s=round(statistics.median(with_dl), 3),
                threshold_request_s=round(_time_threshold(full, thr), 3))

def _time_threshold(c, thr):
    t0 = time.perf_counter(); c.predict(max(0.01, thr - 0.1), api_name='/threshold'); return time.perf_counter() - t0

def readme_shot(src, dest=ROOT/'outputs/app/app_desktop.png', width=960):
    "A small copy of a screenshot for the README: the top 1280x900 of the page, 960 px wide, 256 colours."
    from PIL import Image
    im = Image.open(src).convert('RGB'); im = im.crop((0, 0, im.width, min(im.height, 900)))
    im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS).quantize(256, method=Image.Quantize.MEDIANCUT)
    im.save(dest, optimize=True); return dest

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--checkpoint'); ap.add_argument('--out', default=str(ROOT/'outputs/app/browser')); ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--readme-shot', action='store_true', help='refresh outputs/app/app_desktop.png from desktop.png')
    a = ap.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix='app_browser_'))
    released = ROOT/'outputs/model/model_card.json'
    ckpt = Path(a.checkpoint) if a.checkpoint else (released.parent if released.exists() else make_checkpoint(tmp/'ckpt'))
    print(f"checkpoint: {ckpt}", flush=True)
    thr = json.loads((ckpt/'model_card.json').read_text())['threshold']
    log = open(out/'server.log', 'w')
    proc, url = start_app(ckpt, free_port(), log)
    print(f"app at {url}", flush=True)
    try:
        from playwright.sync_api import sync_playwright
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"browser: Chromium {browser.version}", flush=True)
            try:
                desktop(browser, url, out, tmp)
                phone(browser, url, out)
            finally: browser.close()
        lat = latency(url, thr, a.runs, tmp/'downloads')
        lat.update(checkpoint=str(ckpt), device='cpu', cpus=os.cpu_count(), load_avg_1m=round(os.getloadavg()[0], 2),
                   at=time.strftime('%Y-%m-%dT%H:%M:%S%z'),
                   command='bash .ci/tests/app_browser.sh')
        (out/'latency.json').write_text(json.dumps(lat, indent=1))
        print(f"latency of one 512x512 chip through the app (CPU, {a.runs} runs): median {lat['median_s']} s to the result "
              f"(min {lat['min_s']}, max {lat['max_s']}; model {lat['model_median_s']} s of it), {lat['with_downloads_median_s']} s "
              f"with all 9 files downloaded; a threshold change {lat['threshold_request_s']} s", flush=True)
    except Exception as e:
        check(False, f"{type(e).__name__}: {str(e)[:600]}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try: proc.wait(30)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()
        log.close()
        m = re.search(r'temporary files in (\S+);', (out/'server.log').read_text())
        check(m is not None and not Path(m.group(1)).exists(), f"SIGTERM stops the app and deletes its temporary folder ({m and m.group(1)})")
        shutil.rmtree(tmp, ignore_errors=True)
    if a.readme_shot and (out/'desktop.png').exists(): print(f"README screenshot: {readme_shot(out/'desktop.png')}")
    print(f"screenshots in {out}: " + ', '.join(sorted(p.name for p in out.glob('*.png'))))
    print(f"{'FAILED: ' + '; '.join(failures) if failures else 'all browser checks passed'}")
    return 1 if failures else 0

if __name__ == '__main__':
    sys.exit(main())
