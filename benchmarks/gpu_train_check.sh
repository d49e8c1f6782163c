#!/usr/bin/env bash
# One GPU check of the GAN training path (benchmarks/gpu_train_check.py says what it runs); about 4 minutes on
# one H100. Writes gpu_train_check.json and gpu_train_check.log to $OUT (default /tmp/facsynth_gpu_check/out).
#   on the GPU machine:  bash benchmarks/gpu_train_check.sh
#   dry run on a CPU:    GPU_CHECK_DRY=1 PYTHON=.venv/bin/python bash benchmarks/gpu_train_check.sh
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -n "${OUT:-}" ] && export OUT   # the GPU machine's result folder; the check's default is under /tmp
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
echo "== $(date -u '+%F %T') UTC, $(uname -m), $(nproc) cores, git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,utilization.gpu --format=csv
else
  echo "nvidia-smi: not on this machine"
fi
"$PY" -c 'import sys; print("python", sys.version.split()[0], sys.executable)'
exec "$PY" benchmarks/gpu_train_check.py
