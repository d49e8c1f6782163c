"""Frame-level speech features at 100 frames/s (or at Sadoughi & Busso's 8.33 ms hop, ``hop=PAPER_HOP``): energy,
F0, MFCC-39 (cascade), MFCC-25 + F0 + intensity (Sadoughi & Busso), and the 17 eGeMAPS low-level descriptors they
add when the optional ``opensmile`` extra is installed."""

from __future__ import annotations

import importlib.util

import numpy as np

from .._lazy import lazy_module
from ..errors import FacsynthError
from .audio import BLOCK_FRAMES, SR
from .spectral import WIN, centred_frames, delta, mfcc
from .yin import yin

opensmile = lazy_module("opensmile")   # optional extra (facsynth[egemaps]), read only after egemaps_available()

__all__ = [
    "FEATURE_FPS",
    "HOP",
    "PAPER_HOP",
    "EGEMAPS_LLDS",
    "energy_db",
    "pitch",
    "mfcc39",
    "prosodic_features",
    "egemaps_available",
    "egemaps_lld",
    "lld_on_grid",
    "feature_set",
    "FEATURE_DIMS",
]

#: Feature frames per second: a 10 ms hop at 16 kHz, the same grid as pocketsphinx.
FEATURE_FPS = 100.0
HOP = SR // 100
#: Sadoughi & Busso's hop, 8.33 ms: 133 samples at 16 kHz (8.31 ms, 120.3 frames/s; 8.33 ms is not whole samples).
PAPER_HOP = 133
#: The 17 eGeMAPS v02 LLDs Sadoughi & Busso add: GeMAPS's 18 minimal descriptors less F0, which is an input already.
EGEMAPS_LLDS = (
    "Loudness_sma3", "alphaRatio_sma3", "hammarbergIndex_sma3", "slope0-500_sma3", "slope500-1500_sma3",
    "jitterLocal_sma3nz", "shimmerLocaldB_sma3nz", "HNRdBACF_sma3nz", "logRelF0-H1-H2_sma3nz",
    "logRelF0-H1-A3_sma3nz", "F1frequency_sma3nz", "F1bandwidth_sma3nz", "F1amplitudeLogRelF0_sma3nz",
    "F2frequency_sma3nz", "F2amplitudeLogRelF0_sma3nz", "F3frequency_sma3nz", "F3amplitudeLogRelF0_sma3nz",
)


def _n_frames(samples: np.ndarray, hop: int = HOP) -> int:
    return len(samples) // hop + 1


def energy_db(samples: np.ndarray, hop: int = HOP) -> np.ndarray:
    """RMS energy in dBFS per hop (10 ms by default) over a 25 ms window.

    samples : np.ndarray [shape=(n,)], float32 in [-1, 1] at 16 kHz; hop : int, samples between frames.
    Returns np.ndarray [shape=(n // hop + 1,)], float32, dBFS (−100 for digital silence).
    """
    frames = centred_frames(samples, WIN, hop, np.float32)[: _n_frames(samples, hop)]
    rms = np.empty(len(frames))
    for i in range(0, len(frames), BLOCK_FRAMES):  # batches: small temporaries, reused from the heap
        rms[i:i + BLOCK_FRAMES] = np.sqrt(np.mean(frames[i:i + BLOCK_FRAMES].astype(np.float64) ** 2, axis=1))
    return (20 * np.log10(np.maximum(rms, 1e-5))).astype(np.float32)


def pitch(samples: np.ndarray, fmin: float = 70.0, fmax: float = 400.0, hop: int = HOP,
          energy: np.ndarray | None = None, scipy_fft: bool = False) -> np.ndarray:
    """Fundamental frequency per hop (YIN over 64 ms frames; 10 ms hop by default), 0 where the frame is unvoiced
    or too quiet (over 30 dB below the loud frames) or the estimate sits within 5 % of ``fmin`` or ``fmax``.

    samples : np.ndarray [shape=(n,)], float32 in [-1, 1] at 16 kHz; fmin, fmax : Hz;
    energy : ``energy_db(samples, hop)`` when already computed; scipy_fft : see ``yin`` (for long audio).
    Returns np.ndarray [shape=(n // hop + 1,)], float32, Hz.
    """
    n = _n_frames(samples, hop)
    if len(samples) < 1024:
        return np.zeros(n, np.float32)
    f0 = yin(samples, fmin, fmax, hop, frame_length=1024, threshold=0.1, scipy_fft=scipy_fft)
    e = energy_db(samples, hop) if energy is None else energy
    voiced = (e > np.percentile(e, 90) - 30) & (f0 > fmin * 1.05) & (f0 < fmax * 0.95)
    return np.where(voiced, f0, 0.0).astype(np.float32)


def mfcc39(samples: np.ndarray) -> np.ndarray:
    """The cascade's 39-d MFCC: 13 coefficients (40 mel bands, 25 ms windows) with their Δ and ΔΔ (over 9
    frames, fewer for short audio), per 10 ms hop.

    samples : np.ndarray [shape=(n,)], float32 at 16 kHz. Returns np.ndarray [shape=(n // 160 + 1, 39)], float32.
    """
    m = mfcc(samples, 13, HOP)
    width = min(9, len(m) if len(m) % 2 else len(m) - 1)
    if width < 3:
        d1 = d2 = np.zeros_like(m)
    else:
        d1, d2 = delta(m, width, 1), delta(m, width, 2)
    return np.concatenate([m, d1, d2], axis=1)[: _n_frames(samples)].astype(np.float32)


def prosodic_features(samples: np.ndarray, hop: int = HOP) -> np.ndarray:
    """Sadoughi & Busso's frame features: 25 MFCCs, F0 (log Hz, 0 unvoiced) and intensity (dBFS / 100), 25 ms
    windows every ``hop`` samples (10 ms by default; PAPER_HOP for their 8.33 ms).

    Returns np.ndarray [shape=(n // hop + 1, 27)], float32.
    """
    m = mfcc(samples, 25, hop)
    f0 = pitch(samples, hop=hop)
    logf0 = np.where(f0 > 0, np.log(np.maximum(f0, 1.0)), 0.0)
    return np.concatenate([m, logf0[:, None], energy_db(samples, hop)[:, None] / 100.0],
                          axis=1).astype(np.float32)


def egemaps_available() -> bool:
    """True if the optional ``opensmile`` package (research-only licensed binary) is installed."""
    return importlib.util.find_spec("opensmile") is not None


def egemaps_lld(samples: np.ndarray, hop: int = HOP) -> np.ndarray:
    """The 17 eGeMAPS v02 low-level descriptors of EGEMAPS_LLDS from openSMILE (computed every 10 ms), on the grid
    of ``hop``. Returns np.ndarray [shape=(n // hop + 1, 17)], float32.

    Raises FacsynthError when the optional ``opensmile`` extra is not installed (``pip install facsynth[egemaps]``).
    """
    if not egemaps_available():
        raise FacsynthError("eGeMAPS features need the optional opensmile package: pip install 'facsynth[egemaps]'")
    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                            feature_level=opensmile.FeatureLevel.LowLevelDescriptors)
    table = smile.process_signal(np.asarray(samples, np.float32), SR)
    return lld_on_grid(table[list(EGEMAPS_LLDS)].to_numpy(np.float32), _n_frames(samples, hop), hop / SR)


def lld_on_grid(lld: np.ndarray, n: int, step: float) -> np.ndarray:
    """openSMILE LLD rows (frames every 10 ms, shape (m, d)) interpolated to ``n`` frames every ``step`` seconds,
    holding the edge rows beyond the ends. Returns (n, d) float32."""
    if len(lld) == 0:
        return np.zeros((n, lld.shape[1]), np.float32)
    src, dst = np.arange(len(lld)) * 0.01, np.arange(n) * step
    return np.stack([np.interp(dst, src, lld[:, j]) for j in range(lld.shape[1])], axis=1).astype(np.float32)


#: Feature dimension of each named feature set.
FEATURE_DIMS = {"mfcc39": 39, "prosodic": 27, "prosodic+egemaps": 27 + len(EGEMAPS_LLDS)}


def feature_set(samples: np.ndarray, name: str, hop: int = HOP) -> np.ndarray:
    """Features by name: "mfcc39", "prosodic" or "prosodic+egemaps"; shape (n // hop + 1, FEATURE_DIMS[name]).

    ``hop`` (samples at 16 kHz) applies to the Sadoughi & Busso sets; MFCC-39 always uses the 10 ms hop.
    """
    if name == "mfcc39":
        return mfcc39(samples)
    if name == "prosodic":
        return prosodic_features(samples, hop)
    if name == "prosodic+egemaps":
        return np.concatenate([prosodic_features(samples, hop), egemaps_lld(samples, hop)], axis=1)
    raise FacsynthError(f"unknown feature set {name!r} (expected one of {', '.join(FEATURE_DIMS)})")
