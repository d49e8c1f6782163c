"""Acoustic cues of vocal emotion per stretch of speech: F0 level and range, loudness, speaking rate, spectral tilt
and voice quality (HNR, frame-level jitter and shimmer), the parameters of Juslin & Laukka's (2003) review."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import BLOCK_FRAMES, SR
from .features import FEATURE_FPS, HOP, energy_db, pitch
from .lpc import burg_lpc
from .peaks import find_peaks, running_median
from .spectral import N_FFT, WIN, power_spectrogram

__all__ = ["CUES", "FrameCues", "frame_cues", "window_cues", "formant_spacing"]

#: Names of the cue vector's entries, in order (units: semitones re 100 Hz, semitones, dBFS, syllables per
#: second of speech, dB, dB, percent, dB).
CUES: tuple[str, ...] = ("f0_level", "f0_range", "loudness", "rate", "tilt", "hnr", "jitter", "shimmer")


@dataclass(frozen=True)
class FrameCues:
    """Frame-level measurements at 100 frames/s, shape (frames,) each.

    f0 : Hz, 0 unvoiced; energy : dBFS; alpha : alpha ratio, dB (energy 1–5 kHz over 50 Hz–1 kHz; higher = flatter
    spectrum = more vocal effort; NaN unvoiced); hnr : harmonics-to-noise ratio, dB (NaN unvoiced); jitter,
    shimmer : absolute deviation of log F0 (percent) and of energy (dB) from their 5-frame running median within
    voiced runs of at least 5 frames (NaN elsewhere); nuclei : bool, syllable nuclei (intensity peaks in voiced
    speech); active : bool, frames of speech (within 30 dB of the loud frames).
    """

    f0: np.ndarray
    energy: np.ndarray
    alpha: np.ndarray
    hnr: np.ndarray
    jitter: np.ndarray
    shimmer: np.ndarray
    nuclei: np.ndarray
    active: np.ndarray


def frame_cues(samples: np.ndarray, f0: np.ndarray | None = None, energy: np.ndarray | None = None) -> FrameCues:
    """Measure the frame-level cues of mono 16 kHz ``samples`` (float32 in [-1, 1]).

    ``f0`` and ``energy`` may be passed when already computed (``features.pitch``, ``features.energy_db``).
    """
    y = np.asarray(samples, np.float32)
    n = len(y) // HOP + 1
    f0 = _clean_f0(pitch(y) if f0 is None else f0)
    energy = energy_db(y) if energy is None else energy
    alpha = np.full(n, np.nan)
    voiced_frames = np.flatnonzero(f0 > 0)  # the only frames whose alpha is read: a third of the STFT saved
    power = power_spectrogram(y, HOP, frames=voiced_frames)
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / SR)
    low = power[(freqs >= 50) & (freqs < 1000)].sum(0)
    high = power[(freqs >= 1000) & (freqs < 5000)].sum(0)
    alpha[voiced_frames] = 10 * np.log10((high + 1e-10) / (low + 1e-10))
    active = energy > np.percentile(energy, 90) - 30
    hnr = np.full(n, np.nan)
    win = int(0.04 * SR)
    idx = np.flatnonzero(f0 > 0)
    lag = np.rint(SR / np.maximum(f0[idx], 1.0)).astype(int)
    start = idx * HOP - win // 2
    keep = (start >= 0) & (start + win + lag + 2 <= len(y))
    idx, lag, start = idx[keep], lag[keep], start[keep]
    if len(idx):
        windows = np.lib.stride_tricks.sliding_window_view(y, win)
        lagged = np.lib.stride_tricks.sliding_window_view(y, win + 2)  # lags − 1 … + 1 at once
        best = np.zeros(len(idx))
        for i in range(0, len(idx), BLOCK_FRAMES):  # batches: small temporaries, reused from the heap
            x = windows[start[i:i + BLOCK_FRAMES]].astype(np.float64)
            shifted = lagged[(start + lag - 1)[i:i + BLOCK_FRAMES]].astype(np.float64)
            xx = np.einsum("ij,ij->i", x, x)  # row-wise dot products without a (k, win) temporary each
            for d in (-1, 0, 1):
                z = shifted[:, 1 + d:1 + d + win]
                r = np.einsum("ij,ij->i", x, z) / (np.sqrt(xx * np.einsum("ij,ij->i", z, z)) + 1e-12)
                best[i:i + BLOCK_FRAMES] = np.maximum(best[i:i + BLOCK_FRAMES], r)
        r = np.clip(best, 0.01, 0.999)
        hnr[idx] = 10 * np.log10(r / (1 - r))
    smooth = np.convolve(energy, np.ones(5) / 5, mode="same")
    peaks, _ = find_peaks(np.where(active & (f0 > 0), smooth, -100.0), prominence=2.0, distance=10)
    nuclei = np.zeros(n, bool)
    nuclei[peaks] = True
    jitter, shimmer = np.full(n, np.nan), np.full(n, np.nan)
    voiced = f0 > 0
    edges = np.flatnonzero(np.diff(np.r_[0, voiced.astype(int), 0]))
    starts, stops = edges[::2], edges[1::2]
    long_runs = stops - starts >= 5
    if long_runs.any():
        padded, inner = _padded_runs(starts[long_runs], stops[long_runs])
        jitter[padded[inner]] = 100 * _deviation(np.log(f0[padded]), inner)
        shimmer[padded[inner]] = _deviation(energy[padded].astype(np.float64), inner)
    return FrameCues(f0.astype(np.float32), energy.astype(np.float32), alpha.astype(np.float32), hnr, jitter,
                     shimmer, nuclei, active)


def _clean_f0(f0: np.ndarray) -> np.ndarray:
    """F0 without YIN's octave errors: voiced frames more than 9 semitones below or 11 above the utterance's median
    F0, and voiced runs shorter than 30 ms, become unvoiced (0)."""
    f0 = np.asarray(f0, np.float64).copy()
    voiced = f0 > 0
    if voiced.sum() < 5:
        return np.zeros_like(f0)
    st = 12 * np.log2(np.where(voiced, f0, 1.0) / np.median(f0[voiced]))
    f0[voiced & ((st < -9) | (st > 11))] = 0.0
    voiced = f0 > 0
    edges = np.flatnonzero(np.diff(np.r_[0, voiced.astype(int), 0]))
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a < 3:
            f0[a:b] = 0.0
    return f0


def _padded_runs(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frame indices of the runs [start, stop) one after the other, each with its first and last frame twice more
    on either side, and the mask of the runs' own frames in it: a 5-frame running median over all runs at once
    then never reaches into the next run. Returns (indices (Σ (stop − start + 4),) int, mask (same,) bool)."""
    length = stops - starts + 4
    within = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)   # 0 … length − 1 per run
    padded = np.repeat(starts, length) + np.clip(within - 2, 0, np.repeat(stops - starts - 1, length))
    return padded, (within >= 2) & (within < np.repeat(length - 2, length))


def _deviation(x: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """|x − its 5-frame running median| at ``inner`` (a voiced run's frame-to-frame perturbation), for ``x`` laid
    out by ``_padded_runs`` (one running median for all runs: one per run cost 0.5 s of CPU on a 10-minute file)."""
    return np.abs(x - running_median(x, 5))[inner]


def window_cues(fc: FrameCues, start: int = 0, stop: int | None = None) -> np.ndarray:
    """The cue vector (order ``CUES``) of frames [start, stop); NaN for a cue the stretch has too little speech for.

    f0_level : median voiced F0 in semitones above 100 Hz; f0_range : 85th − 15th percentile of voiced F0, semitones;
    loudness : 90th percentile of frame energy, dBFS; rate : syllable nuclei per second of active speech;
    tilt : median alpha ratio of voiced frames, dB; hnr : median HNR of voiced frames, dB; jitter : frame-to-frame F0
    perturbation of voiced runs (a frame-level stand-in for cycle jitter), percent; shimmer : the same for energy, dB.
    Returns np.ndarray [shape=(len(CUES),)], float64.
    """
    sl = slice(start, stop)
    f0, energy, active = fc.f0[sl], fc.energy[sl], fc.active[sl]
    voiced = f0 > 0
    out = np.full(len(CUES), np.nan)
    if np.count_nonzero(voiced) >= 10:
        st = 12 * np.log2(f0[voiced] / 100.0)
        out[0] = _median(st)
        out[1] = _percentile(st, 85) - _percentile(st, 15)
        out[4] = _median(fc.alpha[sl][voiced])
        h = fc.hnr[sl][voiced]
        h = h[~np.isnan(h)]
        out[5] = _median(h) if len(h) >= 5 else np.nan
        for j, values in ((6, fc.jitter[sl]), (7, fc.shimmer[sl])):
            seen = ~np.isnan(values)
            count = np.count_nonzero(seen)
            if count >= 5:
                out[j] = np.where(seen, values, 0.0).sum() / count  # np.nanmean's sum and division
    if np.count_nonzero(active) >= 10:
        out[2] = _percentile(energy[active], 90)
        out[3] = fc.nuclei[sl][active].sum() / (active.sum() / FEATURE_FPS)
    return out


# np.median and np.percentile cost 60 and 200 µs a call in numpy 1.26, whatever the size; window_cues makes six such
# calls per 2 s window (0.3 s of CPU on a 10-minute file). These two give their values bit for bit (tests) for 1-D
# float arrays without NaN, at 10-20 µs.

def _median(x: np.ndarray) -> np.floating:
    """``np.median(x)`` of a non-empty 1-D float array without NaN: the middle value, or the mean of the middle two."""
    k = len(x) // 2
    if len(x) % 2:
        return np.partition(x, k)[k]
    part = np.partition(x, (k - 1, k))
    return (part[k - 1] + part[k]) / x.dtype.type(2)


def _percentile(x: np.ndarray, q: float) -> np.float64:
    """``np.percentile(x, q)`` (linear interpolation) of a non-empty 1-D float array without NaN, q in 0 … 100."""
    at = (len(x) - 1) * (q / 100)
    i = int(np.floor(at))
    j = min(i + 1, len(x) - 1)
    part = np.partition(x, (i, j))
    low, step, frac = part[i], part[j] - part[i], np.float64(at - i)
    return part[j] - step * (1 - frac) if frac >= 0.5 else low + step * frac  # numpy's two-sided lerp


def formant_spacing(samples: np.ndarray, fc: FrameCues, max_frames: int = 60) -> float:
    """Mean formant spacing ΔF in Hz, a correlate of vocal-tract length (about 1000 Hz for adult men, 1150–1250 Hz
    for women; Reby & McComb 2003): F1–F4 from LPC (order 18) of up to ``max_frames`` voiced speech frames, fitted
    as F_i = (2i − 1)/2 · ΔF, median over frames. NaN when fewer than 5 frames give four formants.
    """
    win = WIN
    idx = np.flatnonzero((fc.f0 > 0) & fc.active)
    idx = idx[(idx * HOP >= win // 2) & (idx * HOP + win // 2 <= len(samples))]
    if len(idx) < 5:
        return float("nan")
    idx = idx[np.linspace(0, len(idx) - 1, min(max_frames, len(idx))).astype(int)]
    # pre-emphasis y[j] − 0.97 y[j − 1] (y[0] kept) of the chosen frames' samples only
    at = (idx * HOP - win // 2)[:, None] + np.arange(win)
    y = np.asarray(samples)[at].astype(np.float64)
    before = np.asarray(samples)[np.maximum(at - 1, 0)].astype(np.float64)
    frames = np.where(at > 0, y - 0.97 * before, y) * np.hamming(win)
    frames = frames[np.abs(frames).max(1) > 1e-6]
    if len(frames) < 5:
        return float("nan")
    coeffs = burg_lpc(frames, order=18)
    coeffs = coeffs[np.isfinite(coeffs).all(1)]
    order = coeffs.shape[1] - 1
    companion = np.zeros((len(coeffs), order, order))
    companion[:, 0, :] = -coeffs[:, 1:] / coeffs[:, :1]
    companion[:, np.arange(1, order), np.arange(order - 1)] = 1.0
    roots = np.linalg.eigvals(companion)  # the LPC polynomial's roots, all frames at once
    k = np.arange(1, 5)
    w = (2 * k - 1) / 2
    found = []
    for r in roots:
        r = r[np.imag(r) > 0]
        freq = np.angle(r) * SR / (2 * np.pi)
        bandwidth = -np.log(np.abs(r)) * SR / np.pi
        freq = np.sort(freq[(freq > 200) & (freq < 4800) & (bandwidth < 400)])
        if len(freq) >= 4:
            found.append(float(freq[:4] @ w / (w @ w)))
    return float(np.median(found)) if len(found) >= 5 else float("nan")
