"""Shared output dispatch by file name: AU tracks (.csv, .json), ARKit weights (.arkit.json, .arkit.csv), glTF (.glb).

Images and videos (.png, .jpg, .mp4) are rendered by the command itself, since what they show depends on it.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import FormatError
from ..track import AUTrack

__all__ = ["TRACK_SUFFIXES", "MEDIA_SUFFIXES", "output_kind", "write_track_output"]

TRACK_SUFFIXES = (".arkit.json", ".arkit.csv", ".csv", ".json", ".glb")
MEDIA_SUFFIXES = (".png", ".jpg", ".jpeg", ".mp4")


def output_kind(path: Path) -> str:
    """The output suffix of ``path`` that decides its format (".arkit.json", ".glb", ".png", …)."""
    name = path.name.lower()
    for suffix in TRACK_SUFFIXES + MEDIA_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise FormatError(f"unknown output type {path.suffix or path.name!r} "
                      f"(use one of {', '.join(TRACK_SUFFIXES + MEDIA_SUFFIXES)})")


def write_track_output(track: AUTrack, path: Path, **mesh_options) -> None:
    """Write ``track`` to ``path`` in the format its suffix names (not for images and videos)."""
    kind = output_kind(path)
    if kind in (".csv", ".json"):
        from ..formats import write_track

        write_track(track, path)
    elif kind == ".arkit.json":
        from ..formats.arkit import write_arkit_json

        write_arkit_json(track, path)
    elif kind == ".arkit.csv":
        from ..formats.arkit import write_livelink_csv

        write_livelink_csv(track, path)
    elif kind == ".glb":
        from ..formats.gltf import write_glb

        write_glb(track, path, **mesh_options)
    else:
        raise FormatError(f"{path.name}: images and videos are rendered by the command, not written as tracks")
