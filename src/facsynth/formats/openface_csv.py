"""OpenFace 2.0 CSV: ``frame, face_id, timestamp, confidence, success, AU01_r … AU45_r, AU01_c …``."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import AUSpecError, FormatError, TrackError
from ..facs import MAX_INTENSITY, au_label, parse_au_code
from ..track import DEFAULT_FPS, AUTrack, validate_values

__all__ = ["read_openface_csv", "write_openface_csv", "PRESENCE_THRESHOLD"]

#: Intensity at which the ``_c`` (presence) column is written as 1.
PRESENCE_THRESHOLD = 1.0


def read_openface_csv(path: str | os.PathLike, face_id: int | None = None) -> AUTrack:
    """Read the ``AUxx_r`` columns of an OpenFace 2.0 CSV into an AUTrack.

    The frame rate comes from the ``timestamp`` column (median step), else 30 fps. With several faces,
    ``face_id`` picks one (default: the first one in the file). Raises FormatError / TrackError naming the line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{path} is not a text CSV file") from None
    except OSError as e:
        raise FormatError(f"cannot read {path}: {e.strerror or e}") from None
    return parse_openface_csv(text, source=str(path), face_id=face_id)


def parse_openface_csv(text: str, source: str = "CSV", face_id: int | None = None) -> AUTrack:
    """Parse OpenFace CSV text (see read_openface_csv)."""
    if "\x00" in text:
        raise FormatError(f"{source} is not a text CSV file")
    rows = [(n, r) for n, r in enumerate(csv.reader(io.StringIO(text)), start=1) if any(c.strip() for c in r)]
    if not rows:
        raise FormatError(f"{source} is empty")
    header = [h.strip() for h in rows[0][1]]
    au_cols = [(i, h) for i, h in enumerate(header) if h.upper().startswith("AU") and h.endswith("_r")]
    if not au_cols:
        raise FormatError(f"{source}: no AUxx_r columns in the header (is this an OpenFace 2.0 CSV?)")
    try:
        aus = tuple(parse_au_code(h) for _, h in au_cols)
    except AUSpecError as e:  # unknown AU code in a column name
        raise TrackError(f"{source}: header: {e}") from None
    col = {h: i for i, h in enumerate(header)}
    vals, stamps, lines = [], [], []
    chosen = face_id
    for n, row in rows[1:]:
        if len(row) != len(header):
            raise TrackError(f"{source}: line {n} has {len(row)} fields, the header has {len(header)}")
        if "face_id" in col:
            fid = _number(row[col["face_id"]], source, n, "face_id")
            if chosen is None:
                chosen = int(fid)
            if int(fid) != chosen:
                continue
        try:
            vals.append([float(row[i]) for i, _ in au_cols])
        except ValueError:
            raise TrackError(f"{source}: line {n} has a value that is not a number") from None
        lines.append(n)
        if "timestamp" in col:
            stamps.append(_number(row[col["timestamp"]], source, n, "timestamp"))
    if not vals:
        raise TrackError(f"{source}: no rows" + (f" for face_id {face_id}" if face_id is not None else ""))
    values = np.asarray(vals, np.float32)
    bad = ~np.isfinite(values) | (values < 0) | (values > MAX_INTENSITY)
    if bad.any():  # report the file's line (rows of other faces and blank rows are skipped), not the frame index
        row = int(np.argwhere(bad)[0][0])
        try:
            validate_values(values[row:row + 1], aus, source=source)
        except TrackError as e:
            raise TrackError(str(e).replace("frame 0 ", f"line {lines[row]} ", 1)) from None
    return AUTrack(values, aus, _fps_from_timestamps(stamps))


_COMMON_FPS = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0, 100.0, 120.0)


def _fps_from_timestamps(stamps: list[float]) -> float:
    """Frame rate from timestamps (s) rounded to 1 ms: the span's rate, snapped to a common rate within 0.5 %."""
    if len(stamps) < 2 or stamps[-1] <= stamps[0]:
        return DEFAULT_FPS
    fps = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    near = min(_COMMON_FPS, key=lambda f: abs(f - fps))
    return near if abs(near - fps) <= 0.005 * near else round(fps, 3)


def _number(cell: str, source: str, line: int, name: str) -> float:
    try:
        v = float(cell)
    except ValueError:
        raise TrackError(f"{source}: line {line}: {name} {cell.strip()!r} is not a number") from None
    if not np.isfinite(v):
        raise TrackError(f"{source}: line {line}: {name} is not finite")
    return v


def write_openface_csv(track: AUTrack, path: str | os.PathLike) -> None:
    """Write ``track`` as OpenFace 2.0 CSV (1-based frame, face_id 0, timestamp s, ``_r`` then ``_c`` columns)."""
    labels = [au_label(a) for a in track.aus]
    header = ["frame", "face_id", "timestamp", "confidence", "success"]
    header += [f"{l}_r" for l in labels] + [f"{l}_c" for l in labels]
    presence = (track.values >= PRESENCE_THRESHOLD).astype(int)
    with atomic_write(path, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(track.n_frames):
            w.writerow([i + 1, 0, f"{i / track.fps:.3f}", "0.98", 1]
                       + [f"{v:.2f}" for v in track.values[i]] + [str(p) for p in presence[i]])
