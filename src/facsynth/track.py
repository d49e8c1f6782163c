"""AUTrack, the narrow waist of facsynth: frames × Action Unit intensities (FACS 0–5) at a frame rate."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

import numpy as np

from .errors import AUSpecError, TrackError
from .facs import MAX_INTENSITY, OPENFACE_AUS, au_label, parse_au_code
from .limits import MAX_FPS, MAX_SMOOTH_SECONDS, check_memory

__all__ = ["AUTrack", "DEFAULT_FPS", "SIDES", "validate_values", "validate_fps"]

DEFAULT_FPS = 30.0
#: The sides of a one-sided AU: the person's own left ("L") and right ("R"); for a frontal photo "L" is the
#: image's right half.
SIDES = ("L", "R")


def validate_values(values: np.ndarray, aus: Sequence[int], *, source: str = "track") -> None:
    """Raise TrackError naming the first bad row: wrong shape, NaN/inf, or intensity outside 0–5.

    ``values`` (frames, n_aus); rows are reported 0-based as frame indices.
    """
    if values.ndim != 2 or values.shape[1] != len(aus):
        raise TrackError(f"{source}: values have shape {values.shape}, expected (frames, {len(aus)})")
    finite = np.isfinite(values)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise TrackError(f"{source}: frame {row} has a non-finite value for {au_label(aus[col])}")
    bad = (values < 0) | (values > MAX_INTENSITY)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise TrackError(
            f"{source}: frame {row} has {au_label(aus[col])} = {values[row, col]:g}, outside FACS intensity 0–5"
        )


def validate_fps(fps: float, *, source: str = "track") -> float:
    """``fps`` as a float if it is a frame rate above 0 and at most MAX_FPS (1000); else TrackError."""
    try:
        fps = float(fps)
    except (TypeError, ValueError):
        raise TrackError(f"{source}: frame rate {fps!r} is not a number") from None
    if not (np.isfinite(fps) and fps > 0):
        raise TrackError(f"{source}: frame rate must be positive, got {fps:g}")
    if fps > MAX_FPS:
        raise TrackError(f"{source}: frame rate {fps:g} is above the limit of {MAX_FPS:g} fps")
    return fps


@dataclass(frozen=True)
class AUTrack:
    """AU intensities over time.

    values : np.ndarray [shape=(frames, n_aus)], float32, FACS intensity 0–5 (OpenFace scale)
    aus    : tuple of AU numbers, one per column, unique and known to the catalogue
    fps    : frames per second, 0 < fps ≤ MAX_FPS (1000); a still expression is a one-frame track
    sides  : {AU: "L" | "R"} for the AUs that act on one side only (the person's own left or right) for the whole
             track; every AU not listed acts on both sides. Read-only mapping; AUs must be columns of ``aus``.
             Transformations keep it (docs/formats.md, "One-sided AUs", says why a flag and not L/R columns).
    """

    values: np.ndarray
    aus: tuple[int, ...] = OPENFACE_AUS
    fps: float = DEFAULT_FPS
    sides: Mapping[int, str] = field(default_factory=dict)
    _index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        aus = tuple(parse_au_code(a) for a in self.aus)
        if len(set(aus)) != len(aus):
            raise TrackError(f"AU codes repeat in {aus}")
        vals = np.asarray(self.values, dtype=np.float32)
        if vals.ndim == 1 and len(aus) == vals.shape[0]:
            vals = vals[None, :]
        validate_values(vals, aus)
        if vals.shape[0] == 0:
            raise TrackError("the track has no frames (a still expression is one frame)")
        fps = validate_fps(self.fps)
        vals = np.ascontiguousarray(vals)
        vals.setflags(write=False)
        object.__setattr__(self, "values", vals)
        object.__setattr__(self, "aus", aus)
        object.__setattr__(self, "fps", fps)
        object.__setattr__(self, "_index", {a: i for i, a in enumerate(aus)})
        object.__setattr__(self, "sides", MappingProxyType(self._checked_sides(self.sides)))

    def _checked_sides(self, sides: object) -> dict[int, str]:
        """``sides`` as {AU: "L" | "R"} in column order; TrackError for a side or an AU the track cannot hold."""
        if not isinstance(sides, Mapping):
            raise TrackError(f"sides must be a mapping {{AU: 'L' | 'R'}}, got {type(sides).__name__}")
        out = {}
        for au, side in sides.items():
            code = parse_au_code(au)
            if code not in self._index:
                raise TrackError(f"{au_label(code)} is given a side but is not a column of the track")
            if side not in SIDES:
                raise TrackError(f"the side of {au_label(code)} must be 'L' or 'R' (the person's own left or "
                                 f"right), got {side!r}")
            out[code] = side
        return dict(sorted(out.items(), key=lambda kv: self._index[kv[0]]))

    # ---- construction
    @classmethod
    def still(cls, intensities: Mapping[int | str, float], aus: Iterable[int] = OPENFACE_AUS,
              fps: float = DEFAULT_FPS, sides: Mapping[int | str, str] | None = None) -> "AUTrack":
        """A one-frame track from ``{AU: intensity}``; AUs outside ``aus`` are added as columns.

        sides : {AU: "L" | "R"} for one-sided AUs (see the class docstring), e.g. ``{12: "L", 14: "L"}``
        """
        aus = tuple(aus)
        codes = {parse_au_code(k): float(v) for k, v in intensities.items()}
        cols = list(aus) + sorted(c for c in codes if c not in aus)
        row = np.array([codes.get(c, 0.0) for c in cols], dtype=np.float32)
        return cls(row[None, :], tuple(cols), fps, sides or {})

    @classmethod
    def zeros(cls, frames: int, aus: Iterable[int] = OPENFACE_AUS, fps: float = DEFAULT_FPS) -> "AUTrack":
        """A neutral track of ``frames`` frames."""
        aus = tuple(aus)
        return cls(np.zeros((int(frames), len(aus)), np.float32), aus, fps)

    # ---- access
    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.values.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds (frames / fps)."""
        return self.n_frames / self.fps

    @property
    def times(self) -> np.ndarray:
        """Timestamp of each frame in seconds, shape (frames,)."""
        return np.arange(self.n_frames, dtype=np.float64) / self.fps

    @property
    def labels(self) -> list[str]:
        """Column labels "AU01", "AU02", …"""
        return [au_label(a) for a in self.aus]

    def __len__(self) -> int:
        return self.n_frames

    def __contains__(self, au: object) -> bool:
        try:
            return parse_au_code(au) in self._index  # type: ignore[arg-type]
        except AUSpecError:
            return False

    def curve(self, au: int | str) -> np.ndarray:
        """Intensity of one AU over time, shape (frames,); zeros if the track lacks that AU."""
        code = parse_au_code(au)
        if code not in self._index:
            return np.zeros(self.n_frames, np.float32)
        return self.values[:, self._index[code]]

    def frame(self, i: int = 0, *, nonzero: bool = True) -> dict[int, float]:
        """Frame ``i`` as ``{AU: intensity}`` (only AUs above 0 unless ``nonzero=False``)."""
        row = self.values[i]
        return {a: float(v) for a, v in zip(self.aus, row) if v > 0 or not nonzero}

    def mean(self) -> dict[int, float]:
        """Mean intensity of each AU over the track, as ``{AU: intensity}``."""
        m = self.values.mean(axis=0) if self.n_frames else np.zeros(len(self.aus))
        return {a: float(v) for a, v in zip(self.aus, m)}

    # ---- transformation (each returns a new track)
    def with_aus(self, aus: Iterable[int]) -> "AUTrack":
        """Same frames over the columns ``aus``: missing AUs are 0, AUs not listed are dropped (with their side)."""
        aus = tuple(parse_au_code(a) for a in aus)
        out = np.zeros((self.n_frames, len(aus)), np.float32)
        for j, a in enumerate(aus):
            if a in self._index:
                out[:, j] = self.values[:, self._index[a]]
        return AUTrack(out, aus, self.fps, {a: s for a, s in self.sides.items() if a in aus})

    def with_sides(self, sides: Mapping[int | str, str]) -> "AUTrack":
        """Same frames with the one-sided AUs ``sides`` ({AU: "L" | "R"}; ``{}``: every AU on both sides)."""
        return AUTrack(self.values, self.aus, self.fps, sides)

    def bilateral(self) -> "AUTrack":
        """The same track with every AU on both sides (for formats without sides, e.g. OpenFace CSV)."""
        return self if not self.sides else AUTrack(self.values, self.aus, self.fps)

    def scaled(self, factor: float) -> "AUTrack":
        """Intensities multiplied by ``factor`` ≥ 0 and clamped to 0–5."""
        if not (np.isfinite(factor) and factor >= 0):
            raise TrackError(f"the intensity scale must be a number ≥ 0, got {factor:g}")
        return AUTrack(np.clip(self.values * float(factor), 0, MAX_INTENSITY), self.aus, self.fps, self.sides)

    def resample(self, fps: float, frames: int | None = None, start: float = 0.0) -> "AUTrack":
        """Linear interpolation to a new frame rate (0 < fps ≤ MAX_FPS).

        frames : frames of the result; default round(duration · fps), which keeps the duration
        start : time in seconds, on this track's clock, of the result's first frame; frame k of the result
            samples time start + k / fps, and times outside this track hold its first or last values

        Example: 100 fps model curves of an ``n``-sample recording at 16 kHz → a 30 fps track as long as the
        sound: ``AUTrack(curves, aus, 100).resample(30, frames=ceil(n / 16000 * 30))``.
        """
        fps = validate_fps(fps)
        if frames is None and start == 0 and self.n_frames <= 1:
            return AUTrack(self.values, self.aus, fps, self.sides)
        n_new = max(1, int(round(self.duration * fps))) if frames is None else int(frames)
        if n_new < 1:
            raise TrackError(f"resampling needs at least one frame, got {n_new}")
        check_memory(n_new * (4 * len(self.aus) + 16), f"resampling to {n_new} frames")
        t_new = start + np.arange(n_new) / fps
        t_old = self.times
        out = np.empty((n_new, len(self.aus)), np.float32)
        for j in range(len(self.aus)):
            out[:, j] = np.interp(t_new, t_old, self.values[:, j])
        return AUTrack(out, self.aus, fps, self.sides)

    def smooth(self, seconds: float = 0.05) -> "AUTrack":
        """Gaussian smoothing over time, standard deviation ``seconds`` (0 … MAX_SMOOTH_SECONDS; 0: unchanged).

        Edges are reflected; the kernel is cut at 3 standard deviations or at the track's length.
        """
        if not 0 <= seconds <= MAX_SMOOTH_SECONDS:
            raise TrackError(f"smoothing must be a non-negative number of seconds up to {MAX_SMOOTH_SECONDS:g}, "
                             f"got {seconds:g}")
        if seconds == 0 or self.n_frames < 2:
            return self
        sigma = seconds * self.fps
        radius = max(1, min(int(3 * sigma), self.n_frames - 1))
        k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
        k /= k.sum()
        pad = np.pad(self.values, ((radius, radius), (0, 0)), mode="reflect")
        out = np.stack([np.convolve(pad[:, j], k, mode="valid") for j in range(len(self.aus))], axis=1)
        return AUTrack(np.clip(out, 0, MAX_INTENSITY), self.aus, self.fps, self.sides)

    @staticmethod
    def clamped(values: np.ndarray, aus: Sequence[int] = OPENFACE_AUS, fps: float = DEFAULT_FPS) -> "AUTrack":
        """Build a track from raw model output: NaN → 0, values clipped to 0–5."""
        vals = np.nan_to_num(np.asarray(values, np.float32), nan=0.0, posinf=MAX_INTENSITY, neginf=0.0)
        return AUTrack(np.clip(vals, 0, MAX_INTENSITY), tuple(aus), fps)

    def concat(self, other: "AUTrack") -> "AUTrack":
        """This track followed by ``other`` (resampled to this fps, over this track's AUs plus its own).

        Sides: an AU keeps the side it has in either track when the other track has it on the same side or never
        moves it; an AU moving on different sides in the two (left in one, both sides in the other) raises
        TrackError, since a side holds for a whole track.
        """
        aus = self.aus + tuple(a for a in other.aus if a not in self._index)
        a, b = self.with_aus(aus), other.resample(self.fps).with_aus(aus)
        sides = {}
        for au in dict.fromkeys([*self.sides, *other.sides]):
            mine, theirs = self.sides.get(au), other.sides.get(au)
            if mine == theirs or not other.curve(au).any():
                sides[au] = mine or theirs
            elif not self.curve(au).any():
                sides[au] = theirs or mine
            else:
                raise TrackError(f"cannot join the tracks: {au_label(au)} moves on "
                                 f"{_side_name(mine)} in the first and on {_side_name(theirs)} in the second")
        return AUTrack(np.concatenate([a.values, b.values]), aus, self.fps, {k: v for k, v in sides.items() if v})

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, AUTrack) and self.aus == other.aus and self.fps == other.fps
                and dict(self.sides) == dict(other.sides) and np.array_equal(self.values, other.values))

    def __hash__(self) -> int:
        return hash((self.aus, self.fps, tuple(self.sides.items()), self.values.tobytes()))

    def __repr__(self) -> str:
        sides = f", sides={dict(self.sides)}" if self.sides else ""
        return f"AUTrack(frames={self.n_frames}, aus={list(self.aus)}, fps={self.fps:g}{sides})"


def _side_name(side: str | None) -> str:
    return {"L": "the left side", "R": "the right side"}.get(side, "both sides")  # type: ignore[arg-type]
