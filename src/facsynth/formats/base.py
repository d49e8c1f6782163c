"""The row every format module declares in the registry: its suffix, media type, reader and writer."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import FormatError

__all__ = ["Format", "snap_fps", "read_json_file"]

#: Frame rates a measured one snaps to when within 0.5 %.
COMMON_FPS = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0, 100.0, 120.0)


@dataclass(frozen=True)
class Format:
    """One file format for AU tracks.

    key        : short name, the file suffix without its dot ("csv", "arkit.json"); the HTTP API's export kind
    title      : what users call it ("OpenFace 2.0 CSV")
    suffix     : file-name ending that selects it for writing (".arkit.json" wins over ".json")
    media_type : MIME type of a download
    read       : ``read(path) -> AUTrack``, or None if facsynth only writes it
    write      : ``write(track, path, **options)``, or None if facsynth only reads it
    sniff      : ``sniff(head: bytes) -> bool`` for files that share a suffix with another format (a Live Link
                 recording is a plain ``.csv``): True if the first bytes are this format's; None for the
                 suffix's default reader
    needs_mesh : the writer takes the face mesh (``mesh=``, a formats.gltf.MorphMesh)
    """

    key: str
    title: str
    suffix: str
    media_type: str
    read: Callable | None = None
    write: Callable | None = None
    sniff: Callable[[bytes], bool] | None = None
    needs_mesh: bool = False


def snap_fps(fps: float) -> float:
    """A frame rate measured from a file's times, snapped to a common rate within 0.5 % (else 3 decimals)."""
    near = min(COMMON_FPS, key=lambda f: abs(f - fps))
    return near if abs(near - fps) <= 0.005 * near else round(fps, 3)


def read_json_file(path: str | os.PathLike) -> object:
    """The parsed JSON of a file; FormatError (one line) for unreadable, non-UTF-8, invalid or too deeply nested
    JSON."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise FormatError(f"{path} is not valid JSON: {e}") from None
    except OSError as e:
        raise FormatError(f"cannot read {path}: {e.strerror or e}") from None
