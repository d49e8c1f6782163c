"""speech.spectral: STFT power, mel filterbank, MFCC and deltas in numpy, against librosa (a dev dependency, the
features' reference) and against what they must be analytically."""

import librosa
import numpy as np
import pytest

from facsynth.commands.speak import bundled_utterance
from facsynth.speech.audio import load_audio
from facsynth.speech.features import mfcc39
from facsynth.speech.spectral import dct_matrix, delta, mel_filterbank, mfcc, power_spectrogram


@pytest.fixture(scope="module")
def utterance():
    return load_audio(bundled_utterance())


@pytest.mark.parametrize("hop", [160, 133])
def test_power_spectrogram_is_librosas(utterance, hop):
    ref = np.abs(librosa.stft(utterance, n_fft=512, hop_length=hop, win_length=400)) ** 2
    ours = power_spectrogram(utterance, hop)
    assert ours.shape == ref.shape == (257, len(utterance) // hop + 1)
    assert np.abs(ours - ref).max() <= 1e-5 * ref.max()  # measured 1.3e-7: librosa keeps the STFT in complex64


def test_power_spectrogram_of_some_frames_is_those_columns_bit_for_bit(utterance):
    frames = np.flatnonzero(np.random.default_rng(0).random(len(utterance) // 160 + 1) < 0.6)
    assert np.array_equal(power_spectrogram(utterance, 160, frames=frames), power_spectrogram(utterance, 160)[:, frames])


def test_power_spectrogram_of_a_sine_peaks_at_its_bin():
    t = np.arange(16000) / 16000
    power = power_spectrogram(np.sin(2 * np.pi * 1000 * t).astype(np.float32), 160)
    assert (power[:, 5:-5].argmax(0) == 32).all()  # 1000 Hz / (16000 Hz / 512) = bin 32


def test_mel_filterbank_is_librosas_and_triangles_of_unit_area():
    ours = mel_filterbank(40)
    assert np.abs(ours - librosa.filters.mel(sr=16000, n_fft=512, n_mels=40)).max() < 1e-6
    assert (ours >= 0).all() and (ours.argmax(1)[1:] >= ours.argmax(1)[:-1]).all()  # centres rise with the band
    area = ours.sum(1) * 16000 / 512  # Slaney normalisation: every triangle has unit area (weight × Hz)
    assert np.allclose(area, 1.0, atol=0.05)  # sampled at 31.25 Hz bins: 0.97–1.04


def test_dct_matrix_is_orthonormal():
    d = dct_matrix(40, 40)
    assert np.allclose(d @ d.T, np.eye(40), atol=1e-12)
    assert np.allclose(d[0], 1 / np.sqrt(40))


@pytest.mark.parametrize("n_mfcc,hop", [(13, 160), (25, 160), (25, 133)])
def test_mfcc_is_librosas(utterance, n_mfcc, hop):
    ref = librosa.feature.mfcc(y=utterance, sr=16000, n_mfcc=n_mfcc, n_fft=512, hop_length=hop, win_length=400,
                               n_mels=40).T
    ours = mfcc(utterance, n_mfcc, hop)
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() < 1e-3  # measured 7e-5 (float32 rounding in librosa) on values up to ~400


def test_mfcc39_is_librosas_mfcc_with_deltas(utterance):
    m = librosa.feature.mfcc(y=utterance, sr=16000, n_mfcc=13, n_fft=512, hop_length=160, win_length=400, n_mels=40)
    ref = np.concatenate([m, librosa.feature.delta(m, width=9), librosa.feature.delta(m, width=9, order=2)]).T
    ours = mfcc39(utterance)
    assert ours.shape == ref.shape == (len(utterance) // 160 + 1, 39)
    assert np.abs(ours - ref).max() < 1e-3


@pytest.mark.parametrize("width,order", [(9, 1), (9, 2), (5, 1), (3, 2)])
def test_delta_is_librosas(width, order):
    x = np.random.default_rng(width * 10 + order).standard_normal((50, 4)).cumsum(0)
    ref = librosa.feature.delta(x.T, width=width, order=order).T
    assert np.abs(delta(x, width, order) - ref).max() < 1e-9


def test_delta_of_polynomials():
    t = np.arange(30, dtype=np.float64)[:, None]
    assert np.allclose(delta(3 * t + 1, 9, 1), 3.0)           # slope of a line, edges included
    assert np.allclose(delta(0.5 * t ** 2, 9, 2), 1.0)        # curvature of a parabola
    assert np.allclose(delta(0.5 * t ** 2, 5, 1)[2:-2, 0], t[2:-2, 0])  # slope of the parabola where centred
