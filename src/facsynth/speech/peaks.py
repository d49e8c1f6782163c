"""Peaks and running medians of 1-D curves in numpy: ``find_peaks`` as ``scipy.signal.find_peaks`` selects them
(height, distance, prominence) and ``running_median`` as ``scipy.ndimage.median_filter(mode="nearest")``, without
importing scipy.signal (which loads scipy.stats)."""

from __future__ import annotations

import numpy as np

__all__ = ["find_peaks", "running_median"]


def find_peaks(x: np.ndarray, height: float | None = None, distance: int | None = None,
               prominence: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima of ``x`` (a flat top counts once, at its middle; never the first or last sample), then those at
    least ``height`` high, then the highest of any closer than ``distance`` samples (higher peaks first), then those
    standing at least ``prominence`` above the higher of the lowest points between them and a higher sample (or the
    end) on either side.

    x : np.ndarray [shape=(n,)], float. Returns (peaks, heights): indices (k,) int64 ascending and x at them (k,).
    """
    x = np.asarray(x, np.float64)
    peaks = _local_maxima(x)
    if height is not None:
        peaks = peaks[x[peaks] >= height]
    if distance is not None and len(peaks) > 1:
        peaks = peaks[_apart(peaks, x[peaks], int(np.ceil(distance)))]
    if prominence is not None:
        peaks = peaks[np.array([_prominence(x, p) for p in peaks]) >= prominence] if len(peaks) else peaks
    return peaks, x[peaks]


def _local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices of samples above their left neighbour and above the first different sample to their right
    (plateaus: the middle, rounded down)."""
    if len(x) < 3:
        return np.zeros(0, np.int64)
    change = np.flatnonzero(np.diff(x) != 0) + 1              # starts of runs of equal values after the first
    starts = np.r_[0, change]
    ends = np.r_[change - 1, len(x) - 1]                     # inclusive end of each run
    keep = (starts > 0) & (ends < len(x) - 1)
    starts, ends = starts[keep], ends[keep]
    up = x[starts - 1] < x[starts]
    down = x[ends + 1] < x[ends]
    return ((starts + ends) // 2)[up & down].astype(np.int64)


def _apart(peaks: np.ndarray, priority: np.ndarray, distance: int) -> np.ndarray:
    """Mask of the peaks kept when, from the highest down, each kept peak removes its neighbours closer than
    ``distance``."""
    keep = np.ones(len(peaks), bool)
    for j in np.argsort(priority)[::-1]:
        if keep[j]:
            near = np.abs(peaks - peaks[j]) < distance
            near[j] = False
            keep[near] = False
    return keep


def _prominence(x: np.ndarray, peak: int) -> float:
    """Height of x[peak] above the higher of its two bases (lowest points before a higher sample or the end)."""
    higher_left = np.flatnonzero(x[:peak] > x[peak])
    higher_right = np.flatnonzero(x[peak + 1:] > x[peak])
    left = x[(higher_left[-1] + 1 if len(higher_left) else 0):peak + 1].min()
    right = x[peak:peak + 1 + (higher_right[0] if len(higher_right) else len(x) - peak - 1)].min()
    return float(x[peak] - max(left, right))


def running_median(x: np.ndarray, size: int = 5) -> np.ndarray:
    """Median of each ``size``-sample window centred on each sample (odd ``size``), the ends repeated beyond the
    edges. x : (n,) float. Returns (n,) float64."""
    padded = np.pad(np.asarray(x, np.float64), size // 2, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, size), axis=1)
