"""Prosody → upper face: brow raises on pitch accents, natural blinks (more at pauses), and the voice's arousal."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .peaks import find_peaks
from .phonemes import Phone

__all__ = ["pitch_accents", "brow_curve", "pauses", "blink_times", "blink_curve", "arousal", "BLINKS_PER_MINUTE"]

#: Mean blink rate of a speaker (humans blink ~15–20 times a minute while talking).
BLINKS_PER_MINUTE = 17.0


def _semitones(f0: np.ndarray) -> np.ndarray:
    """F0 in semitones above the speaker's median voiced F0 (NaN where unvoiced)."""
    voiced = f0 > 0
    out = np.full(len(f0), np.nan)
    if voiced.sum() >= 5:
        out[voiced] = 12 * np.log2(f0[voiced] / np.median(f0[voiced]))
    return out


def pitch_accents(f0: np.ndarray, energy: np.ndarray, fps: float = 100.0) -> list[tuple[float, float]]:
    """Pitch accents: peaks of F0 at least 2 semitones above the speaker's median, on loud frames, ≥ 0.6 s apart.

    Parameters
    ----------
    f0 : np.ndarray [shape=(frames,)], Hz, 0 where unvoiced
    energy : np.ndarray [shape=(frames,)], dBFS
    fps : frames per second of both

    Returns
    -------
    accents : list of (time in seconds, prominence 0–1)
    """
    st = _semitones(f0)
    if np.isnan(st).all():
        return []
    k = max(1, int(0.05 * fps))
    filled = np.where(np.isnan(st), -12.0, st)
    smooth = np.convolve(filled, np.ones(2 * k + 1) / (2 * k + 1), mode="same")
    loud = energy > np.percentile(energy, 90) - 12
    peaks, heights = find_peaks(np.where(loud, smooth, -12.0), height=2.0, distance=max(1, int(0.6 * fps)),
                                prominence=1.5)
    return [(p / fps, float(np.clip((h - 1.0) / 4.0, 0.2, 1.0))) for p, h in zip(peaks, heights)]


def brow_curve(accents: Sequence[tuple[float, float]], times: np.ndarray, peak: float = 2.0) -> np.ndarray:
    """Brow-raise intensity (for AU1 and AU2) over ``times``: a bump rising 0.15 s before each accent, falling 0.35 s
    after, at ``peak`` × prominence.

    Returns np.ndarray [shape=(frames,)], float32, FACS 0–5.
    """
    out = np.zeros(len(times), np.float64)
    for t, prom in accents:
        d = times - t
        width = np.where(d < 0, 0.15, 0.35)
        out = np.maximum(out, peak * prom * np.exp(-0.5 * (d / width) ** 2))
    return np.clip(out, 0, 5).astype(np.float32)


def pauses(phones: Sequence[Phone], min_seconds: float = 0.2) -> list[tuple[float, float]]:
    """Silences inside the speech (not before the first or after the last phone), at least ``min_seconds`` long."""
    spoken = [i for i, p in enumerate(phones) if p.phone != "SIL"]
    if not spoken:
        return []
    inner = phones[spoken[0]:spoken[-1] + 1]
    return [(p.start, p.end) for p in inner if p.phone == "SIL" and p.end - p.start >= min_seconds]


def blink_times(duration: float, pause_spans: Sequence[tuple[float, float]], rng: np.random.Generator,
                rate: float = BLINKS_PER_MINUTE, min_gap: float = 1.0) -> list[float]:
    """When to blink over ``duration`` seconds: ``rate`` per minute on average, preferring the start of pauses.

    Up to 60 % of the blinks fall at pauses (longest first); the rest are spread at random, at least ``min_gap``
    seconds from each other.
    """
    expected = rate * duration / 60.0
    n = int(np.floor(expected)) + int(rng.random() < expected - np.floor(expected))
    chosen: list[float] = []

    def free(t: float) -> bool:
        return 0.1 <= t <= duration - 0.2 and all(abs(t - c) >= min_gap for c in chosen)

    for start, end in sorted(pause_spans, key=lambda s: s[0] - s[1])[: int(np.ceil(0.6 * n))]:
        if free(start + 0.05):
            chosen.append(start + 0.05)
    for _ in range(50 * max(n, 1)):
        if len(chosen) >= n:
            break
        t = float(rng.uniform(0.1, max(0.1, duration - 0.2)))
        if free(t):
            chosen.append(t)
    return sorted(chosen)


def blink_curve(blinks: Sequence[float], times: np.ndarray, peak: float = 4.5) -> np.ndarray:
    """AU45 over ``times``: each blink closes in 80 ms, stays shut 40 ms and reopens in 150 ms.

    Returns np.ndarray [shape=(frames,)], float32, FACS 0–5.
    """
    out = np.zeros(len(times), np.float32)
    for t in blinks:
        d = times - t
        shape = np.interp(d, [-0.08, 0.0, 0.04, 0.19], [0.0, 1.0, 1.0, 0.0], left=0.0, right=0.0)
        out = np.maximum(out, peak * shape)
    return out


def arousal(f0: np.ndarray, energy: np.ndarray) -> float:
    """How aroused the voice sounds, 0.5 (flat, quiet) – 1.5 (lively): from F0 and loudness variability in speech.

    A typical reading voice (F0 s.d. ≈ 3 semitones, loudness s.d. ≈ 8 dB over speech) gives 1.0.
    """
    st = _semitones(f0)
    sd_st = float(np.nanstd(st)) if not np.isnan(st).all() else 3.0
    speech = energy[energy > np.percentile(energy, 90) - 30]
    sd_e = float(np.std(speech)) if len(speech) > 10 else 8.0
    return float(np.clip(1.0 + 0.25 * (sd_st - 3.0) + 0.0625 * (sd_e - 8.0), 0.5, 1.5))
