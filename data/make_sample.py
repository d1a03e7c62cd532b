"""Re-encode the 31 real DrivenData chips from ../shared/data into data/sample/ losslessly.

Pixels, CRS, transform, nodata and tags are copied unchanged; only the TIFF encoding changes
(DEFLATE + horizontal predictor, 512x512 tiles). Writes data/sample/MANIFEST.csv with a SHA-256 of every
file's decoded pixels, so 00_data can prove the copies are identical to the originals without them.
Run from the repo root: `.venv/bin/python data/make_sample.py [SRC]`."""
import csv, hashlib, shutil, sys
from pathlib import Path
import numpy as np, rasterio

src = Path(sys.argv[1] if len(sys.argv) > 1 else '../shared/data/cloud_chips')
dst = Path('data/sample')
rows = []
for f in sorted(src.rglob('*.tif')):
    rel = f.relative_to(src); out = dst/rel; out.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(f) as s:
        arr, prof, tags = s.read(), s.profile, s.tags()
    prof.update(compress='deflate', predictor=2, zlevel=9, tiled=True, blockxsize=512, blockysize=512)
    prof.pop('interleave', None)
    with rasterio.open(out, 'w', **prof) as d:
        d.write(arr); d.update_tags(**tags)
    rows.append(dict(path=str(rel), dtype=str(arr.dtype), shape='x'.join(map(str, arr.shape)),
                     sha256=hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()))
for name in ['train_metadata.csv', 'chip_flags.csv']: shutil.copy(src/name, dst/name)
ref, ref_dst = src.parent/'reference', Path('data/reference')
ref_dst.mkdir(exist_ok=True)
for name in ['train_metadata_full_competition.csv', 'georgestein_BAD_CHIP_LABEL_IDS.txt']:
    shutil.copy(ref/name, ref_dst/name)
with open(dst/'MANIFEST.csv', 'w', newline='') as fh:
    w = csv.DictWriter(fh, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
print(f'{len(rows)} files re-encoded into {dst}')
