"""Run every benchmarks/bench_*.py and print its figures: ``python benchmarks/run.py [NAME ...]``.

Each module has ``run() -> list[tuple[str, float, str, str]]``: (what, value, unit, target).
Benchmarks run on one core (torch and BLAS threads are set to 1) so figures compare across machines.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # benchmarks share helpers (bench_expressions uses bench_speech_quality's)


def main(names: list[str]) -> int:
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    files = sorted(HERE.glob("bench_*.py"))
    if names:
        files = [f for f in files if any(n in f.stem for n in names)]
    print(f"{'benchmark':<58} {'value':>12} {'unit':<14} target")
    for f in files:
        spec = importlib.util.spec_from_file_location(f.stem, f)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[f.stem] = mod                                   # dataclasses look their module up there
        spec.loader.exec_module(mod)
        t0 = time.perf_counter()
        for what, value, unit, target in mod.run():
            print(f"{what:<58} {value:>12.4g} {unit:<14} {target}", flush=True)
        print(f"  ({f.stem}: {time.perf_counter() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
