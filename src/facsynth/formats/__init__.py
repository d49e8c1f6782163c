"""File formats users already have, one module each, gathered in one table (``FORMATS``), as trimesh's exchange/.

Each module declares its rows (``FORMATS``: suffix, media type, reader, writer); the CLI, the HTTP API, help
texts and docs/formats.md all read this table. Adding a format is one module here, listed in ``_MODULES``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FormatError
from ..track import AUTrack
from . import arkit, gltf, long_csv, openface_csv, track_json
from .base import Format

__all__ = ["FORMATS", "Format", "read_track", "write_track", "reader_for", "writer_for", "TRACK_SUFFIXES"]

_MODULES = (openface_csv, track_json, arkit, long_csv, gltf)
#: Every track format, keyed by ``Format.key`` ("csv", "json", "arkit.json", "arkit.csv", "long.csv", "glb").
FORMATS: dict[str, Format] = {f.key: f for m in _MODULES for f in m.FORMATS}
#: Suffixes facsynth writes tracks to, longest first (".arkit.json" before ".json").
TRACK_SUFFIXES: tuple[str, ...] = tuple(sorted((f.suffix for f in FORMATS.values() if f.write),
                                               key=lambda s: (-len(s), s)))
_HEAD_BYTES = 1 << 16


def writer_for(path: str | os.PathLike) -> Format:
    """The format that writes ``path``, by the longest suffix its name ends with; FormatError if none."""
    name = Path(path).name.lower()
    for f in sorted(FORMATS.values(), key=lambda f: -len(f.suffix)):
        if f.write and name.endswith(f.suffix):
            return f
    raise FormatError(f"cannot write AU tracks to {Path(path).suffix or 'extension-less'} files "
                      f"(use one of {', '.join(TRACK_SUFFIXES)})")


def reader_for(path: str | os.PathLike) -> Format:
    """The format that reads ``path``: among those of its last extension, the first whose sniffer knows the
    file's first bytes, else that extension's default (a Live Link recording is a plain ``.csv``)."""
    p = Path(path)
    ext = p.suffix.lower()
    candidates = [f for f in FORMATS.values() if f.read and f.suffix.endswith(ext)] if ext else []
    if not candidates:
        readable = sorted({"." + f.suffix.rsplit(".", 1)[-1] for f in FORMATS.values() if f.read})
        raise FormatError(f"cannot read AU tracks from {p.suffix or 'extension-less'} files "
                          f"(use {', '.join(readable)})")
    try:
        with open(p, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError as e:
        raise FormatError(f"cannot read {p}: {e.strerror or e}") from None
    for f in candidates:
        if f.sniff is not None and f.sniff(head):
            return f
    return next(f for f in candidates if f.sniff is None)


def read_track(path: str | os.PathLike) -> AUTrack:
    """Read an AU track from any readable format (table in docs/formats.md), chosen by suffix and content."""
    p = Path(path)
    if not p.is_file():
        raise FormatError(f"{p} does not exist or is not a file")
    return reader_for(p).read(p)


def write_track(track: AUTrack, path: str | os.PathLike, **options) -> None:
    """Write an AU track in the format its suffix names (``.csv``, ``.json``, ``.arkit.json``, ``.arkit.csv``,
    ``.glb``); ``options`` go to the writer (``mesh=`` for ``.glb``)."""
    fmt = writer_for(path)
    if fmt.needs_mesh and "mesh" not in options:
        raise FormatError(f"{Path(path).name}: a {fmt.title} needs the face mesh "
                          f"(mesh=facsynth.face.morphs.face_mesh())")
    fmt.write(track, path, **options)
