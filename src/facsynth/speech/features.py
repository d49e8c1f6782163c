"""Frame-level speech features at 100 frames/s: energy, F0, MFCC-39 (cascade), MFCC-25 + F0 + intensity (Sadoughi &
Busso), and eGeMAPS low-level descriptors when the optional ``opensmile`` extra is installed."""

from __future__ import annotations

import numpy as np

from ..errors import FacsynthError

__all__ = [
    "FEATURE_FPS",
    "HOP",
    "energy_db",
    "pitch",
    "mfcc39",
    "prosodic_features",
    "egemaps_available",
    "egemaps_lld",
    "feature_set",
    "FEATURE_DIMS",
]

#: Feature frames per second: a 10 ms hop at 16 kHz, the same grid as pocketsphinx.
FEATURE_FPS = 100.0
HOP = 160
_WIN = 400  # 25 ms analysis window


def _n_frames(samples: np.ndarray) -> int:
    return len(samples) // HOP + 1


def energy_db(samples: np.ndarray, sr: int = 16000) -> np.ndarray:
    """RMS energy in dBFS per 10 ms hop over a 25 ms window.

    samples : np.ndarray [shape=(n,)], float32 in [-1, 1] at 16 kHz.
    Returns np.ndarray [shape=(n // 160 + 1,)], float32, dBFS (−100 for digital silence).
    """
    y = np.pad(np.asarray(samples, np.float32), (_WIN // 2, _WIN // 2))
    frames = np.lib.stride_tricks.sliding_window_view(y, _WIN)[::HOP][: _n_frames(samples)]
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    return (20 * np.log10(np.maximum(rms, 1e-5))).astype(np.float32)


def pitch(samples: np.ndarray, sr: int = 16000, fmin: float = 70.0, fmax: float = 400.0) -> np.ndarray:
    """Fundamental frequency per 10 ms hop (YIN), 0 where the frame is unvoiced or too quiet.

    Returns np.ndarray [shape=(n // 160 + 1,)], float32, Hz.
    """
    import librosa

    n = _n_frames(samples)
    if len(samples) < 1024:
        return np.zeros(n, np.float32)
    f0 = librosa.yin(np.asarray(samples, np.float32), fmin=fmin, fmax=fmax, sr=sr, frame_length=1024,
                     hop_length=HOP, trough_threshold=0.1)[:n]
    f0 = np.pad(f0, (0, n - len(f0)), mode="edge")
    e = energy_db(samples, sr)
    voiced = (e > np.percentile(e, 90) - 30) & (f0 > fmin * 1.05) & (f0 < fmax * 0.95)
    return np.where(voiced, f0, 0.0).astype(np.float32)


def mfcc39(samples: np.ndarray, sr: int = 16000) -> np.ndarray:
    """The cascade's 39-d MFCC: 13 coefficients with their Δ and ΔΔ, per 10 ms hop.

    Returns np.ndarray [shape=(n // 160 + 1, 39)], float32.
    """
    import librosa

    m = librosa.feature.mfcc(y=np.asarray(samples, np.float32), sr=sr, n_mfcc=13, n_fft=512, hop_length=HOP,
                             win_length=_WIN, n_mels=40)
    width = min(9, m.shape[1] if m.shape[1] % 2 else m.shape[1] - 1)
    if width < 3:
        d1 = d2 = np.zeros_like(m)
    else:
        d1 = librosa.feature.delta(m, width=width, order=1)
        d2 = librosa.feature.delta(m, width=width, order=2)
    return np.concatenate([m, d1, d2]).T[: _n_frames(samples)].astype(np.float32)


def prosodic_features(samples: np.ndarray, sr: int = 16000) -> np.ndarray:
    """Sadoughi & Busso's frame features: 25 MFCCs, F0 (log Hz, 0 unvoiced) and intensity (dBFS / 100).

    Returns np.ndarray [shape=(n // 160 + 1, 27)], float32.
    """
    import librosa

    n = _n_frames(samples)
    m = librosa.feature.mfcc(y=np.asarray(samples, np.float32), sr=sr, n_mfcc=25, n_fft=512, hop_length=HOP,
                             win_length=_WIN, n_mels=40).T[:n]
    f0 = pitch(samples, sr)
    logf0 = np.where(f0 > 0, np.log(np.maximum(f0, 1.0)), 0.0)
    return np.concatenate([m, logf0[:, None], energy_db(samples, sr)[:, None] / 100.0], axis=1).astype(np.float32)


def egemaps_available() -> bool:
    """True if the optional ``opensmile`` package (research-only licensed binary) is installed."""
    import importlib.util

    return importlib.util.find_spec("opensmile") is not None


def egemaps_lld(samples: np.ndarray, sr: int = 16000) -> np.ndarray:
    """eGeMAPS v02 low-level descriptors (25 per 10 ms) from openSMILE, aligned to the 100 fps grid.

    Raises FacsynthError when the optional ``opensmile`` extra is not installed (``pip install facsynth[egemaps]``).
    """
    if not egemaps_available():
        raise FacsynthError("eGeMAPS features need the optional opensmile package: pip install 'facsynth[egemaps]'")
    import opensmile

    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                            feature_level=opensmile.FeatureLevel.LowLevelDescriptors)
    lld = smile.process_signal(np.asarray(samples, np.float32), sr).to_numpy(np.float32)
    n = _n_frames(samples)
    if len(lld) < n:
        lld = np.pad(lld, ((0, n - len(lld)), (0, 0)), mode="edge")
    return lld[:n]


#: Feature dimension of each named feature set.
FEATURE_DIMS = {"mfcc39": 39, "prosodic": 27, "prosodic+egemaps": 52}


def feature_set(samples: np.ndarray, name: str, sr: int = 16000) -> np.ndarray:
    """Features by name: "mfcc39", "prosodic" or "prosodic+egemaps"; shape (frames, FEATURE_DIMS[name])."""
    if name == "mfcc39":
        return mfcc39(samples, sr)
    if name == "prosodic":
        return prosodic_features(samples, sr)
    if name == "prosodic+egemaps":
        return np.concatenate([prosodic_features(samples, sr), egemaps_lld(samples, sr)], axis=1)
    raise FacsynthError(f"unknown feature set {name!r} (expected one of {', '.join(FEATURE_DIMS)})")
