"""Short-time spectra of 16 kHz speech in numpy: the power STFT, the Slaney mel filterbank, MFCCs and their deltas,
computed the way librosa 0.11 computes them (``librosa.stft``, ``librosa.feature.mfcc``, ``librosa.feature.delta``),
so that features stay those the speech models were trained on, without importing librosa and numba at run time."""

from __future__ import annotations

import math

import numpy as np

from .audio import BLOCK_FRAMES, SR

__all__ = ["N_FFT", "WIN", "centred_frames", "power_spectrogram", "mel_filterbank", "dct_matrix", "mfcc", "delta"]

#: FFT size (32 ms at 16 kHz) and analysis window (a periodic Hann window of 25 ms, centred in the FFT frame).
N_FFT = 512
WIN = 400


def centred_frames(samples: np.ndarray, length: int, hop: int, dtype: type = np.float64) -> np.ndarray:
    """Frames of ``length`` samples centred on every ``hop``-th sample, zero padding at both ends (librosa's
    ``center=True``): a read-only view, shape (n // hop + 1, length) for even ``length``, of ``samples`` as ``dtype``."""
    y = np.pad(np.asarray(samples, dtype), length // 2)
    return np.lib.stride_tricks.sliding_window_view(y, length)[::hop]


def power_spectrogram(samples: np.ndarray, hop: int, n_fft: int = N_FFT, win: int = WIN,
                      frames: np.ndarray | None = None) -> np.ndarray:
    """|STFT|² of ``samples`` with frames centred on every ``hop``-th sample (zero padding at both ends).

    samples : np.ndarray [shape=(n,)], float32 at 16 kHz; hop : int > 0, samples between frames;
    n_fft : FFT size; win : length of the periodic Hann window (≤ n_fft), zero-padded to n_fft;
    frames : indices of the frames wanted (each one's spectrum as in the whole STFT, bit for bit); None: all.
    Returns np.ndarray [shape=(n_fft // 2 + 1, n // hop + 1)] (or (…, len(frames))), float64, power per frequency
    bin (as ``np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop, win_length=win)) ** 2``).
    """
    window = np.zeros(n_fft)
    left = (n_fft - win) // 2
    window[left:left + win] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
    framed = centred_frames(samples, n_fft, hop, np.float32)  # float32 × the float64 window: float64 products
    rows = np.arange(len(framed)) if frames is None else np.asarray(frames)
    out = np.empty((len(rows), n_fft // 2 + 1))
    for i in range(0, len(rows), BLOCK_FRAMES):
        spectrum = np.fft.rfft(framed[rows[i:i + BLOCK_FRAMES]] * window, axis=1)
        out[i:i + BLOCK_FRAMES] = spectrum.real ** 2 + spectrum.imag ** 2
    return out.T


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear (200/3 Hz per mel) below 1 kHz, logarithmic (27 mels per factor 6.4) above."""
    hz = np.asarray(hz, np.float64)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, hz / (200.0 / 3))


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp(np.log(6.4) / 27.0 * (mel - 15.0)), mel * (200.0 / 3))


def mel_filterbank(n_mels: int = 40, n_fft: int = N_FFT) -> np.ndarray:
    """Triangular filters evenly spaced on Slaney's mel scale from 0 Hz to 8 kHz (half of ``SR``), each scaled to
    unit area (Slaney normalisation), as ``librosa.filters.mel(sr=16000, n_fft=n_fft, n_mels=n_mels)``.

    Returns np.ndarray [shape=(n_mels, n_fft // 2 + 1)], float64, weight per FFT bin.
    """
    bins = np.fft.rfftfreq(n_fft, 1.0 / SR)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SR / 2.0), n_mels + 2))
    width = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    rising = -ramps[:-2] / width[:-1, None]
    falling = ramps[2:] / width[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


def dct_matrix(n_out: int, n_in: int) -> np.ndarray:
    """The orthonormal DCT-II as a matrix, first ``n_out`` rows: ``dct_matrix(k, n) @ x`` equals
    ``scipy.fft.dct(x, type=2, norm="ortho")[:k]`` for x of shape (n, …). Returns (n_out, n_in) float64."""
    k, n = np.arange(n_out)[:, None], np.arange(n_in)[None, :]
    out = np.sqrt(2.0 / n_in) * np.cos(np.pi * k * (2 * n + 1) / (2 * n_in))
    out[0] /= np.sqrt(2.0)
    return out


def mfcc(samples: np.ndarray, n_mfcc: int, hop: int, n_mels: int = 40) -> np.ndarray:
    """Mel-frequency cepstral coefficients: DCT-II of the log mel power (dB, floored 80 dB below the loudest bin
    of the whole signal) of a 512-point STFT with 25 ms Hann windows, as ``librosa.feature.mfcc(y=samples,
    sr=16000, n_mfcc=n_mfcc, n_fft=512, hop_length=hop, win_length=400, n_mels=n_mels).T``.

    samples : np.ndarray [shape=(n,)], float32 at 16 kHz; hop : samples between frames.
    Returns np.ndarray [shape=(n // hop + 1, n_mfcc)], float64.
    """
    mel = mel_filterbank(n_mels) @ power_spectrogram(samples, hop)
    db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    db = np.maximum(db, db.max() - 80.0)
    return (dct_matrix(n_mfcc, n_mels) @ db).T


def delta(x: np.ndarray, width: int = 9, order: int = 1) -> np.ndarray:
    """Local derivative of ``order`` (1 or 2) along the frames: Savitzky–Golay, the ``order``-th derivative of a
    polynomial of degree ``order`` fitted over ``width`` frames (a constant over the window, so the first and last
    width // 2 frames take that of the first or last full window), as
    ``librosa.feature.delta(x.T, width=width, order=order).T``.

    x : np.ndarray [shape=(frames, d)] with frames ≥ width; width : odd int ≥ 3.
    Returns np.ndarray [shape=(frames, d)], float64.
    """
    half = width // 2
    t = np.arange(width, dtype=np.float64) - half
    fit = np.linalg.pinv(t[:, None] ** np.arange(order + 1)[None, :])   # window → polynomial coefficients
    weights = math.factorial(order) * fit[order]                          # window → order-th derivative
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(x, np.float64), width, axis=0)
    inner = windows @ weights                                              # (frames - width + 1, d)
    return np.concatenate([np.repeat(inner[:1], half, 0), inner, np.repeat(inner[-1:], half, 0)])
