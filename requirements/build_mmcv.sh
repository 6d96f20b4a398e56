#!/usr/bin/env bash
# Build (once) and install mmcv 2.1.0 with its compiled CPU ops into the active venv.
#
# The wheel is cached outside the repository, keyed by torch version and Python
# version, because a wheel built against one torch is ABI-incompatible with another.
# Usage: requirements/build_mmcv.sh PYTHON
set -euo pipefail

PY="${1:?usage: build_mmcv.sh PYTHON}"
# An absolute path: the build below runs in another directory.
PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"
MMCV_VERSION="2.1.0"
TORCH_VER="$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')" || {
  echo "build_mmcv: torch is not importable with $PY; install torch first (make venv)" >&2; exit 1; }
PY_VER="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')"
CACHE_ROOT="${MMDET_SDN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmdet_shuffledefect}"
CACHE_DIR="$CACHE_ROOT/mmcv-$MMCV_VERSION-torch$TORCH_VER-py$PY_VER"
mkdir -p "$CACHE_DIR"

if "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(0 if mmcv.__version__ == '$MMCV_VERSION' else 1)" 2>/dev/null; then
  echo "build_mmcv: mmcv $MMCV_VERSION with ops already installed"
  exit 0
fi

WHEEL="$(ls "$CACHE_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
if [[ -z "$WHEEL" ]]; then
  echo "build_mmcv: no cached wheel in $CACHE_DIR; building mmcv $MMCV_VERSION from source (about 10 min on 2 cores)"
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  # mmcv's setup.py imports pkg_resources (gone in setuptools >= 81); ninja speeds the build.
  "$PY" -m pip install -q 'setuptools>=77,<81' wheel ninja || {
    echo "build_mmcv: could not install build tools (setuptools<81, wheel, ninja)" >&2; exit 1; }
  "$PY" -m pip download -q --no-deps --no-binary :all: "mmcv==$MMCV_VERSION" -d "$WORK" || {
    echo "build_mmcv: could not download the mmcv $MMCV_VERSION sdist from PyPI" >&2; exit 1; }
  tar -xzf "$WORK"/mmcv-"$MMCV_VERSION".tar.gz -C "$WORK"
  SRC="$WORK/mmcv-$MMCV_VERSION"
  # torch >= 2.x headers require C++20; mmcv 2.1.0 hard-codes -std=c++17.
  sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
  grep -q -- '-std=c++20' "$SRC/setup.py" || { echo "build_mmcv: could not patch the C++ standard in $SRC/setup.py" >&2; exit 1; }
  ( cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-2}" \
      "$PY" -m pip wheel --no-cache-dir --no-build-isolation --no-deps -w "$WORK/dist" . ) || {
    echo "build_mmcv: compiling mmcv failed (see the compiler output above); check gcc/g++ and the Python headers" >&2; exit 1; }
  cp "$WORK"/dist/mmcv-*.whl "$CACHE_DIR"/
  WHEEL="$(ls "$CACHE_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)"
  echo "build_mmcv: cached $WHEEL"
fi
"$PY" -m pip install -q --no-deps "$WHEEL"
"$PY" -m pip install -q 'addict' 'mmengine>=0.10,<0.11' 'numpy>=1.26,<2.5' 'opencv-python<5' 'packaging' 'Pillow' 'pyyaml' 'yapf'
"$PY" -c "import mmcv.ops; print('build_mmcv: mmcv', __import__('mmcv').__version__, 'with ops OK')"
