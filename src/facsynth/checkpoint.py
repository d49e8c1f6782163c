"""Model checkpoints, one way: a dict of tensors and plain values tagged with its layout's name, written atomically and
read back with ``weights_only=True``, so a user's file never runs pickled code.

Layout names in use: ``facsynth-generator-1`` (GANimation / FESN, facsynth.render.gan), ``facsynth-speech-1`` (speech
models), ``facsynth-speech-train-1`` (their resumable training state), ``facsynth-lse/1`` (the language encoder).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from ._lazy import lazy_module
from .atomic import atomic_path
from .errors import ModelError

torch = lazy_module("torch")

__all__ = ["FORMAT_KEY", "save_checkpoint", "load_checkpoint"]

#: The entry of every checkpoint that names its layout.
FORMAT_KEY = "format"


def save_checkpoint(path: str | os.PathLike, payload: Mapping[str, Any], layout: str) -> None:
    """Write ``payload`` with ``layout`` under FORMAT_KEY to ``path``, all or nothing.

    payload : str keys → tensors, numbers, strings, None, and lists / tuples / dicts of them (what
        ``torch.load(weights_only=True)`` reads back; no objects of other classes)
    Raises OutputError if the file cannot be written.
    """
    with atomic_path(path) as tmp:
        torch.save({**payload, FORMAT_KEY: layout}, tmp)


def load_checkpoint(path: str | os.PathLike, layout: str, what: str) -> dict[str, Any]:
    """Read a checkpoint of ``save_checkpoint`` onto the CPU and check that it has ``layout``.

    what : the model in words for the error messages, e.g. "speech model", "generator"
    Raises ModelError with one line when the file is missing, is not a checkpoint of plain tensors and values
    (corrupt, truncated, or pickled objects), or holds another layout.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{what} weights {path} do not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types on a bad file, with advice over many lines: keep the type only
        raise ModelError(f"{path} is not a readable {what} checkpoint ({type(e).__name__})") from None
    if not isinstance(payload, dict) or payload.get(FORMAT_KEY) != layout:
        found = payload.get(FORMAT_KEY) if isinstance(payload, dict) else None
        raise ModelError(f"{path} is not a facsynth {what} checkpoint (layout {found!r}, expected {layout!r})")
    return payload
