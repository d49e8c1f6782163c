"""speech.voice_cues on real speech: frame_cues' batched parts (the STFT of voiced frames only, one running median
for all voiced runs) give what the plain per-frame and per-run computations give, and window_cues' median and
percentile are numpy's bit for bit."""

import numpy as np
import pytest

from facsynth.speech.audio import load_audio
from facsynth.speech.features import HOP
from facsynth.speech.peaks import running_median
from facsynth.speech.spectral import N_FFT, SR, power_spectrogram
from facsynth.speech.voice_cues import _median, _percentile, frame_cues


@pytest.fixture(scope="module")
def speech(shared_data):
    return np.concatenate([load_audio(f) for f in sorted((shared_data / "speech" / "librivox").glob("*.wav"))[:3]])


def test_jitter_and_shimmer_are_each_voiced_runs_own_bit_for_bit(speech):
    fc = frame_cues(speech)
    voiced = fc.f0 > 0
    edges = np.flatnonzero(np.diff(np.r_[0, voiced.astype(int), 0]))
    jitter, shimmer = np.full(len(fc.f0), np.nan), np.full(len(fc.f0), np.nan)
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a >= 5:
            logf0 = np.log(fc.f0[a:b].astype(np.float64))
            jitter[a:b] = 100 * np.abs(logf0 - running_median(logf0, 5))
            energy = fc.energy[a:b].astype(np.float64)
            shimmer[a:b] = np.abs(energy - running_median(energy, 5))
    assert np.isfinite(jitter).sum() > 500  # many runs, several of them adjacent to others
    assert np.array_equal(fc.jitter, jitter, equal_nan=True)
    assert np.array_equal(fc.shimmer, shimmer, equal_nan=True)


def test_alpha_is_the_whole_stfts_on_voiced_frames_and_nan_elsewhere(speech):
    fc = frame_cues(speech)
    power = power_spectrogram(speech, HOP)
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / SR)
    low = power[(freqs >= 50) & (freqs < 1000)].sum(0)
    high = power[(freqs >= 1000) & (freqs < 5000)].sum(0)
    alpha = (10 * np.log10((high + 1e-10) / (low + 1e-10))).astype(np.float32)
    voiced = fc.f0 > 0
    assert voiced.mean() > 0.3 and np.isnan(fc.alpha[~voiced]).all()
    assert np.array_equal(fc.alpha[voiced], alpha[voiced])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_median_and_percentile_are_numpys_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    for trial in range(3000):
        x = (rng.standard_normal(int(rng.integers(1, 300))) * rng.uniform(0.1, 50) - 20).astype(dtype)
        if trial % 5 == 0:
            x = np.round(x, 0)  # ties
        ref = np.median(x)
        assert _median(x) == ref and np.asarray(_median(x)).dtype == np.asarray(ref).dtype
        for q in (15, 50, 85, 90):
            assert _percentile(x, q) == np.percentile(x, q)
