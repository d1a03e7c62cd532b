#!/usr/bin/env bash
# Download into .whl/ (git-ignored) the Python 3.12 manylinux x86_64 wheels that .ci/gpu_check.sh installs on a GPU
# machine without network: what the project needs beyond that machine's own Python, which has torch, torchvision,
# timm, torchmetrics, safetensors, matplotlib, pandas, pyyaml, tqdm, onnxruntime, onnx, attrs, click, certifi...
# (/work/.library/device/KINDS.md). Versions as in this project's .venv, except rasterio: 1.4.3, whose wheel is 22 MB
# (1.4.4's is 36 MB, and everything sent to the GPU machine must stay under 64 MiB). The #| cuda cells run in
# gpu_check.py's own small runner, so nbdev and IPython need not travel. Then, on the GPU machine:
#   bash .ci/gpu_check.sh --wheels .whl --out $OUT
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-.whl}
pkgs=(
  rasterio==1.4.3 affine==3.0.1 cligj==0.7.2 click-plugins==1.1.1.2     # GeoTIFF I/O (GDAL inside)
  segmentation-models-pytorch==0.6.0                                   # the U-Net
  fastcore==1.12.47                                                    # fastcore.basics.patch (cloud_nbdev.data), fastcore.test
)
rm -rf "$dest"; mkdir -p "$dest"
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d "$dest" "${pkgs[@]}"
n=$(ls "$dest"/*.whl | wc -l)
[ "$n" = "${#pkgs[@]}" ] || { echo "expected ${#pkgs[@]} wheels, got $n" >&2; exit 1; }
echo "$n wheels, $(du -sh "$dest" | cut -f1) in $dest"
