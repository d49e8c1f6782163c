"""Shared output dispatch by file name: track formats come from the registry (facsynth.formats.FORMATS).

Images and videos (.png, .jpg, .mp4) are rendered by the command itself, since what they show depends on it.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import FormatError
from ..face.morphs import face_mesh
from ..formats import FORMATS, TRACK_SUFFIXES, write_track, writer_for
from ..track import AUTrack

__all__ = ["TRACK_SUFFIXES", "MEDIA_SUFFIXES", "output_kind", "write_track_output", "output_help", "input_help"]

MEDIA_SUFFIXES = (".png", ".jpg", ".jpeg", ".mp4")


def output_kind(path: Path) -> str:
    """The output suffix of ``path`` that decides its format (".arkit.json", ".glb", ".png", …)."""
    name = path.name.lower()
    for suffix in TRACK_SUFFIXES + MEDIA_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise FormatError(f"unknown output type {path.suffix or path.name!r} "
                      f"(use one of {', '.join(TRACK_SUFFIXES + MEDIA_SUFFIXES)})")


def write_track_output(track: AUTrack, path: Path, *, neutral=None, texture=None, uv=None) -> None:
    """Write ``track`` to ``path`` in the format its suffix names (not for images and videos).

    neutral, texture, uv : the person's face for a mesh format (see facsynth.face.morphs.face_mesh)
    """
    if output_kind(path) in MEDIA_SUFFIXES:
        raise FormatError(f"{path.name}: images and videos are rendered by the command, not written as tracks")
    options = {}
    if writer_for(path).needs_mesh:
        options["mesh"] = face_mesh(neutral, texture, uv, sides=track.sides)
    write_track(track, path, **options)


def output_help(what: str = "write the result here", *, media: bool = False) -> str:
    """Help text for a track output option: every suffix facsynth writes, from the registry (then, with
    ``media``, the image and video suffixes the command renders)."""
    suffixes = [f.suffix for f in FORMATS.values() if f.write] + (list(MEDIA_SUFFIXES) if media else [])
    return f"{what} ({', '.join(suffixes)})"


def input_help(what: str = "AU track") -> str:
    """Help text for a track input: every format facsynth reads, from the registry."""
    titles = ", ".join(f.title for f in FORMATS.values() if f.read)
    return f"{what}: {titles} (a .csv or .json is recognised by its header)"
