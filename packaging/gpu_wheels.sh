#!/usr/bin/env bash
# Fetch the two pure-Python wheels that a bare CUDA machine (Python 3.12 with torch,
# transformers, accelerate, safetensors already there) lacks for packaging/gpu_bench.sh:
# diffusers and platformdirs, at the versions of this checkout's environment. Run it where pip
# reaches its index; build/gpu_wheels/ is ignored by git (carry it to the GPU machine).
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
versions=$("$PY" -c "import diffusers, platformdirs; \
print(f'diffusers=={diffusers.__version__} platformdirs=={platformdirs.__version__}')")
# shellcheck disable=SC2086
"$PY" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
    -d build/gpu_wheels $versions
ls -l build/gpu_wheels
