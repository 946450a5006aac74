#!/usr/bin/env bash
# Full-size SDXL (random weights) on a CUDA GPU: s/image, share of peak, engine overhead,
# adapter cost, peak VRAM. Installs nothing and reaches no network.
#
#   bash packaging/gpu_bench.sh [--compile] [--repeats 3] [any `t2ia-desktop bench --gpu` option]
#
# - Python: $PYTHON, else python3 (it must have torch with CUDA).
# - diffusers and platformdirs, where that Python lacks them, are unpacked (not installed) from
#   the wheels in build/gpu_wheels/ into a temporary folder on PYTHONPATH; fetch them once on a
#   machine with network: bash packaging/gpu_wheels.sh
# - The whole run stops after 530 s (under 9 minutes); the bench itself stops starting phases
#   at 480 s, and writes its figures after every phase to $OUT/gpu_bench.json (or
#   .bench/gpu_bench.json without $OUT), the log beside it.
# - The ≈ 7 GB model is written to ${T2IA_MODEL_DIR:-/tmp/t2ia-full-size-sdxl} and reused by
#   the next run on the same machine.
set -u -o pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
RESULTS=${OUT:-.bench}

if ! "$PY" -c "import torch, PIL, transformers, accelerate, safetensors" 2>/dev/null; then
    echo "gpu_bench: $PY lacks torch, Pillow, transformers, accelerate or safetensors;" \
         "set PYTHON to the Python that has them (with CUDA)" >&2
    exit 2
fi
if ! "$PY" -c "import diffusers, platformdirs" 2>/dev/null; then
    shopt -s nullglob
    wheels=(build/gpu_wheels/*.whl)
    if [ ${#wheels[@]} -eq 0 ]; then
        echo "gpu_bench: $PY lacks diffusers/platformdirs and build/gpu_wheels/ holds no wheels;" \
             "run packaging/gpu_wheels.sh where there is network (and carry build/gpu_wheels)" >&2
        exit 2
    fi
    SITE=$(mktemp -d /tmp/t2ia-site.XXXXXX)
    for wheel in "${wheels[@]}"; do "$PY" -m zipfile -e "$wheel" "$SITE" || exit 2; done
    export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi

mkdir -p "$RESULTS"
T2IA_HOME=$(mktemp -d /tmp/t2ia-home.XXXXXX)  # no artist's settings are read or written
export T2IA_HOME PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version \
    --format=csv,noheader | tee "$RESULTS/gpu_bench_device.txt"

timeout -k 15 530 "$PY" -m t2ia_desktop bench --gpu --time-limit 480 \
    --model-dir "${T2IA_MODEL_DIR:-/tmp/t2ia-full-size-sdxl}" \
    --json-out "$RESULTS/gpu_bench.json" "$@" 2>&1 | tee "$RESULTS/gpu_bench.log"
status=$?
[ $status -eq 124 ] && echo "gpu_bench: stopped at 530 s; figures so far: $RESULTS/gpu_bench.json" >&2
exit $status
