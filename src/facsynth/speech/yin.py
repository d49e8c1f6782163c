"""YIN fundamental-frequency estimation (de Cheveigné & Kawahara 2002) in numpy, computed the way ``librosa.yin``
0.11 computes it (so that the pitch thresholds calibrated on it hold), without importing librosa and numba."""

from __future__ import annotations

import numpy as np

from .._lazy import lazy_module
from .audio import BLOCK_FRAMES, SR
from .spectral import centred_frames

# scipy's pocketfft does YIN's batched 1280-point transforms 2.5-3x as fast as numpy 1.26's in float64 and twice
# that in float32, but importing scipy.fft (it loads scipy.special) costs about 0.2 s of CPU: worth it for long files
# only (``scipy_fft``).
sp_fft = lazy_module("scipy.fft")

__all__ = ["yin"]

# Frames per FFT batch (audio.BLOCK_FRAMES, 128): bounds memory whatever the length of the audio, and a batch's
# arrays (1.3 MB each) are reused from the heap: 512 frames a batch (5 MB arrays) page-faulted each one in afresh,
# 1.5-2 s of system CPU on the 10-minute file run alone.


def yin(samples: np.ndarray, fmin: float, fmax: float, hop: int, frame_length: int = 1024,
        threshold: float = 0.1, scipy_fft: bool = False) -> np.ndarray:
    """F0 per frame of ``frame_length`` samples centred on every ``hop``-th sample (zero padding at both ends).

    Per frame: the cumulative-mean-normalised difference function d'(τ) for periods τ of SR / fmax … SR / fmin
    samples; the smallest τ at a local minimum of d' below ``threshold`` (else the global minimum), refined by a
    parabola through its neighbours. As ``librosa.yin(samples, fmin=fmin, fmax=fmax, sr=16000,
    frame_length=frame_length, hop_length=hop, trough_threshold=threshold)``.

    samples : np.ndarray [shape=(n,)], float32 at 16 kHz; fmin < fmax : Hz; hop : samples between frames;
    scipy_fft : the autocorrelations by ``scipy.fft`` in float32 instead of ``numpy.fft`` in float64: 2.5-3 s less
        CPU on a 10-minute file, 0.2 s more to import it; F0 within 1e-4 relative of numpy's (9.6e-5 at worst, 99 %
        of the voiced frames of the 20 shared utterances within 1.5e-6; the sums after the FFT are float32 anyway).
    Returns np.ndarray [shape=(n // hop + 1,)], float64, Hz (every frame gets an estimate, voiced or not).
    """
    frames = centred_frames(samples, frame_length, hop, np.float32)
    min_period = int(np.floor(SR / fmax))
    max_period = min(int(np.ceil(SR / fmin)), frame_length - 1)
    return np.concatenate([_block_f0(frames[i:i + BLOCK_FRAMES], min_period, max_period, threshold, scipy_fft)
                           for i in range(0, len(frames), BLOCK_FRAMES)])


def _block_f0(frames: np.ndarray, min_period: int, max_period: int, threshold: float,
              scipy_fft: bool) -> np.ndarray:
    """F0 in Hz of frames (m, frame_length) float32; see ``yin``."""
    d = _normalised_difference(frames, min_period, max_period, scipy_fft)      # (m, periods)
    trough = np.zeros(d.shape, bool)
    trough[:, 0] = d[:, 0] < d[:, 1]
    trough[:, 1:-1] = (d[:, 1:-1] < d[:, :-2]) & (d[:, 1:-1] <= d[:, 2:])
    trough[:, -1] = d[:, -1] < d[:, -2]
    trough &= d < threshold
    period = np.where(trough.any(1), trough.argmax(1), d.argmin(1))
    return SR / (min_period + period + _parabolic_shift(d, period))


def _normalised_difference(frames: np.ndarray, min_period: int, max_period: int, scipy_fft: bool) -> np.ndarray:
    """d'(τ) for τ = min_period … max_period of each frame: the difference function from the autocorrelation
    (FFT) and the running energy, divided by its cumulative mean. Returns (m, max_period − min_period + 1) float64.
    """
    n = frames.shape[1]
    size = 256 * int(np.ceil((n + max_period + 1) / 256))  # zero padding enough that lags ≤ max_period do not wrap
    # cast and zero-padded in one copy (the FFTs would make two); scipy's transforms in float32 (half the work of
    # float64, which numpy 1.26's FFT is limited to)
    padded = np.zeros((len(frames), size), np.float32 if scipy_fft else np.float64)
    padded[:, :n] = frames
    if scipy_fft:
        spectrum = sp_fft.rfft(padded, axis=1, overwrite_x=True)
        acf = sp_fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2, n=size, axis=1, overwrite_x=True)
    else:
        spectrum = np.fft.rfft(padded, axis=1)
        acf = np.fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2, n=size, axis=1)
    acf = acf[:, :max_period + 1]
    # the energy of x_1 … x_τ for τ < max_period: only the frame's first samples are needed
    energy = np.cumsum(np.square(frames[:, :max_period]), axis=1, dtype=np.float32)
    energy[:, 0] = 0.0  # as librosa: d(1) = 2 (r(0) − r(1)), d(τ) = 2 (r(0) − r(τ)) − Σ_{j<τ} x_j² from x_1 on
    diff = np.zeros((len(frames), max_period + 1), np.float32)
    diff[:, 1:] = 2 * (acf[:, :1] - acf[:, 1:]) - energy
    mean = np.cumsum(diff[:, 1:], axis=1, dtype=np.float32) / np.arange(1, max_period + 1)
    tiny = np.finfo(np.float64).tiny
    return diff[:, min_period:] / (mean[:, min_period - 1:] + tiny)


def _parabolic_shift(d: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Offset (−1 … 1 bins) of the vertex of the parabola through bin ``period`` of each row of ``d`` and its
    neighbours; 0 at the row's ends and where the vertex lies more than a bin away. Returns (m,) float64."""
    rows = np.arange(len(d))
    at = np.clip(period, 1, d.shape[1] - 2)
    left, mid, right = d[rows, at - 1], d[rows, at], d[rows, at + 1]
    a = right + left - 2 * mid
    b = (right - left) / 2
    inside = (period == at) & (np.abs(b) < np.abs(a))
    return np.where(inside, -b / np.where(inside, a, 1.0), 0.0)
