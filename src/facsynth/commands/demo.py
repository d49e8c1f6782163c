"""``facsynth demo``: run every capability on bundled defaults and write real outputs to a folder."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import command_modules

NAME = "demo"
HELP = "run every job on bundled defaults and write the outputs to a folder"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--out", type=Path, default=Path("out/demo"), help="output folder (default out/demo)")


def run(args: argparse.Namespace) -> int:
    """Call ``demo(out) -> list[Path]`` of every command module that has one, in ``DEMO_ORDER``."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    steps = sorted((getattr(m, "DEMO_ORDER", 50), name, m) for name, m in command_modules() if hasattr(m, "demo"))
    written: list[Path] = []
    for _, name, mod in steps:
        t0 = time.perf_counter()
        files = mod.demo(out)
        print(f"[{name}] {time.perf_counter() - t0:.1f} s: " + ", ".join(str(f) for f in files))
        written += files
    print(f"demo wrote {len(written)} files to {out}/")
    return 0
