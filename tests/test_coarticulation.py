"""speech.coarticulation: in-breaths before utterances and dominance-blended lip curves (/m/ shuts the lips)."""

from __future__ import annotations

import numpy as np

from facsynth.speech.coarticulation import BREATH_SECONDS, lip_curves, with_breaths
from facsynth.speech.phonemes import Phone
from facsynth.speech.visemes import LIP_AUS


def test_a_breath_ends_each_long_silence_before_speech():
    phones = [Phone("SIL", 0.0, 1.0), Phone("AA", 1.0, 1.3), Phone("SIL", 1.3, 1.4), Phone("M", 1.4, 1.5),
              Phone("SIL", 1.5, 3.0)]
    out = with_breaths(phones)
    assert [p.phone for p in out] == ["SIL", "BREATH", "AA", "SIL", "M", "SIL"]   # short pause, end: no breath
    assert abs(out[1].end - out[1].start - BREATH_SECONDS) < 1e-9 and out[1].end == 1.0


def test_lips_open_on_the_vowel_and_shut_on_m():
    phones = [Phone("SIL", 0.0, 0.3), Phone("AA", 0.3, 0.6), Phone("M", 0.6, 0.75), Phone("AA", 0.75, 1.05),
              Phone("SIL", 1.05, 1.5)]
    t = np.arange(150) / 100.0
    curves = lip_curves(phones, t)
    assert curves.shape == (150, len(LIP_AUS)) and curves.dtype == np.float32
    opening = sum(curves[:, LIP_AUS.index(a)] for a in (25, 26) if a in LIP_AUS)
    vowel, m, rest = opening[45], opening[67], opening[140]
    assert vowel > 1.0 and m < 0.5 * vowel and rest < 0.5 * vowel
    assert np.all(curves >= 0) and np.all(curves <= 5)
    assert lip_curves([], t).shape == (150, len(LIP_AUS)) and not lip_curves([], t).any()
