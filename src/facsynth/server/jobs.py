"""The jobs behind the studio's endpoints, plus a bounded in-memory store for results.

Each job is a function of another facsynth module, named in ``JOBS``. Calls into one job are serialised by a lock
of their own, since the models behind them (MediaPipe graphs, torch modules) are not promised to be thread-safe;
different jobs run concurrently, so a long video render never holds up a photo edit. Each job's queue is short
(``MAX_WAITING``): a call beyond it is refused at once with JobsBusy (HTTP 503) instead of piling up threads and
memory.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from types import ModuleType
from typing import Any, Callable

from .. import speech
from .._lazy import lazy_module
from ..face import analyze, morphs, person
from ..formats import arkit, gltf, image
from ..language import describe, emotion, parse
from ..render import photo, preview
from ..speech import audio

__all__ = ["JOBS", "MAX_WAITING", "JobUnavailable", "JobsBusy", "load", "call", "available", "Store"]

encoder = lazy_module("facsynth.language.encoder")   # torch: loads with the first learned-parse request

#: job name -> (module, function name)
JOBS: dict[str, tuple[ModuleType, str]] = {
    "parse": (parse, "read"),   # a Reading: AUs and the one-sided ones
    "parse_learned": (encoder, "predict"),
    "explain": (encoder, "explain"),
    "describe": (describe, "describe"),
    "emotion": (emotion, "classify"),
    "emotion_track": (emotion, "emotion_track"),
    "read_image": (image, "read_image"),
    "reexpress": (photo, "reexpress"),
    "render_photo": (photo, "render_photo"),
    "render_preview": (preview, "render_preview"),
    # the same function with a queue of its own, so that a long video never holds up a still of the default face
    "render_preview_video": (preview, "render_preview"),
    "write_glb": (gltf, "write_glb"),
    "mesh_person": (person, "person_from_photo"),  # a photo's face shape, texture and uv for write_glb
    "face_mesh": (morphs, "face_mesh"),
    "write_arkit_json": (arkit, "write_arkit_json"),
    "write_livelink_csv": (arkit, "write_livelink_csv"),
    "speak": (speech, "speak"),
    "audio_info": (audio, "audio_info"),
    "analyze_file": (analyze, "analyze_file"),
    "expression_renderer": (photo, "expression_renderer"),
}

#: Calls of one job that may wait while another runs; more are refused (JobsBusy).
MAX_WAITING = 8

_locks = {name: threading.Lock() for name in JOBS}
_queued = dict.fromkeys(JOBS, 0)
_queued_lock = threading.Lock()


class JobUnavailable(Exception):
    """The function behind a job is not in this build of facsynth (HTTP 501)."""


class JobsBusy(Exception):
    """Too many calls of one job are already waiting (HTTP 503)."""


def load(name: str) -> Callable[..., Any]:
    """The function behind job ``name``; raises JobUnavailable if its module lacks it."""
    module, attr = JOBS[name]
    fn = getattr(module, attr, None)
    if fn is None:
        raise JobUnavailable(f"the {name} job is not available in this build ({module.__name__}.{attr} is missing)")
    return fn


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call job ``name`` with the given arguments, one call at a time per job; JobsBusy if its queue is full."""
    fn = load(name)
    with _queued_lock:
        if _queued[name] > MAX_WAITING:
            raise JobsBusy(f"the studio is busy ({_queued[name]} {name} jobs running or waiting): try again shortly")
        _queued[name] += 1
    try:
        with _locks[name]:
            return fn(*args, **kwargs)
    finally:
        with _queued_lock:
            _queued[name] -= 1


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
