"""AUs → sentence: describe an expression in one of three sentence protocols (after Hong et al., ICIP 2020)."""

from __future__ import annotations

import random
from typing import Mapping

from ..errors import AUSpecError
from ..facs import canonical_emotion, intensity_level, parse_au_code
from .vocabulary import ADVERBS, AU_WORDS, EMOTION_ADJECTIVES, EMOTION_WORDS, GENDER_WORDS, NOUN_NUMBER

__all__ = ["describe", "PROTOCOLS", "GENDERS"]

#: The sentence protocols: 1 "A woman with …", 2 "A woman is … because she has …", 3 "A woman's … are …".
PROTOCOLS: tuple[int, ...] = (1, 2, 3)
GENDERS: tuple[str, ...] = tuple(GENDER_WORDS)


def describe(aus: Mapping[int | str, float], protocol: int = 1, gender: str = "female",
             emotion: str | None = None, seed: int | None = None) -> str:
    """One English sentence describing the AU intensities ``aus``.

    Parameters
    ----------
    aus : mapping AU (int or "AU12") → FACS intensity 0–5 (float); quantised to levels 1–5 by ``facs.intensity_level``,
        level 0 is not mentioned. None: present with no known intensity (CK+ codes some AUs so), named without an
        adverb. All 24 catalogue AUs have words.
    protocol : 1, 2 or 3
        1: "A woman with slightly raised inner brows and lips parted strongly."
        2: "A woman is surprised because she has …" ("A woman has …" without an emotion).
        3: "A woman's inner brows are slightly raised, her lips are parted strongly and stretched mildly."
    gender : "female" or "male"
    emotion : optional emotion word ("happy", "surprise", …), written as a label beside the movements.
    seed : int or None
        Seeds the random AU order, adjective and adverb choice and adverb placement; ``None`` draws fresh.

    Returns
    -------
    sentence : str, ending with a full stop. ``facsynth.language.parse.parse`` inverts it exactly.

    Examples
    --------
    >>> describe({1: 2, 25: 4}, protocol=1, seed=0)  # doctest: +SKIP
    'A woman with slightly raised inner brows and strongly parted lips.'
    """
    if protocol not in PROTOCOLS:
        raise AUSpecError(f"unknown sentence protocol {protocol!r} (expected 1, 2 or 3)")
    if gender not in GENDER_WORDS:
        raise AUSpecError(f"unknown gender {gender!r} (expected female or male)")
    levels = {parse_au_code(k): None if v is None else intensity_level(v) for k, v in aus.items()}
    active = sorted(c for c, lvl in levels.items() if lvl is None or lvl > 0)
    label = _emotion_adjective(emotion) if emotion else None
    rng = random.Random(seed)
    rng.shuffle(active)
    subject, pronoun, possessive = GENDER_WORDS[gender]
    if protocol == 3:
        return _protocol3(active, levels, subject, possessive, label, rng)
    phrases = [_phrase(c, levels[c], rng) for c in active]
    body = _join(phrases) if phrases else "a neutral expression"
    if protocol == 1:
        head = f"{_article(label or subject).capitalize()} {label + ' ' if label else ''}{subject} with"
    elif label:
        head = f"A {subject} is {label} because {pronoun} has"
    else:
        head = f"A {subject} has"
    return f"{head} {body}."


def _emotion_adjective(word: str) -> str:
    key = word.strip().lower()
    canonical = EMOTION_WORDS[key][0] if key in EMOTION_WORDS else canonical_emotion(key)
    return EMOTION_ADJECTIVES[canonical]


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _adverb(level: int | None, rng: random.Random) -> str:
    return "" if level is None else rng.choice(ADVERBS[level])


def _phrase(au: int, level: int, rng: random.Random) -> str:
    """'slightly raised inner brows' or 'inner brows raised slightly'."""
    noun, adjectives = AU_WORDS[au]
    adj, adv = rng.choice(adjectives), _adverb(level, rng)
    words = [adv, adj, noun] if rng.random() < 0.5 else [noun, adj, adv]
    return " ".join(w for w in words if w)


def _join(items: list[str], last: str = " and ") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]


def _protocol3(active: list[int], levels: dict[int, int], subject: str, possessive: str, label: str | None,
               rng: random.Random) -> str:
    """Group the AUs by face-part noun: "A woman's lips are slightly parted and stretched strongly, her …"."""
    groups: dict[str, list[int]] = {}
    for c in active:  # already shuffled: group order follows the first AU of each noun
        groups.setdefault(AU_WORDS[c][0], []).append(c)
    owner = f"{_article(label or subject).capitalize()} {label + ' ' if label else ''}{subject}'s"
    if not groups:
        return f"{owner} face is neutral."
    clauses = []
    for i, (noun, codes) in enumerate(groups.items()):
        states = []
        for c in codes:
            adj, adv = rng.choice(AU_WORDS[c][1]), _adverb(levels[c], rng)
            states.append(" ".join(w for w in ((adv, adj) if rng.random() < 0.5 else (adj, adv)) if w))
        clauses.append(f"{owner if i == 0 else possessive} {noun} {NOUN_NUMBER[noun]} {' and '.join(states)}")
    return _join(clauses, last=", and ") + "."
