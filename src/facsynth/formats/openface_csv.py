"""OpenFace 2.0 CSV, byte for byte as OpenFace's RecorderCSV writes it, and a streaming reader for any size.

Layout written (a video, "sequence")::

    frame, face_id, timestamp, confidence, success, AU01_r, …, AU45_r, AU01_c, …, AU28_c, AU45_c[, AU18_r, …]\\n
    1, 0, 0.000, 1.00, 1, 0.00, 2.50, …, 0.0, 1.0, …\\n

", " between fields and "\\n" line ends; the 17 OpenFace AUs as ``_r`` (2 decimals), then its 18 ``_c`` presence
columns (AU28_c has no ``_r``), written 0.0/1.0 (1.0 from intensity ``PRESENCE_THRESHOLD``); timestamps with 3
decimals, confidence with 2. A one-frame track is a single image and gets OpenFace's image layout
``face, confidence, AU01_r, …`` (confidence with 3 decimals). AUs of the track that OpenFace does not estimate
(18, 22, 24, 27, 28, 43) follow as extra ``AUxx_r`` columns after the OpenFace ones, so readers that pick
columns by name (OpenFace's own scripts, py-feat) see an ordinary file and facsynth reads everything back.

OpenFace's AUs are bilateral, so the file has no sides: a one-sided AU of the track (``AUTrack.sides``) is written
with its intensity as it is, as if on both sides, and a warning names it (docs/formats.md, "One-sided AUs").
"""

from __future__ import annotations

import csv
import os
import warnings
from pathlib import Path
from typing import BinaryIO, Sequence

import numpy as np

from .._lazy import lazy_module
from ..atomic import atomic_write
from ..errors import AUSpecError, FormatError, TrackError
from ..facs import MAX_INTENSITY, OPENFACE_AUS, au_label, parse_au_code
from ..track import DEFAULT_FPS, AUTrack
from .base import Format, snap_fps

pa = lazy_module("pyarrow")
pacsv = lazy_module("pyarrow.csv")

__all__ = ["read_openface_csv", "write_openface_csv", "PRESENCE_THRESHOLD", "OPENFACE_PRESENCE_AUS", "FORMATS"]

#: Intensity at which the ``_c`` (presence) column is written as 1.0.
PRESENCE_THRESHOLD = 1.0
#: AUs whose presence (``_c``) OpenFace 2.0 writes: its 17 intensity AUs plus AU28 (lip suck), sorted.
OPENFACE_PRESENCE_AUS: tuple[int, ...] = tuple(sorted(OPENFACE_AUS + (28,)))
#: Bytes per block of the streaming reader: Arrow keeps about 50 blocks in flight, so this bounds its working
#: memory (about 27 MB), not the track's length.
_BLOCK_BYTES = 1 << 19


# ---------------------------------------------------------------- writing

def write_openface_csv(track: AUTrack, path: str | os.PathLike, *, confidence: Sequence[float] | None = None,
                       success: Sequence[bool] | None = None, image: bool | None = None) -> None:
    """Write ``track`` as an OpenFace 2.0 CSV in RecorderCSV's exact dialect (see the module docstring).

    Parameters
    ----------
    track : AUTrack, (frames, n_aus) FACS intensity 0–5
    path : output .csv, written atomically
    confidence : per-frame tracker confidence 0–1, shape (frames,); default 1.0 (a synthesised track is exact)
    success : per-frame tracking success, shape (frames,); default 1 on every frame
    image : OpenFace's single-image layout (``face, confidence``); default: when the track has one frame
    """
    n = track.n_frames
    conf = np.ones(n) if confidence is None else np.asarray(confidence, np.float64).reshape(-1)
    ok = np.ones(n, bool) if success is None else np.asarray(success, bool).reshape(-1)
    if conf.shape != (n,) or ok.shape != (n,):
        raise FormatError(f"confidence and success need one value per frame ({n})")
    image = n == 1 if image is None else image
    if track.sides:
        named = ", ".join(f"{au_label(a)} ({'left' if s == 'L' else 'right'})" for a, s in track.sides.items())
        warnings.warn(f"OpenFace CSV has no sides: the one-sided {named} written as on both sides", stacklevel=2)
    full = track.with_aus(OPENFACE_AUS).values
    extras = tuple(a for a in track.aus if a not in OPENFACE_AUS)
    extra = track.with_aus(extras).values
    presence = track.with_aus(OPENFACE_PRESENCE_AUS).values >= PRESENCE_THRESHOLD
    header = ["face", "confidence"] if image else ["frame", "face_id", "timestamp", "confidence", "success"]
    header += [f"{au_label(a)}_r" for a in OPENFACE_AUS] + [f"{au_label(a)}_c" for a in OPENFACE_PRESENCE_AUS]
    header += [f"{au_label(a)}_r" for a in extras]
    # One %-template per row over Python values: the same text as formatting each numpy scalar, 3x faster.
    row = ", ".join(["%.2f"] * full.shape[1] + ["%s"] * presence.shape[1] + ["%.2f"] * extra.shape[1]) + "\n"
    full, extra, conf, ok = full.tolist(), extra.tolist(), conf.tolist(), ok.tolist()
    presence = np.where(presence, "1.0", "0.0").tolist()
    with atomic_write(path, newline="") as fh:
        fh.write(", ".join(header) + "\n")
        for i in range(n):
            lead = f"0, {conf[i]:.3f}" if image else f"{i + 1}, 0, {i / track.fps:.3f}, {conf[i]:.2f}, {int(ok[i])}"
            fh.write(lead + ", " + row % (*full[i], *presence[i], *extra[i]))


# ---------------------------------------------------------------- reading

def read_openface_csv(path: str | os.PathLike, face_id: int | None = None) -> AUTrack:
    """Read the ``AUxx_r`` columns of an OpenFace 2.0 CSV (either layout, any separator spacing) into an AUTrack.

    The file is read in blocks, column by column, keeping only the AU, face, timestamp and success columns as
    float32: a 10-million-row file needs about twice its AU data's float32 size. The frame rate comes from the
    ``timestamp`` column (span / frames, snapped to a common rate within 0.5 %), else 30 fps. With several
    faces, ``face_id`` picks one (default: the first one in the file). Frames whose ``success`` is 0 (OpenFace
    lost the face) are filled by linear interpolation between the tracked frames around them, with a warning.

    Raises FormatError (not a CSV, no AU columns) or TrackError naming the file's line (ragged rows, values
    that are not numbers or outside 0–5, timestamps that do not increase).
    """

    path = Path(path)
    source = str(path)
    try:
        with open(path, "rb") as fh:
            names = _header(fh, source)
    except OSError as e:
        raise FormatError(f"cannot read {path}: {e.strerror or e}") from None
    raw = {n.strip(): n for n in names}
    au_cols = [n for n in raw if n.upper().startswith("AU") and n.endswith("_r")]
    if not au_cols:
        raise FormatError(f"{source}: no AUxx_r columns in the header (is this an OpenFace 2.0 CSV?)")
    try:
        aus = tuple(parse_au_code(n[:-2]) for n in au_cols)
    except AUSpecError as e:
        raise TrackError(f"{source}: header: {e}") from None
    face_col = next((c for c in ("face_id", "face") if c in raw), None)
    extra = [c for c in (face_col, "timestamp", "success") if c and c in raw]
    types = {raw[c]: pa.float32() for c in au_cols} | {raw[c]: pa.float64() for c in extra}
    try:
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=_BLOCK_BYTES, use_threads=False,
                                                                       encoding="utf8"),
                                convert_options=pacsv.ConvertOptions(include_columns=list(types),
                                                                     column_types=types))
        parts, ok_parts, stamps = [], [], _Stamps()
        chosen = face_id
        for batch in reader:
            cols = {c: batch.column(raw[c]) for c in au_cols + extra}
            if any(col.null_count for col in cols.values()):
                raise _Locate
            keep = slice(None)
            if face_col:
                fid = cols[face_col].to_numpy()
                if chosen is None and len(fid):
                    chosen = int(fid[0])
                keep = fid == chosen
            values = np.stack([cols[c].to_numpy()[keep] for c in au_cols], axis=1)
            if not (np.isfinite(values).all() and values.min(initial=0) >= 0
                    and values.max(initial=0) <= MAX_INTENSITY):
                raise _Locate
            if "timestamp" in cols and not stamps.add(cols["timestamp"].to_numpy()[keep]):
                raise _Locate
            parts.append(values)
            if "success" in cols:
                ok_parts.append(cols["success"].to_numpy()[keep] != 0)
            del cols, batch
    except (pa.ArrowInvalid, _Locate) as e:
        _locate_error(path, source, face_id)           # raises the error that names the line
        raise FormatError(f"{source}: {str(e).splitlines()[0] if str(e) else 'unreadable CSV'}") from None
    except UnicodeDecodeError:
        raise FormatError(f"{source} is not a text CSV file") from None
    except OSError as e:
        raise FormatError(f"cannot read {path}: {e.strerror or e}") from None
    n = sum(len(p) for p in parts)
    if n == 0:
        raise TrackError(f"{source}: no rows" + (f" for face_id {face_id}" if face_id is not None else ""))
    values = np.concatenate(parts) if len(parts) > 1 else parts[0]
    del parts
    if ok_parts:
        values = _fill_untracked(values, np.concatenate(ok_parts), source)
    return AUTrack(values, aus, stamps.fps())


class _Locate(Exception):
    """A block failed a check: re-read the file line by line to name the bad line."""


class _Stamps:
    """Running check that timestamps are finite, ≥ 0 and increasing; keeps only the first, last and count."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last = -np.inf
        self.count = 0

    def add(self, t: np.ndarray) -> bool:
        """Take a block of timestamps (s); False if one is bad (the caller then locates it)."""
        if not len(t):
            return True
        if not (np.isfinite(t).all() and t[0] > self.last and t.min() >= 0 and (np.diff(t) > 0).all()):
            return False
        self.first = float(t[0]) if self.first is None else self.first
        self.last, self.count = float(t[-1]), self.count + len(t)
        return True

    def fps(self) -> float:
        """Frame rate of the span: (frames − 1) / (last − first), snapped to a common rate; 30 without stamps."""
        if self.count < 2:
            return DEFAULT_FPS
        return snap_fps((self.count - 1) / (self.last - self.first))


def _fill_untracked(values: np.ndarray, ok: np.ndarray, source: str) -> np.ndarray:
    """Replace rows with ``ok`` False (OpenFace's success = 0) by linear interpolation over the tracked rows."""
    bad = int((~ok).sum())
    if not bad:
        return values
    if bad == len(ok):
        raise TrackError(f"{source}: no frame has success = 1 (OpenFace tracked no face)")
    warnings.warn(f"{source}: {bad} of {len(ok)} frames have success = 0 (face not tracked); their AUs are "
                  f"interpolated from the tracked frames around them", stacklevel=3)
    rows, good = np.flatnonzero(~ok), np.flatnonzero(ok)
    out = np.array(values, np.float32)
    for j in range(values.shape[1]):
        out[rows, j] = np.interp(rows, good, values[good, j])
    return out


def _header(fh: BinaryIO, source: str) -> list[str]:
    """Field names of the first non-blank line (a UTF-8 BOM is skipped)."""
    for raw in fh:
        if b"\x00" in raw:
            raise FormatError(f"{source} is not a text CSV file")
        try:
            line = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FormatError(f"{source} is not a text CSV file") from None
        if line.strip():
            return next(csv.reader([line]))
    raise FormatError(f"{source} is empty")


def _locate_error(path: Path, source: str, face_id: int | None) -> None:
    """Re-read ``path`` line by line and raise the TrackError that names the first bad line (slow; errors only)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        rows = ((n, r) for n, r in enumerate(csv.reader(fh), start=1) if any(c.strip() for c in r))
        _, names = next(rows)
        header = [h.strip() for h in names]
        col = {h: i for i, h in enumerate(header)}
        au_idx = [i for i, h in enumerate(header) if h.upper().startswith("AU") and h.endswith("_r")]
        aus = [parse_au_code(header[i][:-2]) for i in au_idx]
        face_col = col.get("face_id", col.get("face"))
        chosen, last = face_id, -np.inf
        for n, row in rows:
            if len(row) != len(header):
                raise TrackError(f"{source}: line {n} has {len(row)} fields, the header has {len(header)}")
            if face_col is not None:
                fid = _number(row[face_col], source, n, header[face_col])
                chosen = int(fid) if chosen is None else chosen
                if int(fid) != chosen:
                    continue
            for i, au in zip(au_idx, aus):
                try:
                    v = float(row[i])
                except ValueError:
                    raise TrackError(f"{source}: line {n} has a value that is not a number") from None
                if not np.isfinite(v):
                    raise TrackError(f"{source}: line {n} has a non-finite value for {au_label(au)}")
                if not 0 <= v <= MAX_INTENSITY:
                    raise TrackError(f"{source}: line {n} has {au_label(au)} = {v:g}, outside FACS intensity 0–5")
            if "success" in col:
                _number(row[col["success"]], source, n, "success")
            if "timestamp" in col:
                t = _number(row[col["timestamp"]], source, n, "timestamp")
                if t < 0 or t <= last:
                    raise TrackError(f"{source}: line {n}: timestamp {t:g} s is "
                                     + ("negative" if t < 0 else f"not after the previous one ({last:g} s)"))
                last = t


def _number(cell: str, source: str, line: int, name: str) -> float:
    try:
        v = float(cell)
    except ValueError:
        raise TrackError(f"{source}: line {line}: {name} {cell.strip()!r} is not a number") from None
    if not np.isfinite(v):
        raise TrackError(f"{source}: line {line}: {name} is not finite")
    return v


FORMATS = (Format("csv", "OpenFace 2.0 CSV", ".csv", "text/csv", read=read_openface_csv, write=write_openface_csv),)
