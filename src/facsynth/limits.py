"""Bounds on every size a user can ask for (frame rate, pixels, seconds, seeds) and a memory check before allocating.

Options are checked with these helpers before any work starts, so ``--fps 1e9`` fails in milliseconds with one
plain sentence instead of growing until the kernel kills the process. All raise :class:`~facsynth.errors.LimitError`
(frame rates are checked by ``track.validate_fps`` against MAX_FPS, as part of every AUTrack).
"""

from __future__ import annotations

import math
import resource

from .errors import LimitError

__all__ = [
    "MAX_FPS",
    "MAX_SMOOTH_SECONDS",
    "MAX_IMAGE_SIDE",
    "MAX_SEED",
    "bounded",
    "bounded_int",
    "available_memory",
    "check_memory",
]

#: Highest frame rate of any track, frames per second (video is 24–60; speech features 100).
MAX_FPS = 1000.0
#: Widest temporal smoothing, seconds (standard deviation of the Gaussian).
MAX_SMOOTH_SECONDS = 60.0
#: Largest rendered preview side, pixels.
MAX_IMAGE_SIDE = 4096
#: Largest random seed (numpy takes 0 … 2**32 - 1).
MAX_SEED = 2**32 - 1
# Share of the available memory one allocation may take.
_MEMORY_SHARE = 0.8


def bounded(value: float, name: str, low: float, high: float, *, unit: str = "") -> float:
    """``value`` as a float if it is finite and within ``low`` … ``high``; else LimitError naming ``name``.

    >>> bounded(30, "--fps", 1e-3, 1000)
    30.0
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise LimitError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(v) and low <= v <= high):
        unit = f" {unit}" if unit else ""
        raise LimitError(f"{name} is {value:g}, outside {low:g}–{high:g}{unit}")
    return v


def bounded_int(value: int, name: str, low: int, high: int) -> int:
    """``value`` if it is an integer within ``low`` … ``high``; else LimitError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LimitError(f"{name} is {value!r}, outside the whole numbers {low}–{high}")
    return value


def available_memory() -> int:
    """Bytes this process can still allocate: the least of the system's MemAvailable, the headroom under the
    process's address-space limit (``ulimit -v``), and the headroom under its cgroup's memory.max."""
    free = []
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    free.append(int(line.split()[1]) * 1024)
    except OSError:
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        try:
            with open("/proc/self/status") as fh:
                vm = next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmSize:"))
            free.append(max(0, soft - vm))
        except (OSError, StopIteration):
            free.append(soft)
    try:
        with open("/sys/fs/cgroup/memory.max") as fh:
            limit = fh.read().strip()
        if limit != "max":
            with open("/sys/fs/cgroup/memory.current") as fh:
                free.append(max(0, int(limit) - int(fh.read())))
    except (OSError, ValueError):
        pass
    return min(free) if free else 1 << 62


def check_memory(nbytes: float, what: str) -> None:
    """Raise LimitError if ``what`` would need ``nbytes`` bytes, more than 80 % of :func:`available_memory`."""
    free = available_memory()
    if not nbytes <= _MEMORY_SHARE * free:
        raise LimitError(f"{what} needs about {_size(nbytes)} of memory; only {_size(free)} is available")


def _size(nbytes: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{nbytes / 1e3:.3g} kB"
