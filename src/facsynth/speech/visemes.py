"""Phonemes → visemes: the lower-face AU targets of each ARPAbet phone and how strongly it holds them."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Viseme", "VISEMES", "PHONE_TO_VISEME", "DIPHTHONGS", "VOWELS", "LIP_AUS", "OPENING_AUS", "WIDENING_AUS",
           "SHAPE_AUS", "viseme_of", "is_vowel"]

#: AUs the mouth opening is made of (lips part, jaw drop, mouth stretch) and closed by (tightener, pressor, suck).
OPENING_AUS: tuple[int, ...] = (23, 24, 25, 26, 27, 28)
#: The opening AUs that widen the mouth (lips part, jaw drop, mouth stretch): what stress and loudness scale.
WIDENING_AUS: tuple[int, ...] = (25, 26, 27)
#: AUs that shape the lips: raised upper lip, spread (12, 20), rounded (18, 22).
SHAPE_AUS: tuple[int, ...] = (10, 12, 18, 20, 22)
#: Every AU the viseme layer drives.
LIP_AUS: tuple[int, ...] = tuple(sorted(OPENING_AUS + SHAPE_AUS))


class Viseme(NamedTuple):
    """A mouth shape: AU targets (FACS 0–5), and dominance (0–1) of its opening and of its lip shape.

    A high dominance means neighbours cannot override the target (lips must close for /m/); a low one lets the
    shape be coloured by the surrounding vowels (coarticulation).
    """

    name: str
    targets: dict[int, float]
    open_dominance: float
    shape_dominance: float


_V = [
    Viseme("rest", {}, 0.5, 0.3),
    Viseme("breath", {25: 2.0, 26: 1.2}, 0.6, 0.3),               # lips part to breathe in before speaking
    Viseme("bilabial", {23: 1.0, 24: 2.5}, 1.0, 0.2),            # p b m: lips pressed shut
    Viseme("labiodental", {10: 1.0, 25: 0.6, 26: 0.4}, 0.9, 0.7),  # f v: lower lip to upper teeth
    Viseme("dental", {25: 1.6, 26: 1.0}, 0.3, 0.3),                # th dh
    Viseme("alveolar", {25: 1.8, 26: 1.2}, 0.2, 0.2),              # t d n s z l
    Viseme("velar", {25: 1.8, 26: 1.3}, 0.15, 0.2),                # k g ng
    Viseme("glottal", {25: 2.0, 26: 1.5}, 0.05, 0.05),             # hh: takes the shape of the next vowel
    Viseme("postalveolar", {18: 1.0, 22: 2.5, 25: 1.4, 26: 0.7}, 0.6, 0.8),  # sh zh ch jh
    Viseme("rhotic", {22: 1.5, 25: 1.5, 26: 1.0}, 0.3, 0.6),       # r er
    Viseme("round_glide", {18: 3.5, 25: 0.5, 26: 0.3}, 1.0, 0.9),  # w
    Viseme("spread_glide", {20: 1.5, 25: 1.4, 26: 0.9}, 0.3, 0.5),  # y
    # Vowels: the jaw opens with vowel height (open > open-mid > mid-central > near-close > close).
    Viseme("open", {25: 3.2, 26: 3.5, 27: 0.8}, 0.5, 0.5),         # aa ae (and the onsets of aw ay)
    Viseme("mid", {20: 1.0, 25: 2.8, 26: 2.6}, 0.5, 0.5),          # eh (and the onset of ey)
    Viseme("central", {25: 2.4, 26: 2.0}, 0.5, 0.5),               # ah: /ʌ/ and the reduced schwa
    Viseme("near_close", {20: 1.0, 25: 2.2, 26: 1.6}, 0.5, 0.5),   # ih
    Viseme("spread", {12: 0.8, 20: 1.8, 25: 2.2, 26: 1.6}, 0.5, 0.7),  # iy
    Viseme("round_open", {18: 1.5, 25: 2.8, 26: 2.8}, 0.5, 0.7),   # ao oy
    Viseme("round", {18: 2.5, 22: 0.8, 25: 1.8, 26: 1.4}, 0.5, 0.8),  # ow uh
    Viseme("round_close", {18: 3.5, 22: 1.0, 25: 0.8, 26: 0.6}, 1.0, 0.9),  # uw
]
#: Visemes by name.
VISEMES: dict[str, Viseme] = {v.name: v for v in _V}

#: ARPAbet phone (no stress digit) → viseme name.
PHONE_TO_VISEME: dict[str, str] = {
    "SIL": "rest", "BREATH": "breath",
    "P": "bilabial", "B": "bilabial", "M": "bilabial",
    "F": "labiodental", "V": "labiodental",
    "TH": "dental", "DH": "dental",
    "T": "alveolar", "D": "alveolar", "N": "alveolar", "S": "alveolar", "Z": "alveolar", "L": "alveolar",
    "K": "velar", "G": "velar", "NG": "velar", "HH": "glottal",
    "SH": "postalveolar", "ZH": "postalveolar", "CH": "postalveolar", "JH": "postalveolar",
    "R": "rhotic", "ER": "rhotic",
    "W": "round_glide", "Y": "spread_glide",
    "AA": "open", "AE": "open", "AW": "open", "AY": "open",
    "EH": "mid", "EY": "mid", "AH": "central", "IH": "near_close",
    "IY": "spread",
    "AO": "round_open", "OY": "round_open",
    "OW": "round", "UH": "round",
    "UW": "round_close",
}

#: Diphthongs: onset vowel → offglide vowel (``coarticulation.lip_curves`` gives the onset the first 60 % of the
#: phone). A diphthong's own entry in ``PHONE_TO_VISEME`` is its onset's shape.
DIPHTHONGS: dict[str, tuple[str, str]] = {"AY": ("AA", "IH"), "AW": ("AA", "UH"), "OY": ("AO", "IH"),
                                          "EY": ("EH", "IY")}
#: ARPAbet vowels (syllable nuclei), ER included.
VOWELS: frozenset[str] = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY",
                                    "UH", "UW"})


def is_vowel(phone: str) -> bool:
    """Whether an ARPAbet phone (stress digits ignored) is a vowel."""
    return phone.rstrip("012").upper() in VOWELS


def viseme_of(phone: str) -> Viseme:
    """The viseme of an ARPAbet phone (stress digits ignored); unknown symbols count as rest."""
    return VISEMES[PHONE_TO_VISEME.get(phone.rstrip("012").upper(), "rest")]
