"""speech.lpc: Burg linear prediction in numpy, on a known all-pole filter and against librosa.lpc."""

import librosa
import numpy as np

from facsynth.speech.lpc import burg_lpc


def test_burg_recovers_a_known_all_pole_filter():
    rng = np.random.default_rng(0)
    a = np.array([1.0, -1.6, 0.95])                     # a resonance at ~0.1 of the sample rate, poles at r ≈ 0.975
    frames = []
    for _ in range(4):
        e, x = rng.standard_normal(3000), np.zeros(3000)
        for t in range(2, 3000):
            x[t] = e[t] - a[1] * x[t - 1] - a[2] * x[t - 2]
        frames.append(x)
    est = burg_lpc(np.stack(frames), 2)
    assert est.shape == (4, 3)
    assert np.abs(est - a).max() < 0.03


def test_burg_is_librosas_on_windowed_noise_and_speechlike_frames():
    rng = np.random.default_rng(1)
    frames = rng.standard_normal((20, 400)).cumsum(1) * np.hamming(400)
    assert np.abs(burg_lpc(frames, 18) - librosa.lpc(frames, order=18, axis=-1)).max() < 1e-9
