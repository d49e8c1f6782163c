"""facsynth's cache folder: files that are slow to make and cheap to make again (ONNX exports, word indexes,
detected faces). Deleting the folder is always safe."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir() -> Path:
    """facsynth's cache folder: ``$FACSYNTH_CACHE``, else ``$XDG_CACHE_HOME/facsynth``, else ``~/.cache/facsynth``."""
    if os.environ.get("FACSYNTH_CACHE"):
        return Path(os.environ["FACSYNTH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "facsynth"
