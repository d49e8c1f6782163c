"""The FACS catalogue: Action Units, intensity letters A–E, face regions and the emotion prototypes."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from .errors import AUSpecError

__all__ = [
    "ActionUnit",
    "CATALOGUE",
    "ALL_AUS",
    "OPENFACE_AUS",
    "REGIONS",
    "INTENSITY_LETTERS",
    "MAX_INTENSITY",
    "EMOTIONS",
    "EMOTION_PROTOTYPES",
    "UNILATERAL",
    "au_name",
    "au_label",
    "parse_au_code",
    "region_of",
    "aus_in_region",
    "letter_to_intensity",
    "intensity_level",
    "intensity_to_letter",
    "parse_intensity",
    "parse_au_spec",
    "format_au_spec",
    "canonical_emotion",
    "emotion_aus",
    "blend_emotions",
]

MAX_INTENSITY = 5.0


@dataclass(frozen=True)
class ActionUnit:
    """One FACS Action Unit: its number, FACS name, main muscle and face region (upper / middle / lower)."""

    code: int
    name: str
    muscle: str
    region: str


_AU_TABLE = [
    (1, "Inner Brow Raiser", "frontalis, pars medialis", "upper"),
    (2, "Outer Brow Raiser", "frontalis, pars lateralis", "upper"),
    (4, "Brow Lowerer", "corrugator supercilii, depressor supercilii, procerus", "upper"),
    (5, "Upper Lid Raiser", "levator palpebrae superioris", "upper"),
    (6, "Cheek Raiser", "orbicularis oculi, pars orbitalis", "middle"),
    (7, "Lid Tightener", "orbicularis oculi, pars palpebralis", "upper"),
    (9, "Nose Wrinkler", "levator labii superioris alaeque nasi", "middle"),
    (10, "Upper Lip Raiser", "levator labii superioris", "middle"),
    (12, "Lip Corner Puller", "zygomaticus major", "lower"),
    (14, "Dimpler", "buccinator", "lower"),
    (15, "Lip Corner Depressor", "depressor anguli oris (triangularis)", "lower"),
    (16, "Lower Lip Depressor", "depressor labii inferioris", "lower"),
    (17, "Chin Raiser", "mentalis", "lower"),
    (18, "Lip Pucker", "incisivii labii superioris and inferioris", "lower"),
    (20, "Lip Stretcher", "risorius with platysma", "lower"),
    (22, "Lip Funneler", "orbicularis oris", "lower"),
    (23, "Lip Tightener", "orbicularis oris", "lower"),
    (24, "Lip Pressor", "orbicularis oris", "lower"),
    (25, "Lips Part", "depressor labii inferioris, relaxation of mentalis and orbicularis oris", "lower"),
    (26, "Jaw Drop", "masseter, relaxed temporalis and internal pterygoid", "lower"),
    (27, "Mouth Stretch", "pterygoids, digastric", "lower"),
    (28, "Lip Suck", "orbicularis oris", "lower"),
    (43, "Eyes Closed", "relaxation of levator palpebrae superioris; orbicularis oculi, pars palpebralis", "upper"),
    (45, "Blink", "relaxation of levator palpebrae superioris; orbicularis oculi, pars palpebralis", "upper"),
]

#: Every AU facsynth knows, by number.
CATALOGUE: dict[int, ActionUnit] = {c: ActionUnit(c, n, m, r) for c, n, m, r in _AU_TABLE}
#: All AU numbers of the catalogue, ascending.
ALL_AUS: tuple[int, ...] = tuple(sorted(CATALOGUE))
#: The 17 intensity AUs OpenFace 2.0 estimates: facsynth's default working set.
OPENFACE_AUS: tuple[int, ...] = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45)
#: Face regions as in Sadoughi & Busso: forehead and eyes, cheeks and nose, mouth and jaw.
REGIONS: tuple[str, ...] = ("upper", "middle", "lower")
#: FACS intensity letters; A (trace) is 1, E (maximum) is 5.
INTENSITY_LETTERS: tuple[str, ...] = ("A", "B", "C", "D", "E")


def au_name(code: int) -> str:
    """FACS name of AU ``code``, e.g. ``au_name(12) == "Lip Corner Puller"``."""
    return _lookup(code).name


def au_label(code: int) -> str:
    """OpenFace-style label, zero-padded: ``au_label(1) == "AU01"``."""
    _lookup(code)
    return f"AU{code:02d}"


def parse_au_code(text: str | int) -> int:
    """AU number from ``12``, ``"12"``, ``"AU12"``, ``"au_12"`` or ``"AU12_r"``; raises AUSpecError if unknown."""
    if isinstance(text, int):
        return _lookup(text).code
    m = re.fullmatch(r"\s*(?:au)?[\s_]*0*(\d+)(?:_[rc])?\s*", str(text), flags=re.IGNORECASE)
    if not m:
        raise AUSpecError(f"{text!r} is not an AU code (expected e.g. AU12 or 12)")
    return _lookup(int(m.group(1))).code


def _lookup(code: int) -> ActionUnit:
    try:
        return CATALOGUE[int(code)]
    except (KeyError, ValueError, TypeError):
        raise AUSpecError(
            f"AU{code} is not in the catalogue (known: {', '.join(str(c) for c in ALL_AUS)})"
        ) from None


def region_of(code: int) -> str:
    """Face region of AU ``code``: "upper", "middle" or "lower"."""
    return _lookup(code).region


def aus_in_region(region: str, aus: Iterable[int] = ALL_AUS) -> tuple[int, ...]:
    """The AUs of ``aus`` that lie in ``region`` ("upper", "middle" or "lower")."""
    if region not in REGIONS:
        raise AUSpecError(f"unknown face region {region!r} (expected one of {', '.join(REGIONS)})")
    return tuple(c for c in aus if _lookup(c).region == region)


def letter_to_intensity(letter: str) -> float:
    """FACS letter A–E to intensity 1–5."""
    key = letter.strip().upper()
    if key not in INTENSITY_LETTERS:
        raise AUSpecError(f"{letter!r} is not a FACS intensity letter (A–E)")
    return float(INTENSITY_LETTERS.index(key) + 1)


def intensity_level(value: float) -> int:
    """FACS intensity 0–5 to a level 0–5, rounding half up: [0, 0.5) → 0, [0.5, 1.5) → 1, …, [4.5, 5] → 5.

    Level 0 means the AU is absent. Raises AUSpecError outside 0–5 (and for NaN).
    """
    v = float(value)
    if not 0.0 <= v <= MAX_INTENSITY:
        raise AUSpecError(f"intensity {value!r} is outside 0–5")
    return min(5, int(math.floor(v + 0.5)))


def intensity_to_letter(value: float) -> str:
    """Intensity 0–5 to its FACS letter A–E by intensity_level; level 0 has no letter and gives ""."""
    level = intensity_level(value)
    return INTENSITY_LETTERS[level - 1] if level else ""


def parse_intensity(raw: str | float, what: str = "intensity") -> float:
    """One intensity of an AU spec, a form field or a JSON value: a number 0–5 or a FACS letter A–E (→ 1–5).

    The one reader every AU input goes through (CLI specs, sentences with "AU12=D", the studio's JSON); raises
    AUSpecError naming ``what`` for anything else: NaN, infinities, negatives, overflow, words, letters past E.
    """
    if isinstance(raw, str):
        text = raw.strip()
        if re.fullmatch(r"[A-Ea-e]", text):
            return letter_to_intensity(text)
        try:
            value = float(text)
        except ValueError:
            raise AUSpecError(f"cannot read {what}: {raw!r} is not a number 0–5 or a letter A–E") from None
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw)
    else:
        raise AUSpecError(f"cannot read {what}: {raw!r} is neither a number 0–5 nor a letter A–E")
    if not 0.0 <= value <= MAX_INTENSITY:  # also rejects NaN
        raise AUSpecError(f"{what} is {str(raw).strip()}, outside 0–5")
    return abs(value)  # "-0" is 0


def parse_au_spec(spec: str) -> dict[int, float]:
    """Read ``"AU1=2,AU12=D, 6:3.5"`` into ``{1: 2.0, 12: 4.0, 6: 3.5}``.

    Items are separated by commas or spaces; each is an AU code, then ``=`` or ``:``, then an intensity
    0–5 or a letter A–E. A bare code (``"AU12"``) means intensity 3 (C). Raises AUSpecError naming the item.
    """
    if spec is None or not str(spec).strip():
        raise AUSpecError("the AU specification is empty (expected e.g. \"AU1=2,AU12=4\")")
    out: dict[int, float] = {}
    for item in re.split(r"[,;\s]+", str(spec).strip()):
        if not item:
            continue
        parts = re.split(r"[=:]", item)
        if len(parts) > 2:
            raise AUSpecError(f"cannot read AU item {item!r} (expected e.g. AU12=3)")
        code = parse_au_code(parts[0])
        out[code] = 3.0 if len(parts) == 1 else parse_intensity(parts[1], f"the intensity of {item!r}")
    return out


def format_au_spec(aus: Mapping[int, float]) -> str:
    """Inverse of parse_au_spec for non-zero AUs: ``{1: 2.0, 12: 4.0}`` → ``"AU01=2,AU12=4"``."""
    return ",".join(f"{au_label(c)}={v:g}" for c, v in sorted(aus.items()) if v > 0)


# ---------------------------------------------------------------- emotions (posed-expression prototypes)

#: Prototype AU intensities at emotion intensity 3 (FACS C, a clear but not extreme expression). The AU sets are
#: those posed expressions actually show, not EMFACS's minimal sets: the prototypical and frequent AUs of each
#: basic emotion in Du, Tao & Martinez (2014, PNAS, "Compound facial expressions of emotion", Table 1), which
#: agree with the CK+ emotion criteria (Lucey et al. 2010): happiness 6+12+25 (teeth show; a slight 26, as broad
#: posed smiles drop the jaw), sadness 1+4+15+17, surprise 1+2+5+25+26, fear 1+2+4+5+20+25+26, disgust 4+9+10+17.
#: Anger is the closed-mouth anger of EMFACS (Friesen & Ekman 1983: 4+5+7+17+23, 4+5+7+17+24) with both lip AUs,
#: as CK+ requires AU23 and AU24 (Du et al.'s prototypical 4+7+24 and variants 17, 23): brows down and together,
#: a glare (upper lid raised, AU5 stronger than AU7's tensed lower lid, so the eye does not narrow into a squint)
#: and pressed, narrowed lips. Du et al.'s variant AU10 belongs to EMFACS's open-mouth anger (4+5+7+10+22+23+25):
#: on closed lips it lifted the upper lip against AU24's press and, on a smiling portrait, kept part of the
#: photo's nasolabial fold, which read as a smirk (docs/expressions.md). A user who wants a minimal set asks for
#: the AUs themselves (``--aus``).
EMOTION_PROTOTYPES: dict[str, dict[int, float]] = {
    "happiness": {6: 3.0, 12: 3.5, 25: 3.0, 26: 1.8},
    "sadness": {1: 3.0, 4: 2.0, 15: 3.0, 17: 2.0},
    "surprise": {1: 3.0, 2: 3.0, 5: 2.5, 25: 2.0, 26: 3.0},
    "fear": {1: 3.0, 2: 2.0, 4: 1.5, 5: 3.0, 20: 3.5, 25: 2.5, 26: 1.0},
    "anger": {4: 3.0, 5: 2.5, 7: 2.0, 17: 2.5, 23: 3.0, 24: 3.0},
    "disgust": {4: 1.0, 9: 3.0, 10: 3.0, 17: 2.0},
    "contempt": {12: 1.5, 14: 2.0},
    "neutral": {},
}
#: Emotions whose prototype is one-sided (contempt: unilateral 12A+14A); renderers may apply it to one side.
UNILATERAL: dict[str, frozenset[int]] = {"contempt": frozenset({12, 14})}
EMOTIONS: tuple[str, ...] = tuple(EMOTION_PROTOTYPES)
_REFERENCE_INTENSITY = 3.0

_EMOTION_ALIASES = {
    "happy": "happiness", "joy": "happiness", "happiness": "happiness", "glad": "happiness",
    "sad": "sadness", "sadness": "sadness", "sorrow": "sadness",
    "surprise": "surprise", "surprised": "surprise",
    "fear": "fear", "afraid": "fear", "scared": "fear", "fearful": "fear",
    "anger": "anger", "angry": "anger", "mad": "anger",
    "disgust": "disgust", "disgusted": "disgust",
    "contempt": "contempt", "contemptuous": "contempt",
    "neutral": "neutral", "calm": "neutral",
}


def canonical_emotion(name: str) -> str:
    """Canonical emotion name for ``name`` ("happy" → "happiness"); raises AUSpecError if unknown."""
    key = str(name).strip().lower()
    if key not in _EMOTION_ALIASES:
        raise AUSpecError(f"unknown emotion {name!r} (expected one of {', '.join(EMOTIONS)})")
    return _EMOTION_ALIASES[key]


def emotion_aus(emotion: str, intensity: float = 3.0) -> dict[int, float]:
    """AU intensities of an emotion's prototype, scaled linearly by emotion ``intensity`` 0–5 (3 = prototype)."""
    if not 0.0 <= intensity <= MAX_INTENSITY:
        raise AUSpecError(f"emotion intensity {intensity} is outside 0–5")
    scale = intensity / _REFERENCE_INTENSITY
    proto = EMOTION_PROTOTYPES[canonical_emotion(emotion)]
    return {c: min(MAX_INTENSITY, v * scale) for c, v in proto.items() if v * scale > 0}


def blend_emotions(weights: Mapping[str, float], intensity: float = 3.0) -> dict[int, float]:
    """Blend several emotions: the weighted mean of their prototypes at ``intensity``.

    ``weights`` maps emotion names to non-negative weights (a probability distribution, or any weights:
    they are normalised). ``{"happiness": 1}`` is the plain prototype; ``{"happiness": .5, "surprise": .5}``
    is half of each, so an AU shared by both (none here) would keep its full strength.
    """
    clean = {canonical_emotion(k): float(w) for k, w in weights.items()}
    if any(not (w >= 0) for w in clean.values()):
        raise AUSpecError("emotion weights must be non-negative numbers")
    total = sum(clean.values())
    if total <= 0:
        return {}
    out: dict[int, float] = {}
    for emo, w in clean.items():
        for c, v in emotion_aus(emo, intensity).items():
            out[c] = out.get(c, 0.0) + v * w / total
    return {c: min(MAX_INTENSITY, v) for c, v in out.items() if v > 0}
