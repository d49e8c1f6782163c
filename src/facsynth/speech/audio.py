"""Audio loading: wav, flac, ogg, mp3 at any sample rate → mono float32 at 16 kHz (``SR``, the one rate the speech
side works at), whole or streamed in blocks; ``check_sample_rate`` for audio that arrives as samples."""

from __future__ import annotations

import os
from typing import Iterator

import numpy as np

from .._lazy import lazy_module
from ..errors import AudioError
from ..formats.audio import AudioInfo, audio_info  # the header probe, shared with the renderers

sf = lazy_module("soundfile")
soxr = lazy_module("soxr")

__all__ = ["SR", "BLOCK_FRAMES", "check_sample_rate", "AudioInfo", "audio_info", "load_audio", "iter_audio",
           "is_silent", "is_noise", "clipping_fraction"]

#: Sample rate of everything on the speech side, Hz (pocketsphinx's en-us model wants 16 kHz; the feature hops,
#: windows and filterbanks are set for it). Files are resampled to it when read.
SR = 16000
#: Frames per batch wherever many frames are transformed (the STFT, YIN, energy, HNR, the noise check): a batch's
#: temporaries (under 1 MB each) are reused from the heap, where a 30 s chunk's whole (10 MB each) was page-faulted
#: in afresh every time (0.1-0.2 s of system CPU per function on a 10-minute file).
BLOCK_FRAMES = 128


def check_sample_rate(sr: int, what: str = "speech") -> None:
    """Raise AudioError unless ``sr`` (Hz) is ``SR``: the speech side works at 16 kHz only.

    what : what needs the audio, for the message (e.g. "phoneme alignment").
    """
    if sr != SR:
        raise AudioError(f"{what} needs {SR} Hz audio, got {sr} Hz: resample it first "
                         "(facsynth.load_audio reads any rate at 16 kHz)")


def iter_audio(path: str | os.PathLike, block_seconds: float = 30.0) -> Iterator[np.ndarray]:
    """Stream ``path`` as consecutive mono float32 blocks at ``SR`` (16 kHz), ~``block_seconds`` long each.

    Memory stays bounded by one block whatever the file's length. Stereo is averaged to mono; the sample rate is
    converted with a streaming resampler (soxr), so block joins are seamless.

    Yields
    ------
    block : np.ndarray [shape=(n,)], float32, amplitude in [-1, 1]
    """
    info = audio_info(path)
    block = max(1024, int(block_seconds * info.samplerate))
    resampler = None if info.samplerate == SR else soxr.ResampleStream(info.samplerate, SR, 1, dtype="float32")
    try:
        with sf.SoundFile(str(path)) as fh:
            while True:
                data = fh.read(block, dtype="float32", always_2d=True)
                if not np.isfinite(data).all():
                    raise AudioError(f"{path}: the audio holds NaN or infinite samples (a corrupt float file)")
                last = len(data) < block
                mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
                if resampler is not None:
                    mono = resampler.resample_chunk(np.ascontiguousarray(mono), last=last)
                if len(mono):
                    yield np.ascontiguousarray(mono, dtype=np.float32)
                if last:
                    break
    except AudioError:
        raise
    except (RuntimeError, sf.LibsndfileError) as e:
        raise AudioError(f"{path}: the audio stream is corrupt ({e})") from None


def load_audio(path: str | os.PathLike) -> np.ndarray:
    """Read a whole audio file as mono float32 at ``SR`` (16 kHz), resampled (soxr) when the file's rate differs.

    Parameters
    ----------
    path : wav, flac, ogg or mp3 file, any sample rate and channel count

    Returns
    -------
    samples : np.ndarray [shape=(n,)], float32 in [-1, 1], 16 kHz

    Raises AudioError on an empty, unreadable, non-audio or video file. For long files prefer ``iter_audio``.

    Examples
    --------
    >>> y = load_audio("speech.mp3")   # doctest: +SKIP
    """
    blocks = list(iter_audio(path))
    samples = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    if samples.size == 0:
        raise AudioError(f"{path}: the audio holds no samples")
    return samples


def is_silent(samples: np.ndarray, threshold_db: float = -50.0) -> bool:
    """True if the loudest 10 ms of ``samples`` (float32, [-1, 1]) stays below ``threshold_db`` dBFS RMS."""
    n = len(samples) // 160 * 160
    if n == 0:
        return True
    rms = np.sqrt(np.mean(samples[:n].reshape(-1, 160).astype(np.float64) ** 2, axis=1))
    return bool(20 * np.log10(rms.max() + 1e-12) < threshold_db)


def is_noise(samples: np.ndarray, threshold: float = 0.3) -> bool:
    """True if ``samples`` (float32, 16 kHz) sound like broadband noise rather than speech: the median spectral
    flatness of the louder half of its 32 ms frames is above ``threshold`` (white noise ≈ 0.55, speech < 0.05)."""
    n = (len(samples) - 512) // 160 + 1
    if n < 5:
        return False
    frames = np.lib.stride_tricks.sliding_window_view(samples, 512)[::160][:n]
    window = np.hanning(512)
    total, flatness = np.empty(n), np.empty(n)
    for i in range(0, n, BLOCK_FRAMES):  # batches of frames: small temporaries, reused from the heap
        power = np.abs(np.fft.rfft(frames[i:i + BLOCK_FRAMES].astype(np.float64) * window, axis=1)) ** 2 + 1e-12
        total[i:i + BLOCK_FRAMES] = power.sum(axis=1)
        flatness[i:i + BLOCK_FRAMES] = np.exp(np.log(power).mean(axis=1)) / power.mean(axis=1)
    return bool(np.median(flatness[total >= np.median(total)]) > threshold)


def clipping_fraction(samples: np.ndarray) -> float:
    """Fraction of samples at or beyond full scale (|x| ≥ 0.999): above ~1 % the recording is clipped."""
    if len(samples) == 0:
        return 0.0
    return float(np.mean(np.abs(samples) >= 0.999))
