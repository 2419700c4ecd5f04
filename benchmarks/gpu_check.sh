#!/usr/bin/env bash
# Every GPU measurement and GPU test in one command, for a CUDA machine without
# internet (such as the project's lent H100/H200). Writes its figures to
# ${OUT:-gpu-results}/. Before carrying the tree there, put the wheels of
# missing packages in .whl/ (skorch at least):
#   python3 -m pip download --no-deps --only-binary=:all: -d .whl skorch==1.4.0
# Usage (from the repository root): bash benchmarks/gpu_check.sh
set -uo pipefail
out="${OUT:-gpu-results}"
mkdir -p "$out"
if ! python3 -c "import skorch" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH="/tmp/site:${PYTHONPATH:-}"
fi
export PYTHONPATH="$PWD:${PYTHONPATH:-}" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
python3 -c "import torch, torchvision, sklearn, skorch; print(torch.__version__, torchvision.__version__, sklearn.__version__, skorch.__version__)" | tee -a "$out/gpu.txt"
python3 -m pytest -q -p no:cacheprovider tests/neural/test_gpu.py 2>&1 | tee "$out/gpu_tests.txt"
python3 benchmarks/bench_training.py --preset gpu --json "$out/bench.json" 2>&1 | tee "$out/bench.txt"
