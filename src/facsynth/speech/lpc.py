"""Linear prediction by Burg's method in numpy (Marple 1980), as ``librosa.lpc`` 0.11 computes it, for many frames
at once."""

from __future__ import annotations

import numpy as np

__all__ = ["burg_lpc"]


def burg_lpc(frames: np.ndarray, order: int) -> np.ndarray:
    """Coefficients a of the all-pole model x[t] ≈ −Σ_{k=1..order} a[k] x[t−k] of each frame, by Burg's method:
    per order, the reflection coefficient minimising the summed forward and backward prediction error, then the
    Levinson update of the coefficients.

    frames : np.ndarray [shape=(m, n)], float, n > order; order : int ≥ 1.
    Returns np.ndarray [shape=(m, order + 1)], float64, a[:, 0] = 1 (``librosa.lpc(frames, order=order, axis=-1)``).

    Examples
    --------
    >>> rng = np.random.default_rng(0); x = np.zeros(4000); e = rng.standard_normal(4000)
    >>> for t in range(2, 4000): x[t] = 1.3 * x[t - 1] - 0.6 * x[t - 2] + e[t]
    >>> np.round(burg_lpc(x[None], 2), 1)
    array([[ 1. , -1.3,  0.6]])
    """
    frames = np.asarray(frames, np.float64)
    coeffs = np.zeros((len(frames), order + 1))
    coeffs[:, 0] = 1.0
    forward, backward = frames[:, 1:], frames[:, :-1]
    den = np.sum(forward ** 2 + backward ** 2, axis=1)
    for i in range(order):
        k = -2.0 * np.sum(backward * forward, axis=1) / (den + np.finfo(np.float64).tiny)
        coeffs[:, 1:i + 2] = coeffs[:, 1:i + 2] + k[:, None] * coeffs[:, i::-1]
        forward, backward = forward + k[:, None] * backward, backward + k[:, None] * forward
        den = (1.0 - k ** 2) * den - backward[:, -1] ** 2 - forward[:, 0] ** 2
        forward, backward = forward[:, 1:], backward[:, :-1]
    return coeffs
