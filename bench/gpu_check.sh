#!/usr/bin/env bash
# The CUDA readiness check (BENCHMARKS.md, "CUDA path"): CPU-vs-CUDA parity, every loss
# with LIR, --amp/--tf32, nccl under torchrun, streamed pools on the device, resume bit
# identity and seconds per epoch, within 10 minutes on one GPU. Results: OUT/results.json,
# logs: OUT/logs/. --dry-run: everything on the CPU at a tiny size, CUDA-only parts
# skipped with the reason (the test suite runs this).
#
# usage: bench/gpu_check.sh [--dry-run] OUT      (PYTHON=... picks the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
dry=()
if [ "${1:-}" = "--dry-run" ]; then dry=(--dry-run); shift; fi
out=${1:?usage: bench/gpu_check.sh [--dry-run] OUT}
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
mkdir -p "$out/logs"
{ nvidia-smi || echo "nvidia-smi: not available"; } > "$out/logs/nvidia-smi.log" 2>&1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
status=0
timeout 570 "$PYTHON" bench/gpu_check.py "${dry[@]}" "$out" 2> >(tee "$out/logs/gpu_check.log" >&2) || status=$?
if [ "$status" = 124 ]; then echo "gpu_check: stopped after 570 s; see $out/logs" >&2; fi
exit "$status"
