"""How wide the mouth opens per syllable: vowel height, diphthong glides, stress (loudness, accents, spelled letters) and
undershoot."""

from __future__ import annotations

import numpy as np
import pytest

from facsynth.commands.speak import bundled_utterance
from facsynth.speech.audio import load_audio
from facsynth.speech.coarticulation import lip_curves, split_diphthongs
from facsynth.speech.phonemes import Phone, align
from facsynth.speech.rules import SPEECH_AUS, rules_curves
from facsynth.speech.stress import ACCENT_GAIN, is_spelled_letter, loudness_gain, opening_scales, reach
from facsynth.speech.visemes import LIP_AUS

T = np.arange(100) / 100.0


def _opening(curves: np.ndarray) -> np.ndarray:
    return curves[:, LIP_AUS.index(25)] + curves[:, LIP_AUS.index(26)]


def _syllable(vowel: str, scale: float = 1.0) -> np.ndarray:
    """Opening over 1 s of "b VOWEL b" with the vowel from 0.35 to 0.65 s."""
    phones = [Phone("SIL", 0.0, 0.25), Phone("B", 0.25, 0.35), Phone(vowel, 0.35, 0.65), Phone("B", 0.65, 0.75),
              Phone("SIL", 0.75, 1.0)]
    return _opening(lip_curves(phones, T, opening_scale=[1.0, 1.0, scale, 1.0, 1.0]))


def test_open_vowels_open_wider_than_close_ones():
    peak = {v: _syllable(v)[45:55].max() for v in ("AA", "AE", "EH", "AH", "IH", "IY", "UW")}
    assert peak["AA"] > peak["EH"] > peak["AH"] > peak["IH"] > peak["UW"]
    assert peak["AE"] > peak["AH"] + 0.5 and peak["EH"] > peak["IY"]


def test_a_diphthong_closes_towards_its_offglide():
    ay = _syllable("AY")
    assert ay[40:45].mean() > ay[58:63].mean() + 0.5      # /aɪ/: open onset, closer /ɪ/ at the end
    aa = _syllable("AA")
    assert abs(ay[40:45].mean() - aa[40:45].mean()) < 0.3  # the onset is the open vowel's
    phones, scales = split_diphthongs([Phone("EY", 1.0, 2.0, "a"), Phone("T", 2.0, 2.1)], np.array([0.8, 1.0]))
    assert [(p.phone, p.start, p.end) for p in phones] == [("EH", 1.0, 1.6), ("IY", 1.6, 2.0), ("T", 2.0, 2.1)]
    assert scales.tolist() == [0.8, 0.8, 1.0] and phones[0].word == "a"
    with pytest.raises(ValueError):
        lip_curves([Phone("AA", 0.0, 0.5)], T, opening_scale=[1.0, 1.0])


def test_scaled_syllable_opens_in_proportion():
    full, half = _syllable("AA")[50], _syllable("AA", 0.5)[50]
    assert half == pytest.approx(0.5 * full, rel=0.15) and half < 0.6 * full


def test_a_louder_syllable_opens_wider_and_short_vowels_undershoot():
    energy = np.full(100, -60.0, np.float32)
    energy[20:40] = -10.0    # a loud syllable
    energy[60:80] = -25.0    # one 15 dB softer
    energy[30] = -40.0       # a closure inside the loud syllable: still loud
    gain = loudness_gain(energy, [Phone("SIL", 0.0, 0.1), Phone("BREATH", 0.1, 0.2)])
    assert gain[30] == gain[25] > 1.4 * gain[70]
    assert gain[25] == pytest.approx(1.0 + (-10.0 - np.percentile(energy, 95)) / 30.0)
    assert gain[5] == 0.5 and np.all(gain[10:20] == 1.0)    # silence: the least; the in-breath: untouched
    assert reach(0.05) < 0.6 < reach(0.1) < reach(0.2) < 1.0   # short vowels undershoot
    s = opening_scales([Phone("SIL", 0.0, 0.2), Phone("AA", 0.2, 0.3), Phone("T", 0.3, 0.4), Phone("AA", 0.4, 0.7)])
    assert s[0] == s[2] == 1.0 and s[1] == pytest.approx(reach(0.1)) and s[1] < s[3] < 1.0


def test_a_louder_copy_of_a_word_opens_wider():
    """End to end on real speech: "ten" of "go forward ten meters" 10 dB louder opens wider, the rest does not."""
    y = load_audio(bundled_utterance())
    text = "go forward ten meters"
    ten = [p for p in align(y, text) if p.word == "ten"]
    a, b = int(ten[0].start * 16000), int(ten[-1].end * 16000)
    louder = y.copy()
    louder[a:b] *= 10 ** (10 / 20) * min(1.0, 0.99 / (np.abs(y[a:b]).max() * 10 ** 0.5))
    gain_db = 20 * np.log10(np.abs(louder[a:b]).max() / np.abs(y[a:b]).max())
    assert gain_db > 6
    jaw = SPEECH_AUS.index(26)
    before, after = rules_curves(y, text, voice=None)[:, jaw], rules_curves(louder, text, voice=None)[:, jaw]
    f0, f1 = int(ten[0].start * 100), int(ten[-1].end * 100)
    assert after[f0:f1].max() > 1.1 * before[f0:f1].max()
    first = int(ten[0].start * 100) - 40
    assert np.abs(after[:first] - before[:first]).max() < 0.2 * before.max()


def test_a_spelled_letter_opens_wider_than_the_same_vowel_in_another_word():
    """ "set c now" / "set sea now": the same phones, but the letter c is accented (its opening x ACCENT_GAIN)."""
    def said(word: str) -> list[Phone]:
        return [Phone("SIL", 0.0, 0.2), Phone("S", 0.2, 0.3, "set"), Phone("EH", 0.3, 0.45, "set"),
                Phone("T", 0.45, 0.5, "set"), Phone("S", 0.5, 0.6, word), Phone("IY", 0.6, 0.8, word),
                Phone("SIL", 0.8, 1.0)]
    letter, sea = opening_scales(said("c")), opening_scales(said("sea"))
    assert letter[4] == ACCENT_GAIN and letter[5] == pytest.approx(ACCENT_GAIN * sea[5]) and ACCENT_GAIN > 1.1
    assert np.array_equal(letter[:4], sea[:4]) and letter[6] == sea[6] == 1.0
    open_letter = _opening(lip_curves(said("c"), T, opening_scale=letter))
    open_sea = _opening(lip_curves(said("sea"), T, opening_scale=sea))
    assert open_letter[62:75].max() > 1.15 * open_sea[62:75].max()
    assert np.abs(open_letter[:45] - open_sea[:45]).max() < 0.05 * open_sea.max()   # "set" unchanged


def test_which_words_count_as_spelled_letters():
    assert is_spelled_letter(Phone("EY", 0.0, 0.1, "a"))           # the letter a, or the article's strong form
    assert not is_spelled_letter(Phone("AH", 0.0, 0.1, "a"))       # the article's weak form
    assert not is_spelled_letter(Phone("AY", 0.0, 0.1, "i"))       # the pronoun
    assert is_spelled_letter(Phone("D", 0.0, 0.1, "w")) and is_spelled_letter(Phone("EH", 0.0, 0.1, "F"))
    assert not is_spelled_letter(Phone("IY", 0.0, 0.1, "sea")) and not is_spelled_letter(Phone("AA", 0.0, 0.1))
