"""speech.prosody: pitch accents, brow bumps, pauses, blinks and arousal from F0 and loudness."""

from __future__ import annotations

import numpy as np

from facsynth.speech.phonemes import Phone
from facsynth.speech.prosody import arousal, blink_curve, blink_times, brow_curve, pauses, pitch_accents


def _voice(seconds: float = 4.0, fps: float = 100.0, accent_at: float | None = 2.0):
    """A 150 Hz voice at -20 dBFS with one 4-semitone rise at ``accent_at``."""
    t = np.arange(int(seconds * fps)) / fps
    f0 = np.full(len(t), 150.0)
    if accent_at is not None:
        f0 *= 2 ** (4 * np.exp(-0.5 * ((t - accent_at) / 0.08) ** 2) / 12)
    return t, f0, np.full(len(t), -20.0)


def test_a_pitch_rise_is_one_accent_at_its_time():
    t, f0, energy = _voice()
    accents = pitch_accents(f0, energy)
    assert len(accents) == 1 and abs(accents[0][0] - 2.0) < 0.05 and 0.2 <= accents[0][1] <= 1.0
    flat = pitch_accents(*_voice(accent_at=None)[1:])
    assert flat == [] and pitch_accents(np.zeros(400), energy) == []


def test_brow_bump_peaks_at_the_accent_and_leans_late():
    t = np.arange(400) / 100.0
    curve = brow_curve([(2.0, 1.0)], t, peak=2.0)
    assert abs(t[np.argmax(curve)] - 2.0) < 0.011 and abs(curve.max() - 2.0) < 1e-5
    assert curve[np.searchsorted(t, 2.3)] > curve[np.searchsorted(t, 1.7)]    # falls 0.35 s, rises 0.15 s


def test_pauses_are_inner_silences_only():
    phones = [Phone("SIL", 0, 1), Phone("AA", 1, 1.2), Phone("SIL", 1.2, 1.5), Phone("M", 1.5, 1.6),
              Phone("SIL", 1.6, 1.7), Phone("IY", 1.7, 1.9), Phone("SIL", 1.9, 3)]
    assert pauses(phones) == [(1.2, 1.5)]          # the leading, trailing and 0.1 s silences are not pauses
    assert pauses([Phone("SIL", 0, 2)]) == []


def test_blinks_follow_the_rate_prefer_pauses_and_keep_apart():
    counts = [len(blink_times(60.0, [], np.random.default_rng(s))) for s in range(20)]
    assert 15 <= np.mean(counts) <= 21                       # about BLINKS_PER_MINUTE
    blinks = blink_times(10.0, [(4.0, 4.6)], np.random.default_rng(0), rate=20)
    assert any(abs(b - 4.05) < 1e-9 for b in blinks) and np.all(np.diff(blinks) >= 1.0)
    curve = blink_curve([1.0], np.arange(200) / 100.0)
    assert curve.max() == np.float32(4.5) and curve[50] == 0 and curve[130] == 0


def test_a_lively_voice_is_more_aroused_than_a_flat_one():
    t = np.arange(1000) / 100.0
    lively_f0 = 150 * 2 ** (6 * np.sin(2 * np.pi * 0.7 * t) / 12)
    lively_energy = -20 + 12 * np.sin(2 * np.pi * 1.3 * t)
    flat = arousal(np.full(1000, 150.0), np.full(1000, -20.0))
    lively = arousal(lively_f0, lively_energy)
    assert 0.5 <= flat < lively <= 1.5
