"""Paraphrase augmentation for the learned encoder: AU sets → free-form sentences in several families of style.

``describe`` writes three fixed protocols; people write otherwise. Each family here is one way of writing:

- ``verbs``: "She raises her inner brows slightly and smiles strongly, but does not frown."
- ``adverb_first``: "The man slightly lifts his cheeks; he firmly presses his lips together." (adverb before the verb,
  clauses in random order)
- ``passive``: "Her inner brows are a little raised and her lips are pressed together firmly."
- ``facs_names``: "Lip corner puller at intensity D, cheek raiser B."
- ``au_codes``: "AU12 D, AU6=2", "AU 12 at level 4 and AU 6 slight".
- ``vocabulary``: drawn from the parser's own tables (``facsynth.language.vocabulary``): every adjective form with
  every noun alias it pairs with, action words, degree words and idioms at their FACS levels, one degree word over
  the list ("…, both strongly"), held-still phrases and negation for absent AUs, non-facial sentences (no AU).

:func:`rewrite` adds synonyms and reorders the clauses of any sentence (``describe`` output included). The
vocabulary is this project's own; its intensity words keep the levels of ``facsynth.language.vocabulary`` (so
"slightly" is level 2 for both engines).

>>> import random
>>> paraphrase({1: 2.0, 12: 4.0}, "verbs", "female", random.Random(0))  # doctest: +SKIP
'She pulls her lip corners up strongly and raises her inner brows a bit.'
"""

from __future__ import annotations

import random
import re
from typing import Mapping

from ..facs import CATALOGUE, INTENSITY_LETTERS
from . import vocabulary as V

__all__ = ["FAMILIES", "paraphrase", "rewrite", "intensity_words"]

FAMILIES: tuple[str, ...] = ("verbs", "adverb_first", "passive", "facs_names", "au_codes", "vocabulary")

# Adverbs per intensity level 1–5 (A–E); the sets are disjoint so a word names one level.
_ADVERBS: dict[int, tuple[str, ...]] = {
    1: ("barely", "faintly", "minimally", "hardly", "subtly", "just barely", "very slightly", "almost imperceptibly"),
    2: ("slightly", "mildly", "lightly", "a little", "a bit", "somewhat", "gently", "softly", "weakly"),
    3: ("moderately", "clearly", "noticeably", "quite", "fairly", "rather", "visibly"),
    4: ("strongly", "markedly", "considerably", "hard", "firmly", "deeply", "a lot", "greatly", "very"),
    5: ("extremely", "maximally", "intensely", "fully", "completely", "as far as possible", "very strongly",
        "all the way", "enormously"),
}
# The adverbs that read well before a verb ("slightly raises"), for the adverb_first family.
_PRE_VERB = {"barely", "faintly", "minimally", "hardly", "subtly", "just barely", "very slightly", "slightly",
             "mildly", "lightly", "somewhat", "gently", "softly", "weakly", "moderately", "clearly", "noticeably",
             "visibly", "strongly", "markedly", "considerably", "firmly", "deeply", "greatly", "extremely",
             "maximally", "intensely", "fully", "completely", "very strongly"}
_LEVEL_WORDS: dict[int, tuple[str, ...]] = {  # adjectives for the code family ("AU6 strong")
    1: ("trace", "minimal", "faint"),
    2: ("weak", "mild", "slight"),
    3: ("moderate", "medium", "marked"),
    4: ("strong", "severe", "intense"),
    5: ("maximum", "extreme", "maximal"),
}

# Per AU: verb phrases ({p} = her/his) and passive forms (noun phrase, "is"/"are", participle).
_VERBS: dict[int, tuple[str, ...]] = {
    1: ("raises {p} inner brows", "lifts the inner corners of {p} eyebrows", "raises the inner ends of {p} brows"),
    2: ("raises {p} outer brows", "lifts the outer corners of {p} eyebrows", "arches {p} outer brows"),
    4: ("lowers {p} brows", "frowns", "knits {p} brows", "furrows {p} brow", "draws {p} eyebrows together"),
    5: ("widens {p} eyes", "raises {p} upper eyelids", "opens {p} eyes wide", "stares"),
    6: ("raises {p} cheeks", "lifts {p} cheeks", "pushes {p} cheeks up"),
    7: ("tightens {p} eyelids", "narrows {p} eyes", "squints"),
    9: ("wrinkles {p} nose", "scrunches {p} nose", "crinkles {p} nose"),
    10: ("raises {p} upper lip", "curls {p} upper lip up", "lifts {p} upper lip"),
    12: ("smiles", "pulls {p} lip corners up", "grins", "turns up the corners of {p} mouth"),
    14: ("dimples {p} cheeks", "tucks in the corners of {p} mouth", "shows dimples"),
    15: ("turns down the corners of {p} mouth", "pulls {p} lip corners down", "droops {p} mouth corners"),
    16: ("lowers {p} lower lip", "pushes {p} lower lip down", "pulls down {p} bottom lip"),
    17: ("raises {p} chin", "pushes {p} chin up", "wrinkles {p} chin"),
    18: ("puckers {p} lips", "pouts", "purses {p} lips forward"),
    20: ("stretches {p} lips", "pulls {p} lips sideways", "stretches {p} mouth sideways"),
    22: ("funnels {p} lips", "rounds {p} lips into a funnel", "flares {p} lips outward"),
    23: ("tightens {p} lips", "makes {p} lips thin and tight", "narrows {p} lips"),
    24: ("presses {p} lips together", "clamps {p} lips shut", "squeezes {p} lips together"),
    25: ("parts {p} lips", "separates {p} lips", "opens {p} lips"),
    26: ("drops {p} jaw", "opens {p} mouth", "lets {p} jaw fall"),
    27: ("stretches {p} mouth open", "opens {p} mouth as wide as it goes", "gapes"),
    28: ("sucks in {p} lips", "pulls {p} lips into {p} mouth", "bites {p} lips inward"),
    43: ("closes {p} eyes", "shuts {p} eyes", "keeps {p} eyes closed"),
    45: ("blinks", "blinks {p} eyes", "flutters {p} eyelids shut"),
}
_PASSIVE: dict[int, tuple[tuple[str, str, str], ...]] = {
    1: (("{p} inner brows", "are", "raised"), ("the inner ends of {p} eyebrows", "are", "lifted")),
    2: (("{p} outer brows", "are", "raised"), ("the outer corners of {p} eyebrows", "are", "lifted")),
    4: (("{p} brows", "are", "lowered"), ("{p} eyebrows", "are", "drawn together"), ("{p} brow", "is", "furrowed")),
    5: (("{p} eyes", "are", "widened"), ("{p} upper lids", "are", "raised")),
    6: (("{p} cheeks", "are", "raised"), ("{p} cheeks", "are", "lifted")),
    7: (("{p} eyelids", "are", "tightened"), ("{p} eyes", "are", "narrowed")),
    9: (("{p} nose", "is", "wrinkled"), ("{p} nose", "is", "scrunched")),
    10: (("{p} upper lip", "is", "raised"), ("{p} upper lip", "is", "curled up")),
    12: (("{p} lip corners", "are", "pulled up"), ("the corners of {p} mouth", "are", "turned up")),
    14: (("{p} cheeks", "are", "dimpled"), ("the corners of {p} mouth", "are", "tucked in")),
    15: (("{p} lip corners", "are", "pulled down"), ("the corners of {p} mouth", "are", "turned down")),
    16: (("{p} lower lip", "is", "lowered"), ("{p} bottom lip", "is", "pushed down")),
    17: (("{p} chin", "is", "raised"), ("{p} chin", "is", "pushed up")),
    18: (("{p} lips", "are", "puckered"), ("{p} lips", "are", "pursed")),
    20: (("{p} lips", "are", "stretched"), ("{p} mouth", "is", "stretched sideways")),
    22: (("{p} lips", "are", "funneled"), ("{p} lips", "are", "rounded")),
    23: (("{p} lips", "are", "tightened"), ("{p} lips", "are", "thinned")),
    24: (("{p} lips", "are", "pressed together"), ("{p} lips", "are", "clamped shut")),
    25: (("{p} lips", "are", "parted"), ("{p} lips", "are", "apart")),
    26: (("{p} jaw", "is", "dropped"), ("{p} mouth", "is", "open")),
    27: (("{p} mouth", "is", "stretched open"), ("{p} mouth", "is", "gaping")),
    28: (("{p} lips", "are", "sucked in"), ("{p} lips", "are", "drawn inward")),
    43: (("{p} eyes", "are", "closed"), ("{p} eyes", "are", "shut")),
    45: (("{p} eyelids", "are", "blinking"), ("{p} eyes", "are", "blinking")),
}
# Phrases that name two AUs at once, used when both are present at the same level.
_PAIR_VERBS: dict[tuple[int, int], tuple[str, ...]] = {
    (1, 2): ("raises {p} brows", "lifts {p} eyebrows", "raises {p} eyebrows"),
    (6, 12): ("smiles with {p} eyes", "beams"),
    (25, 26): ("opens {p} mouth", "lets {p} mouth fall open"),
}
_PAIR_PASSIVE: dict[tuple[int, int], tuple[tuple[str, str, str], ...]] = {
    (1, 2): (("{p} brows", "are", "raised"), ("{p} eyebrows", "are", "lifted")),
    (25, 26): (("{p} mouth", "is", "open"),),
}
_NEUTRAL = ("{S} has a neutral face.", "{S} looks relaxed.", "{P} face is calm and relaxed.",
            "A neutral, expressionless face.", "{S} shows no expression.")
_SUBJECTS = {"female": ("She", "The woman", "A woman"), "male": ("He", "The man", "A man")}

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "barely": ("hardly", "subtly"), "slightly": ("a little", "a bit"), "mildly": ("somewhat", "gently"),
    "moderately": ("quite", "fairly"), "strongly": ("hard", "deeply"), "extremely": ("fully", "completely"),
    "raised": ("lifted",), "lowered": ("drawn down",), "brows": ("eyebrows",), "woman": ("lady", "girl"),
    "man": ("guy", "gentleman"), "cheeks": ("cheekbones",), "wrinkled": ("scrunched",), "has": ("shows",),
}


_NON_FACIAL = ("The meeting starts at ten.", "{S} parks the car near the station.", "The report is due on Monday.",
               "{S} buys bread on the way home.", "The river runs through the old town.", "Send the file by email.",
               "{S} reads a book on the train.", "The shop closes at six.", "{P} bag is on the table.")


def _surface_tables() -> tuple[dict[int, list[tuple[str, str]]], dict[int, list[str]], list[tuple[str, set[int]]]]:
    """Per AU: (adjective form, noun alias) pairs that name it alone and action words that name it alone; and the
    held-still phrases with the AUs each keeps at 0."""
    forms: dict[str, list[str]] = {}
    for form, canonical in V.ADJECTIVE_FORMS.items():
        forms.setdefault(canonical, []).append(form)
    nouns: dict[str, list[str]] = {}
    for alias, canonical in V.NOUN_ALIASES.items():
        if not alias.startswith(("corner of", "corners of", "inner ", "outer ")) or canonical == alias:
            nouns.setdefault(canonical, []).append(alias)
    pairs: dict[int, list[tuple[str, str]]] = {}
    for (adj, noun), aus in V.PAIRS.items():
        if len(aus) == 1 and adj in forms:
            pairs.setdefault(aus[0], []).extend((f, n) for f in forms.get(adj, [adj]) for n in nouns.get(noun, [noun]))
    actions: dict[int, list[str]] = {}
    for word, aus in V.ACTION_WORDS.items():
        if len(aus) == 1:
            actions.setdefault(aus[0], []).append(word)
    holds = [(f"{n} {f}", set(aus)) for (adj, noun), aus in V.HOLD_PAIRS.items()
             for f in forms.get(adj, [adj])[:4] for n in nouns.get(noun, [noun])[:2]]
    return pairs, actions, holds


_PAIRS_BY_AU, _ACTIONS_BY_AU, _HOLDS = _surface_tables()
_DEGREES: dict[int, list[str]] = {}
for _w, _lvl in V.INTENSITY_WORDS.items():
    _DEGREES.setdefault(int(_lvl), []).append(_w)


def _vocabulary_sentence(active: dict[int, float], subject: str, p: str, rng: random.Random) -> str:
    """One sentence of the ``vocabulary`` family (see the module docstring)."""
    levels = {a: _level(v) for a, v in active.items()}
    one_level = len(set(levels.values())) == 1 and len(levels) > 1 and rng.random() < 0.3
    clauses = []
    for a, lv in levels.items():
        if _ACTIONS_BY_AU.get(a) and (not _PAIRS_BY_AU.get(a) or rng.random() < 0.3):
            core = rng.choice(_ACTIONS_BY_AU[a])
        else:
            form, noun = rng.choice(_PAIRS_BY_AU[a])
            core = rng.choice([f"{form} {p} {noun}", f"{p} {noun} {form}", f"{form} {noun}"])
        if one_level:
            clauses.append(core)
        else:
            degree = rng.choice(_DEGREES[lv])
            clauses.append(f"{degree} {core}" if rng.random() < 0.4 else f"{core} {degree}")
    text = f"{subject} {_join(clauses, rng, False)}"
    if one_level:
        text += f", {rng.choice(['both', 'each', 'all'])} {rng.choice(_DEGREES[next(iter(levels.values()))])}"
    holds = [phrase for phrase, aus in _HOLDS if not aus & levels.keys()]
    if holds and rng.random() < 0.2:
        text += f", {rng.choice(['with', 'keeping', 'while keeping'])} {p} {rng.choice(holds)}"
    return text + "."


def intensity_words(level: int) -> tuple[str, ...]:
    """Adverbs of intensity level 1–5 used by the paraphrases (``intensity_words(1)[0] == "slightly"``)."""
    return _ADVERBS[int(level)]


def _level(value: float) -> int:
    return min(5, max(1, int(round(value))))


def _units(aus: Mapping[int, float], rng: random.Random, pairs: Mapping) -> list[tuple[tuple[int, ...], int]]:
    """Group active AUs into phrases: pairs named together when both have one level (half of the time)."""
    active = {a: _level(v) for a, v in aus.items() if v > 0}
    units: list[tuple[tuple[int, ...], int]] = []
    for pair in pairs:
        if all(a in active for a in pair) and len({active[a] for a in pair}) == 1 and rng.random() < 0.5:
            units.append((pair, active[pair[0]]))
            for a in pair:
                del active[a]
    units += [((a,), lv) for a, lv in active.items()]
    rng.shuffle(units)
    return units


def _join(clauses: list[str], rng: random.Random, clauses_have_subject: bool = True) -> str:
    if len(clauses) == 1:
        return clauses[0]
    sep = rng.choice([", ", "; ", ", "])
    last = [" and ", ", and ", ", while "] if clauses_have_subject else [" and ", ", and "]
    return sep.join(clauses[:-1]) + rng.choice(last) + clauses[-1]


def _verb_clause(unit: tuple[int, ...], level: int, p: str, rng: random.Random, adverb_first: bool) -> str:
    phrase = rng.choice(_PAIR_VERBS[unit] if len(unit) > 1 else _VERBS[unit[0]]).format(p=p)
    if adverb_first:
        return f"{rng.choice([a for a in _ADVERBS[level] if a in _PRE_VERB])} {phrase}"
    return f"{phrase} {rng.choice(_ADVERBS[level])}"


def _negation(aus: Mapping[int, float], p: str, rng: random.Random) -> str:
    absent = [a for a in _VERBS if aus.get(a, 0) <= 0]
    verb = rng.choice(_VERBS[rng.choice(absent)]).format(p=p)
    first, _, rest = verb.partition(" ")
    base = first[:-3] + "y" if first.endswith("ies") else first[:-2] if first.endswith(("ches", "shes", "sses")) \
        else first[:-1]
    return rng.choice(["but does not ", "without trying to ", "and does not "]) + f"{base} {rest}".strip()


def paraphrase(aus: Mapping[int, float], family: str, gender: str = "female", rng: random.Random | None = None) -> str:
    """One sentence describing ``aus`` in the style ``family`` (one of :data:`FAMILIES`).

    aus : mapping int → float
        AU code → intensity 0–5; AUs at 0 are left out; intensities are named at their nearest level 1–5.
    family : str
    gender : "female" or "male"
    rng : random.Random, optional
        Source of the random choices (phrases, adverbs, clause order); a fixed seed gives a fixed sentence.
    """
    rng = rng or random.Random()
    if family not in FAMILIES:
        raise ValueError(f"unknown paraphrase family {family!r} (expected one of {', '.join(FAMILIES)})")
    subject = rng.choice(_SUBJECTS[gender])
    p = "her" if gender == "female" else "his"
    pronoun = "She" if gender == "female" else "He"
    active = {int(a): float(v) for a, v in aus.items() if v > 0}
    if not active:
        table = _NON_FACIAL if family == "vocabulary" and rng.random() < 0.5 else _NEUTRAL
        return rng.choice(table).format(S=subject, P=p.capitalize())
    if family == "vocabulary":
        return _vocabulary_sentence(active, subject, p, rng)
    if family in ("verbs", "adverb_first"):
        units = _units(active, rng, _PAIR_VERBS)
        clauses = [_verb_clause(u, lv, p, rng, family == "adverb_first") for u, lv in units]
        if family == "adverb_first" and len(clauses) > 2 and rng.random() < 0.5:
            mid = len(clauses) // 2
            text = f"{subject} {_join(clauses[:mid], rng, False)}. {pronoun} {_join(clauses[mid:], rng, False)}"
        else:
            text = f"{subject} {_join(clauses, rng, False)}"
        if family == "verbs" and rng.random() < 0.25:
            text += " " + _negation(active, p, rng)
        return text + "."
    if family == "passive":
        units = _units(active, rng, _PAIR_PASSIVE)
        clauses = []
        for u, lv in units:
            noun, verb, part = rng.choice(_PAIR_PASSIVE[u] if len(u) > 1 else _PASSIVE[u[0]])
            if rng.random() < 0.5:
                body = f"{verb} {rng.choice([a for a in _ADVERBS[lv] if a in _PRE_VERB])} {part}"
            else:
                body = f"{verb} {part} {rng.choice(_ADVERBS[lv])}"
            clauses.append(f"{noun.format(p=p)} {body}")
        text = _join(clauses, rng)
        return text[0].upper() + text[1:] + "."
    items = []
    for a, v in active.items():
        lv = _level(v)
        if family == "facs_names":
            name = CATALOGUE[a].name.lower()
            tail = rng.choice([f"at intensity {INTENSITY_LETTERS[lv - 1]}", f"({INTENSITY_LETTERS[lv - 1]})",
                               rng.choice(_LEVEL_WORDS[lv]), f"at level {lv}", rng.choice(_ADVERBS[lv])])
            items.append(f"{name} {tail}")
        else:
            code = rng.choice([f"AU{a}", f"AU{a:02d}", f"AU {a}"])
            tail = rng.choice([f"{INTENSITY_LETTERS[lv - 1]}", f"={lv}", f" at {lv}", f" at intensity "
                               f"{INTENSITY_LETTERS[lv - 1]}", f" {rng.choice(_LEVEL_WORDS[lv])}",
                               f" at level {lv}"])
            items.append(code + ("" if tail.startswith(("=", " ")) else " ") + tail)
    rng.shuffle(items)
    leads = ["", f"{subject} shows ", "Face: "] + ([f"{subject} with "] if subject.startswith("A ") else [])
    lead = rng.choice(leads)
    text = lead + _join(items, rng) if lead else _join(items, rng)
    return text[0].upper() + text[1:] + "."


def rewrite(sentence: str, rng: random.Random | None = None, p_swap: float = 0.5) -> str:
    """Paraphrase any sentence: swap words for synonyms (each with probability ``p_swap``) and shuffle its
    comma-separated clauses (half of the time). The facial content is kept."""
    rng = rng or random.Random()

    def swap(m: re.Match) -> str:
        word = m.group(0)
        options = _SYNONYMS.get(word.lower())
        if not options or rng.random() >= p_swap:
            return word
        new = rng.choice(options)
        return new.capitalize() if word[0].isupper() else new

    text = re.sub(r"[A-Za-z]+", swap, sentence.strip().rstrip("."))
    parts = [c.strip() for c in text.split(",")]
    if len(parts) > 2 and rng.random() < 0.5:
        head, rest = parts[0], parts[1:]
        rng.shuffle(rest)
        parts = [head, *rest]
    return ", ".join(parts) + "."
