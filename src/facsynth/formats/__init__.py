"""File formats users already have, one module each; ``read_track``/``write_track`` pick one by extension."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FormatError
from ..track import AUTrack
from .openface_csv import read_openface_csv, write_openface_csv
from .track_json import read_track_json, write_track_json

__all__ = ["read_track", "write_track"]


def read_track(path: str | os.PathLike) -> AUTrack:
    """Read an AU track from OpenFace CSV (.csv) or JSON (.json)."""
    p = Path(path)
    if not p.is_file():
        raise FormatError(f"{p} does not exist or is not a file")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return read_openface_csv(p)
    if suffix == ".json":
        return read_track_json(p)
    raise FormatError(f"cannot read AU tracks from {p.suffix or 'extension-less'} files (use .csv or .json)")


def write_track(track: AUTrack, path: str | os.PathLike) -> None:
    """Write an AU track as OpenFace CSV (.csv) or JSON (.json)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        write_openface_csv(track, path)
    elif suffix == ".json":
        write_track_json(track, path)
    else:
        raise FormatError(f"cannot write AU tracks to {Path(path).suffix or 'extension-less'} files (use .csv or .json)")
