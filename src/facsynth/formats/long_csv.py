"""Long ("tidy") animation CSV as openfacefx writes it: one row per sample, ``time,channel,value``.

Channels are AU labels (``AU12``, ``AU12_r``: intensity 0–5) or ARKit blendshape names (weight 0–1, turned into
AUs by formats.arkit's mapping); one file holds one kind. Rows may come in any order. The frames are the
file's distinct times; a channel without a sample at some time is interpolated linearly from its own samples
(held before its first and after its last); the frame rate is the times' span rate.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from ..errors import AUSpecError, FormatError, TrackError
from ..facs import MAX_INTENSITY, parse_au_code
from ..track import DEFAULT_FPS, AUTrack
from .arkit import ARKIT_NAMES, arkit_columns, aus_from_arkit
from .base import Format, snap_fps

__all__ = ["read_long_csv", "FORMATS"]

_COLUMNS = ("time", "channel", "value")


def read_long_csv(path: str | os.PathLike) -> AUTrack:
    """AU track from a ``time,channel,value`` CSV (time in seconds). Raises FormatError/TrackError naming the line."""
    path = Path(path)
    samples: dict[str, list[tuple[float, float]]] = {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = ((n, r) for n, r in enumerate(csv.reader(fh), start=1) if any(c.strip() for c in r))
            _, header = next(rows, (0, []))
            names = [h.strip().lower() for h in header]
            if any(c not in names for c in _COLUMNS):
                raise FormatError(f"{path}: a long CSV needs the columns time, channel, value")
            t_i, c_i, v_i = (names.index(c) for c in _COLUMNS)
            for n, row in rows:
                if len(row) != len(header):
                    raise TrackError(f"{path}: line {n} has {len(row)} fields, the header has {len(header)}")
                try:
                    t, v = float(row[t_i]), float(row[v_i])
                except ValueError:
                    raise TrackError(f"{path}: line {n} has a time or value that is not a number") from None
                if not (np.isfinite(t) and np.isfinite(v) and t >= 0):
                    raise TrackError(f"{path}: line {n} has a negative or non-finite time, or a non-finite value")
                samples.setdefault(row[c_i].strip(), []).append((t, v))
    except UnicodeDecodeError:
        raise FormatError(f"{path} is not a text CSV file") from None
    except OSError as e:
        raise FormatError(f"cannot read {path}: {e.strerror or e}") from None
    if not samples:
        raise TrackError(f"{path}: no samples after the header")
    times = np.unique([t for s in samples.values() for t, _ in s])
    fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else DEFAULT_FPS
    curves = {}
    for name, s in samples.items():
        s.sort()
        t, v = np.array(s, np.float64).T
        curves[name] = np.interp(times, t, v).astype(np.float32)
    return _as_track(curves, snap_fps(fps) if len(times) > 1 else fps, str(path))


def _as_track(curves: dict[str, np.ndarray], fps: float, source: str) -> AUTrack:
    """AUTrack from named curves: all AU labels (intensities) or all ARKit names (weights)."""
    names = list(curves)
    try:
        aus = [parse_au_code(n[:-2] if n.lower().endswith("_r") else n) for n in names]
    except AUSpecError:
        aus = None
    if aus is not None:
        values = np.stack([curves[n] for n in names], axis=1)
        if values.min() < 0 or values.max() > MAX_INTENSITY:
            raise TrackError(f"{source}: AU channels must hold intensities 0–5")
        return AUTrack(values, tuple(aus), fps)
    try:
        cols = arkit_columns(names, source)
    except FormatError:
        raise FormatError(f"{source}: channels must all be AU labels (AU12) or all ARKit names (jawOpen)") from None
    if len(cols) != len(names):
        unknown = next(n for i, n in enumerate(names) if i not in cols)
        raise FormatError(f"{source}: channel {unknown!r} is neither an AU label nor an ARKit blendshape")
    weights = np.zeros((len(next(iter(curves.values()))), len(ARKIT_NAMES)), np.float32)
    for i, j in cols.items():
        weights[:, j] = curves[names[i]]
    return aus_from_arkit(weights, fps)


def _sniff(head: bytes) -> bool:
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
    return set(_COLUMNS) <= {c.strip().lower() for c in first.split(",")}


FORMATS = (Format("long.csv", "long CSV (openfacefx: time, channel, value)", ".long.csv", "text/csv",
                  read=read_long_csv, sniff=_sniff),)
