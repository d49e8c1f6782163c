"""The jobs behind the studio's endpoints, loaded on first use, plus a bounded in-memory store for results.

Each job is a function of another facsynth module. A job whose module is not part of this build is reported as
unavailable (HTTP 501) instead of being imitated. Calls into one job are serialised by a lock of their own, since
the models behind them (MediaPipe graphs, torch modules) are not promised to be thread-safe; different jobs run
concurrently.
"""

from __future__ import annotations

import importlib
import secrets
import threading
from collections import OrderedDict
from typing import Any, Callable

__all__ = ["JOBS", "JobUnavailable", "load", "call", "available", "Store"]

#: job name -> (module, function)
JOBS: dict[str, tuple[str, str]] = {
    "parse": ("facsynth.language.parse", "parse"),
    "parse_learned": ("facsynth.language.encoder", "predict"),
    "explain": ("facsynth.language.encoder", "explain"),
    "describe": ("facsynth.language.describe", "describe"),
    "emotion": ("facsynth.language.emotion", "classify"),
    "emotion_track": ("facsynth.language.emotion", "emotion_track"),
    "read_image": ("facsynth.formats.image", "read_image"),
    "reexpress": ("facsynth.render.photo", "reexpress"),
    "render_photo": ("facsynth.render.photo", "render_photo"),
    "render_preview": ("facsynth.render.preview", "render_preview"),
    "write_glb": ("facsynth.formats.gltf", "write_glb"),
    "mesh_person": ("facsynth.face.person", "person_from_photo"),  # a photo's face shape, texture and uv for write_glb
    "write_arkit_json": ("facsynth.formats.arkit", "write_arkit_json"),
    "write_livelink_csv": ("facsynth.formats.arkit", "write_livelink_csv"),
    "speak": ("facsynth.speech", "speak"),
    "analyze_file": ("facsynth.face.analyze", "analyze_file"),
    "expression_renderer": ("facsynth.render.photo", "expression_renderer"),
}

_locks = {name: threading.Lock() for name in JOBS}


class JobUnavailable(Exception):
    """The module behind a job is not in this build of facsynth (HTTP 501)."""


def load(name: str) -> Callable[..., Any]:
    """The function behind job ``name``; raises JobUnavailable if its module or function does not exist."""
    module, attr = JOBS[name]
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (module == e.name or module.startswith(e.name + ".")):
            raise JobUnavailable(f"the {name} job is not available in this build ({module} is missing)") from None
        raise
    fn = getattr(mod, attr, None)
    if fn is None:
        raise JobUnavailable(f"the {name} job is not available in this build ({module}.{attr} is missing)")
    return fn


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call job ``name`` with the given arguments, one call at a time per job."""
    fn = load(name)
    with _locks[name]:
        return fn(*args, **kwargs)


def available() -> dict[str, bool]:
    """Which jobs this build can run, by name."""
    out = {}
    for name in JOBS:
        try:
            load(name)
            out[name] = True
        except JobUnavailable:
            out[name] = False
    return out


class Store:
    """Thread-safe in-memory store addressed by unguessable random tokens, evicting the oldest entries.

    Holds at most ``max_items`` entries and ``max_bytes`` bytes in total (each entry's size is given by the
    caller). Tokens are looked up in a dict, so nothing a client sends ever names a file.
    """

    def __init__(self, max_items: int = 32, max_bytes: int = 512 << 20) -> None:
        self.max_items, self.max_bytes = max_items, max_bytes
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, value: Any, size: int) -> str:
        """Keep ``value`` (``size`` bytes) and return its token."""
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._items[token] = (value, size)
            self._bytes += size
            while len(self._items) > 1 and (len(self._items) > self.max_items or self._bytes > self.max_bytes):
                _, (_, old) = self._items.popitem(last=False)
                self._bytes -= old
        return token

    def get(self, token: str) -> Any:
        """The value kept under ``token``; raises KeyError if unknown or evicted."""
        with self._lock:
            value, _ = self._items[token]
            self._items.move_to_end(token)
            return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
