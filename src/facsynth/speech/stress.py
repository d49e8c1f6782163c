"""Stress and reduction from the recording itself: how wide the mouth opens, syllable by syllable.

Stressed and accented syllables are produced with a lower jaw and a wider lip opening (de Jong 1995; Erickson 2002;
Cho 2005), and listeners hear stress in a syllable's intensity and duration (Fry 1955); the shorter a vowel, the
less it reaches its target (Lindblom 1963). Both cues come from the audio, so they carry across speakers and need
no lexical stress marks (pocketsphinx's dictionary has none). With a transcript, spelled letters (the most
informative words a sentence holds, said in their stressed citation form) are accented: they open wider although
their sound need not be louder (Hirschberg 1993; Beckman, Edwards & Fletcher 1992; Erickson 1998).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .phonemes import Phone
from .visemes import is_vowel

__all__ = ["loudness_gain", "opening_scales", "reach", "is_spelled_letter", "SYLLABLE_SECONDS", "UNDERSHOOT_SECONDS",
           "ACCENT_GAIN"]

#: A frame's loudness is that of the loudest frame within this many seconds either side (about half a syllable).
SYLLABLE_SECONDS = 0.08
#: Time constant of duration-dependent undershoot: a vowel of d seconds reaches 1 − exp(−d / this) of its target.
UNDERSHOOT_SECONDS = 0.07
#: Opening factor of an accented word: accented syllables open about a fifth to a third wider (docs/speech.md).
ACCENT_GAIN = 1.25
# Gain 1 + ΔdB / _DB_PER_UNIT against the utterance's loud level (95th percentile), clipped to _GAIN_RANGE.
_DB_PER_UNIT = 30.0
_GAIN_RANGE = (0.5, 1.15)


def loudness_gain(energy: np.ndarray, phones: Sequence[Phone] = (), fps: float = 100.0) -> np.ndarray:
    """Per-frame factor for the opening AUs from the loudness of the syllable around each frame.

    The frame energy is smoothed over 50 ms, each frame takes the loudest smoothed value within ±``SYLLABLE_SECONDS``
    (its syllable's peak, so a consonant closure inside a loud syllable is not read as soft speech), and the gain is
    1 + ΔdB / 30 against the utterance's 95th percentile, within 0.5–1.15: a soft syllable opens less, a loud one a
    little more. In-breaths (``"BREATH"`` phones) keep 1.

    Parameters
    ----------
    energy : np.ndarray [shape=(frames,)], dBFS per frame at ``fps`` (``features.energy_db``)
    phones : the utterance's phones, seconds (only their in-breaths are read)

    Returns
    -------
    gain : np.ndarray [shape=(frames,)], float64, 0.5–1.15
    """
    energy = np.asarray(energy, np.float64)
    if not len(energy):
        return np.ones(0)
    level = np.convolve(energy, np.ones(5) / 5, mode="same")
    w = max(0, int(round(SYLLABLE_SECONDS * fps)))
    peak = np.lib.stride_tricks.sliding_window_view(np.pad(level, w, mode="edge"), 2 * w + 1).max(axis=1)
    gain = np.clip(1.0 + (peak - np.percentile(energy, 95)) / _DB_PER_UNIT, *_GAIN_RANGE)
    for p in phones:
        if p.phone == "BREATH":
            gain[int(p.start * fps):int(np.ceil(p.end * fps))] = 1.0
    return gain


def reach(duration: np.ndarray) -> np.ndarray:
    """Share of its target a vowel of ``duration`` seconds reaches: 1 − exp(−d / 70 ms) (0.76 at 100 ms)."""
    return 1.0 - np.exp(-np.maximum(np.asarray(duration, np.float64), 0.0) / UNDERSHOOT_SECONDS)


def is_spelled_letter(phone: Phone) -> bool:
    """Whether ``phone`` belongs to a spelled letter: a one-letter word said as its letter name ("c", "p", "a" said
    as [eɪ]), not the pronoun "I" nor the article "a" said as [ə] (its weak form). Recognised phones (no word) never."""
    word = phone.word.lower()
    return len(word) == 1 and word.isalpha() and word != "i" and not (word == "a" and phone.phone == "AH")


def opening_scales(phones: Sequence[Phone]) -> np.ndarray:
    """One factor per phone for its opening targets (AU25–27): ``reach`` of its duration for vowels (1 for the
    others), times ``ACCENT_GAIN`` for the phones of a spelled letter (``is_spelled_letter``).

    Returns np.ndarray [shape=(len(phones),)], float64, 0–``ACCENT_GAIN``.
    """
    return np.array([(reach(p.end - p.start) if is_vowel(p.phone) else 1.0)
                     * (ACCENT_GAIN if is_spelled_letter(p) else 1.0) for p in phones], np.float64)
