"""A tifffile stand-in for `rasterio.open`, for machines without rasterio (the GPU machines: see .ci/gpu_study.py).

It reads the PIXELS of a single-band GeoTIFF with tifffile, and nothing else. Georeferencing is NOT read: the CRS is
always None and the transform is a placeholder (`_Affine`) whose `almost_equals` always answers True, because there is
no real transform to compare. So cloud_nbdev's checks that a chip's bands share one CRS and one transform
(`cloud_nbdev.data.load_chip`) always pass under this stand-in: they check nothing here. Use it only where the pixels
are all that matter (training and scoring on the bundled chips), never to write GeoTIFFs or to check georeferencing;
`python .ci/gpu_study.py run --check` compares the pixels with rasterio's where both are installed.

    import tiff_reader; tiff_reader.install()    # before importing cloud_nbdev; replaces rasterio in sys.modules

Only what cloud_nbdev's readers use is there: `rasterio.open(path)` (as a context manager) with `.count`, `.dtypes`,
`.height`, `.width`, `.profile` and `.read()`, `rasterio.errors.RasterioIOError`/`NotGeoreferencedWarning` and
`rasterio.windows.Window` (a plain tuple). Writing (`rasterio.open(path, 'w')`) and `rasterio.transform` are not there."""
import sys, types

__all__ = ['TiffReader', 'install']

class _Affine(tuple):
    """A placeholder for a rasterio/affine transform: georeferencing is NOT read, so there is nothing in it.
    `almost_equals` always answers True (whatever it is compared with), so a transform check passes without checking."""
    def almost_equals(self, other): return True

class TiffReader:
    """The part of a rasterio dataset that cloud_nbdev's readers use, read with tifffile from the file's first page.
    Pixels only: georeferencing is NOT read; `profile['crs']` is None and `profile['transform']` is an `_Affine`
    placeholder whose `almost_equals` always answers True. `count` is always 1 (single-band files), and `read()`
    returns the (H, W) array whatever band index it is given (rasterio's `read()` without an index gives (1, H, W):
    the same bytes)."""
    def __init__(self, path):
        import tifffile
        with tifffile.TiffFile(path) as t: self.arr = t.pages[0].asarray()
        self.count, self.dtypes = 1, (str(self.arr.dtype),)
        self.height, self.width = self.arr.shape
        self.profile = dict(crs=None, transform=_Affine((0,)), height=self.height, width=self.width, count=1, dtype=self.dtypes[0])
    def read(self, i=1): return self.arr
    def __enter__(self): return self
    def __exit__(self, *a): pass

def install():
    """Put the stand-in into sys.modules as `rasterio`, `rasterio.errors` and `rasterio.windows` (replacing rasterio if
    it was imported, or a `None` entry that blocks it), so that a later `import rasterio` gets it. Call it before
    cloud_nbdev is imported. A file tifffile cannot read raises `rasterio.errors.RasterioIOError`, as rasterio would."""
    r = types.ModuleType('rasterio'); e = types.ModuleType('rasterio.errors'); w = types.ModuleType('rasterio.windows')
    r.__doc__ = "tifffile stand-in for rasterio (.ci/tiff_reader.py): pixels only, georeferencing NOT read"
    class RasterioIOError(IOError): pass
    class NotGeoreferencedWarning(UserWarning): pass
    e.RasterioIOError, e.NotGeoreferencedWarning, w.Window, r.errors, r.windows = RasterioIOError, NotGeoreferencedWarning, tuple, e, w
    def _open(path, *a, **k):
        try: return TiffReader(path)
        except Exception as x: raise RasterioIOError(str(x)) from None
    r.open = _open
    sys.modules.update({'rasterio': r, 'rasterio.errors': e, 'rasterio.windows': w})
