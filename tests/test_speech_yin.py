"""speech.yin and features.pitch: YIN F0 in numpy, against librosa.yin (the reference its thresholds were set on)
and on tones of known pitch."""

import librosa
import numpy as np
import pytest

from facsynth.commands.speak import bundled_utterance
from facsynth.speech.audio import SR, load_audio
from facsynth.speech.features import pitch
from facsynth.speech.yin import yin


def _tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * hz * t) + 0.1 * np.sin(4 * np.pi * hz * t)).astype(np.float32)


@pytest.mark.parametrize("hz", [82.0, 150.0, 233.3, 380.0])
def test_yin_finds_a_tones_pitch(hz):
    f0 = yin(_tone(hz), 70, 400, 160)
    assert f0.shape == (SR // 160 + 1,)
    assert np.abs(f0[10:-10] / hz - 1).max() < 0.01  # within a sixth of a semitone (82 Hz: up to 0.8 % high)


@pytest.mark.parametrize("hop", [160, 133])
def test_yin_is_librosas_on_speech(shared_data, hop):
    worst = 0.0
    for wav in [bundled_utterance(), *sorted((shared_data / "speech" / "arctic").glob("*.wav"))[:3]]:
        y = load_audio(wav)
        ref = librosa.yin(y, fmin=70, fmax=400, sr=SR, frame_length=1024, hop_length=hop, trough_threshold=0.1)
        ours = yin(y, 70, 400, hop)
        assert ours.shape == ref.shape
        worst = max(worst, float(np.abs(ours / ref - 1).max()))
    assert worst < 1e-3  # measured 5e-5 (float32 sums in both)


def test_pitch_is_zero_in_silence_and_the_tone_where_voiced():
    y = np.concatenate([np.zeros(SR // 2, np.float32), _tone(200.0), np.zeros(SR // 2, np.float32)])
    f0 = pitch(y)
    assert (f0[:40] == 0).all() and (f0[-40:] == 0).all()
    assert np.abs(f0[60:140] / 200.0 - 1).max() < 0.005
    assert (pitch(np.zeros(500, np.float32)) == 0).all()


def test_yin_with_scipys_fft_is_numpys(shared_data):
    """The long-file path (``scipy_fft``: scipy's FFT in float32) gives numpy's F0 up to float32 rounding, on every
    frame."""
    for wav in [bundled_utterance(), *sorted((shared_data / "speech" / "librivox").glob("*.wav"))[:3]]:
        y = load_audio(wav)
        ref, ours = yin(y, 70, 400, 160), yin(y, 70, 400, 160, scipy_fft=True)
        assert ours.shape == ref.shape
        assert np.abs(ours / ref - 1).max() < 1e-4  # measured 7.9e-6 on these 4 clips, 9.6e-5 on the 20 shared
    assert (pitch(y, scipy_fft=True) > 0).sum() == (pitch(y) > 0).sum()
