"""AU tracks as JSON: ``{"fps": 30, "aus": ["AU01", …], "frames": [[…], …]}``, or one ``{"AU12": 3}`` frame.

One-sided AUs (``AUTrack.sides``) are kept as ``"sides": {"AU12": "L", "AU14": "L"}`` (the person's own left or
right), written only when the track has any; a flat still frame may carry the same ``"sides"`` key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import FormatError, TrackError
from ..facs import au_label, parse_au_code
from ..track import DEFAULT_FPS, AUTrack
from .base import Format, read_json_file

__all__ = ["read_track_json", "write_track_json", "track_to_json", "track_from_json", "FORMATS"]


def track_to_json(track: AUTrack) -> dict:
    """JSON-ready dict of ``track`` with fps, AU labels, timestamps (s), frames (rounded to 0.001) and, when some
    AUs are one-sided, their sides."""
    out = {
        "fps": track.fps,
        "aus": track.labels,
        "timestamps": [round(float(t), 4) for t in track.times],
        "frames": np.round(track.values.astype(np.float64), 3).tolist(),
    }
    if track.sides:
        out["sides"] = {au_label(a): s for a, s in track.sides.items()}
    return out


def _sides(obj: dict, source: str) -> dict[int, str]:
    """The ``"sides"`` object of a track JSON as {AU: "L" | "R"} (checked by AUTrack)."""
    sides = obj.get("sides", {})
    if not isinstance(sides, dict):
        raise FormatError(f"{source}: \"sides\" must be an object such as {{\"AU12\": \"L\"}}")
    return {parse_au_code(a): s for a, s in sides.items()}


def track_from_json(obj: object, source: str = "JSON") -> AUTrack:
    """AUTrack from the dict written by track_to_json, or from a flat ``{"AU12": 3, …}`` still frame."""
    if not isinstance(obj, dict):
        raise FormatError(f"{source}: expected a JSON object")
    try:
        if "frames" in obj:
            aus = tuple(parse_au_code(a) for a in obj.get("aus", []))
            frames = obj["frames"]
            if not isinstance(frames, list):
                raise FormatError(f"{source}: \"frames\" must be a list of rows")
            for i, row in enumerate(frames):
                if not isinstance(row, list) or len(row) != len(aus):
                    raise TrackError(f"{source}: frame {i} has {len(row) if isinstance(row, list) else 'no'} "
                                     f"values, expected {len(aus)}")
            values = np.asarray(frames, dtype=np.float32).reshape(len(frames), len(aus))
            return AUTrack(values, aus, float(obj.get("fps", DEFAULT_FPS)), _sides(obj, source))
        return AUTrack.still({parse_au_code(k): float(v) for k, v in obj.items() if k != "sides"},
                             sides=_sides(obj, source))
    except (TypeError, ValueError) as e:
        if isinstance(e, (FormatError, TrackError)):
            raise
        raise TrackError(f"{source}: {e}") from None


def read_track_json(path: str | os.PathLike) -> AUTrack:
    """Read an AU track JSON file (see track_from_json)."""
    path = Path(path)
    obj = read_json_file(path)
    return track_from_json(obj, source=str(path))


def write_track_json(track: AUTrack, path: str | os.PathLike) -> None:
    """Write ``track`` as JSON (all-or-nothing)."""
    with atomic_write(path) as fh:
        json.dump(track_to_json(track), fh)


FORMATS = (Format("json", "facsynth JSON track", ".json", "application/json", read=read_track_json,
                  write=write_track_json),)
