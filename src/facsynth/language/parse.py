"""Sentence → AUs by rule: the exact inverse of ``describe`` plus verbs, FACS names, AU codes, emotions, negation.

How a sentence is read (one left-to-right pass, no model):

1. AU codes ("AU12", "AU 4", "AU12=D", "AU6:3.5") and "(at) intensity/level D|4" become tokens; the text is
   split into words; the longest vocabulary phrase wins at each position ("lip corner puller" over "lip corner").
2. Intensity words attach to a *head* (an adjective or verb, an action word such as "smiles", a FACS name, an AU
   code or an emotion word): to the next word when it is a head ("slightly raised"), else back to the nearest
   head of the clause that has none yet ("smiles a little", "AU6 strong"), else forward. "very" sharpens the next
   intensity word ("very slightly" → 1, "very strongly" → 5) and before a head means 4 ("very happy"). A head without one is level 3.
3. Each adjective or verb pairs with the nearest face-part noun it forms a known pair with, before or after it
   ("raised inner brows", "inner brows raised", "raises her inner brows"; commas count as far away).
4. Negation ("not", "no", "without", "doesn't", …) zeroes the AUs of the heads after it up to the end of the
   clause (",", "and", "but", …), even those an emotion word would set.
5. Explicit movements win: emotion words ("a very happy woman", "slightly sad") give the EMFACS prototype scaled
   to their intensity only when the text names no facial movement; then several emotions merge by maximum.
   Words for a resting face ("a relaxed face", "a neutral expression") give ``{}``.
6. A text with none of these is handed to ``facsynth.language.emotion.emotion_track`` (a feeling such as "I can't
   believe you did this to me!"); when that is neutral too, TextError "no facial content".
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from typing import Iterator

from ..errors import AUSpecError, FacsynthError, TextError
from ..facs import CATALOGUE, emotion_aus, parse_intensity
from . import vocabulary as V

__all__ = ["parse", "parse_rule", "check_english", "ENGINES"]

#: Parsing engines: "rule" (this module) and "learned" (facsynth.language.encoder, the LSE).
ENGINES: tuple[str, ...] = ("rule", "learned")

_HEADS = frozenset({"adj", "act", "facs", "code", "emo"})
_SKIP_BACK = frozenset({"noun", "word", "unk", "neg", "neutral"})  # passed over when an adverb looks back
_FAR = 100  # distance a clause separator adds when an adjective looks for its noun
_MIN_ENGLISH = 0.4  # fraction of known words below which the dictionary is consulted
_MIN_DICTIONARY = 0.8  # fraction of dictionary words below which a text is taken as another language

_TOKEN_RE = re.compile(r"__[a-z0-9]+__|[a-z]+(?:[-'][a-z]+)*|[,;.!?:()\[\]\"]")
# "AU12=x" and "AU12:x" take whatever x is (the one intensity reader then accepts or refuses it); "AU12: smile" is a code
_AU_RE = re.compile(r"\b(?:au|action\s+unit)\s*[-_#]?\s*0*(\d{1,3})"
                    r"(?:\s*=\s*([^\s,;]+)|:([^\s,;]+)|\s*:\s*([-+.\d][^\s,;]*)|([a-e])\b)?")
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")  # words of any script
_DIGIT_OR_CUE = re.compile(r"\d|intensity|level|action unit")
_LEVEL_RE = re.compile(r"\b(?:at\s+)?(?:an?\s+)?(?:intensity|level)\s*(?:of\s+|[=:]\s*)?([a-e]|\d+(?:\.\d+)?)\b")


def _build_lexicon() -> dict[str, list[tuple[tuple[str, ...], tuple[str, object]]]]:
    """First word → [(rest of phrase, (kind, value))], longest phrase first; earlier sources win ties."""
    sources: list[tuple[str, dict]] = [
        ("facs", {k: (v,) for k, v in V.FACS_NAMES.items()}),
        ("neutral", dict.fromkeys(V.NEUTRAL_WORDS)),
        ("neg", dict.fromkeys(V.NEGATIONS | {w for w in V.COMMON_WORDS if w.endswith("n't")})),
        ("noun", V.NOUN_ALIASES),
        ("act", V.ACTION_WORDS),
        ("adj", V.ADJECTIVE_FORMS),
        ("emo", V.EMOTION_WORDS),
        ("lvl", {k: float(v) for k, v in V.INTENSITY_WORDS.items()}),
        ("boost", dict.fromkeys(V.BOOSTERS, 4.0)),
        ("and", dict.fromkeys(V.AND_WORDS)),
        ("or", dict.fromkeys(V.OR_WORDS)),
        ("sep", dict.fromkeys(V.SEPARATOR_WORDS)),
        ("word", dict.fromkeys(V.COMMON_WORDS)),
    ]
    seen: dict[str, tuple[str, object]] = {}
    for kind, table in sources:
        for phrase, value in table.items():
            seen.setdefault(phrase, (kind, value))
    lex: dict[str, list] = {}
    for phrase, item in seen.items():
        words = tuple(phrase.split())
        lex.setdefault(words[0], []).append((words[1:], item))
    for cands in lex.values():
        cands.sort(key=lambda c: -len(c[0]))
    return lex


_LEXICON = _build_lexicon()
#: Words that start no longer phrase: looked up in one step.
_SINGLE = {w: c[0][1] for w, c in _LEXICON.items() if len(c) == 1 and not c[0][0]}


def _intensity(raw: str, source: str) -> float:
    try:
        return parse_intensity(raw.rstrip(".!?)\"'"), f"the intensity in {source.strip()!r}")
    except AUSpecError as e:  # parse's contract: bad text is a TextError
        raise TextError(str(e)) from None


def _number(value: float) -> str:
    return f"{value:g}".replace(".", "p")


def _au_token(m: re.Match) -> str:
    code = int(m.group(1))
    if code not in CATALOGUE:
        raise TextError(f"AU{code} in {m.group(0).strip()!r} is not in the catalogue "
                        f"(known: {', '.join(map(str, CATALOGUE))})")
    raw = next((g for g in m.groups()[1:] if g), None)
    return f" __au{code}x{_number(_intensity(raw, m.group(0)))}__ " if raw else f" __au{code}__ "


def _level_token(m: re.Match) -> str:
    return f" __lv{_number(_intensity(m.group(1), m.group(0)))}__ "


def _placeholder(tok: str) -> list:
    body = tok[2:-2]
    if body.startswith("lv"):
        return ["lvl", None, float(body[2:].replace("p", "."))]
    code, _, level = body[2:].partition("x")
    return ["code", (int(code),), float(level.replace("p", ".")) if level else None]


def _sharpen(level: float) -> float:
    """'very' before an intensity word: one level further from the middle (3 → 4)."""
    return max(1.0, level - 1) if level < 3 else min(5.0, level + 1)


def _items(text: str) -> tuple[list[list], int, int]:
    """Text → items [kind, value, level], and the counts of words and of known English words."""
    s = text.lower().replace("’", "'").replace("‘", "'")
    if _DIGIT_OR_CUE.search(s):
        s = _LEVEL_RE.sub(_level_token, _AU_RE.sub(_au_token, s))
    toks = _TOKEN_RE.findall(s)
    items: list[list] = []
    n_other = n_unknown = 0
    single_of = _SINGLE.get
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        i += 1
        entry = single_of(tok)
        if entry is None:
            if tok.startswith("__"):
                items.append(_placeholder(tok))
                n_other += 1
                continue
            if not tok[0].isalpha():
                items.append(["sep", None, None])
                n_other += 1
                continue
            for rest, cand in _LEXICON.get(tok, ()):
                if not rest or tuple(toks[i:i + len(rest)]) == rest:
                    entry = cand
                    i += len(rest)
                    break
            else:
                if tok.endswith("n't"):
                    entry = ("neg", None)
                else:
                    entry = ("unk", tok)
                    n_unknown += 1
        kind = entry[0]
        if kind == "lvl" or kind == "boost":
            level = entry[1]
            if items and items[-1][1] == "boost":
                items.pop()
                level = _sharpen(level) if kind == "lvl" else 5.0
            items.append(["lvl", "boost" if kind == "boost" else None, level])
        else:
            items.append([kind, entry[1], None])
    return items, n - n_other, n - n_other - n_unknown


def _attach_levels(items: list[list]) -> None:
    """Give each intensity word's level to the head it modifies (see the module docstring, step 2)."""
    n = len(items)
    for i, it in enumerate(items):
        if it[0] != "lvl":
            continue
        nxt = items[i + 1] if i + 1 < n else None
        if nxt is not None and nxt[0] in _HEADS and nxt[2] is None:
            nxt[2] = it[2]
            continue
        if it[1] == "boost":  # a lone "very"/"so" only modifies the word right after it
            continue
        target = None
        for k in range(i - 1, -1, -1):
            kind = items[k][0]
            if kind in _HEADS:
                target = items[k] if items[k][2] is None else None
                break
            if kind not in _SKIP_BACK:
                break
        if target is None:
            for k in range(i + 1, n):
                kind = items[k][0]
                if kind in _HEADS:
                    target = items[k] if items[k][2] is None else None
                    break
                if kind == "sep":
                    break
        if target is not None:
            target[2] = it[2]


def _nearest_noun(items: list[list], i: int, adj: str, step: int,
                  limit: int = 3 * _FAR) -> tuple[int, tuple[int, ...] | None]:
    """Distance to and AUs of the nearest noun forming a known pair with ``adj``, looking in direction ``step``.

    Gives up (distance 2**30, None) beyond distance ``limit``.
    """
    dist, k, n = 0, i + step, len(items)
    while 0 <= k < n and dist <= limit:
        kind, value = items[k][0], items[k][1]
        if kind == "noun":
            aus = V.PAIRS.get((adj, value))
            if aus is not None:
                return dist, aus
            dist += 1
        elif kind == "sep":
            dist += _FAR
        elif kind in _HEADS or kind in ("and", "or"):
            dist += 1
        k += step
    return 1 << 30, None


def _heads(items: list[list]) -> Iterator[tuple[str, object, float | None, bool]]:
    """(kind, AUs or emotion, level, negated) for every head that names something.

    A head is negated when a negation cue precedes it in its clause (up to ',', 'and', 'but', …).
    """
    negated = False
    for i, (kind, value, level) in enumerate(items):
        if kind not in _HEADS:
            if kind == "neg":
                negated = True
            elif kind == "sep" or kind == "and":
                negated = False
            continue
        if kind == "adj":
            back, back_aus = _nearest_noun(items, i, value, -1)
            fwd, fwd_aus = _nearest_noun(items, i, value, 1, min(back, 3 * _FAR))
            value = fwd_aus if fwd <= back else back_aus
            if value is None:
                continue
        yield kind, value, level, negated


@functools.lru_cache(maxsize=1)
def _english_dictionary() -> frozenset[str]:
    """The ~126k words of the CMU pronouncing dictionary that pocketsphinx ships (empty if it is missing)."""
    spec = importlib.util.find_spec("pocketsphinx")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "model" / "en-us" / "cmudict-en-us.dict"
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return frozenset(line.split(" ", 1)[0] for line in fh if "(" not in line.split(" ", 1)[0])
    except OSError:
        return frozenset()


def check_english(text: str, n_words: int | None = None, n_known: int | None = None) -> None:
    """Raise TextError when ``text`` is empty, holds no words, or does not look like English.

    Not English: more than 30 % of its letters are non-ASCII, or fewer than 40 % of its words are words
    facsynth knows (its vocabulary plus ~400 frequent words) and fewer than 80 % are in the CMU pronouncing
    dictionary (126k English words, shipped with pocketsphinx; many foreign words are in it too, hence 80 %).
    """
    if not isinstance(text, str):
        raise TextError(f"expected text, got {type(text).__name__}")
    if not text.strip():
        raise TextError('the text is empty (expected a sentence such as "she smiles slightly")')
    if not text.isascii():
        letters = [c for c in text if c.isalpha()]
        if sum(not c.isascii() for c in letters) > 0.3 * len(letters):
            raise TextError("the text does not look like English (mostly non-Latin letters); facsynth reads English")
    if n_words is None:
        _, n_words, n_known = _items(text)
    if n_words and n_known < _MIN_ENGLISH * n_words:
        words = _WORD_RE.findall(text.lower())
        dictionary = _english_dictionary()
        if sum(w in dictionary for w in words) < _MIN_DICTIONARY * len(words):
            raise TextError("the text does not look like English (few English words); facsynth reads English")
    if not any(c.isalpha() for c in text):
        raise TextError("the text holds no words")


def parse_rule(text: str) -> dict[int, float]:
    """The rule parser (see the module docstring); ``parse(text)`` with the emotion fallback left out.

    Returns ``{AU: intensity}`` for active AUs, ``{}`` for a neutral face; raises TextError when the text has
    no facial content.
    """
    if not isinstance(text, str):
        raise TextError(f"expected text, got {type(text).__name__}")
    items, n_words, n_known = _items(text)
    check_english(text, n_words, n_known)
    _attach_levels(items)
    explicit: dict[int, float] = {}
    negated: set[int] = set()
    emotions: list[tuple[str, float]] = []
    for kind, value, level, neg in _heads(items):
        if kind == "emo":
            if not neg:
                emotion, implied = value
                emotions.append((emotion, level if level is not None else float(implied or 3)))
            continue
        if neg:
            negated.update(value)
            continue
        for au in value:
            explicit[au] = max(explicit.get(au, 0.0), 3.0 if level is None else level)
    neutral = any(it[0] == "neutral" for it in items)
    if explicit or neutral:
        out = explicit
    elif emotions:
        out = {}
        for emotion, level in emotions:
            for au, v in emotion_aus(emotion, level).items():
                out[au] = max(out.get(au, 0.0), v)
    elif negated:
        out = {}
    else:
        raise TextError("the text has no facial content: it names no facial movement, expression or emotion")
    return {au: round(v, 3) for au, v in sorted(out.items()) if au not in negated and v > 0}


def _emotion_fallback(text: str) -> dict[int, float]:
    try:
        from .emotion import emotion_track
    except ImportError:
        return {}
    track = emotion_track(text)
    return {au: round(float(v), 3) for au, v in zip(track.aus, track.values[0]) if v >= 0.5}


def parse(text: str, engine: str = "rule") -> dict[int, float]:
    """AU intensities described by one English sentence.

    Parameters
    ----------
    text : str, one sentence, e.g. "She raises her inner brows slightly and smiles broadly."
    engine : "rule" (exact inverse of ``describe``, plus free phrasing; see the module docstring) or
        "learned" (the BiLSTM language encoder, ``facsynth.language.encoder.predict``).

    Returns
    -------
    aus : dict AU → FACS intensity 0–5 (float), active AUs only, ascending; ``{}`` for a neutral face.

    Raises
    ------
    TextError : empty text, text not in English, or text with no facial content (and no emotion the
        emotion classifier finds).

    Examples
    --------
    >>> parse("A woman with slightly raised inner brows and strongly parted lips.")
    {1: 2.0, 25: 4.0}
    >>> parse("AU12 at intensity D, AU6 strong")
    {6: 4.0, 12: 4.0}
    """
    if engine not in ENGINES:
        raise TextError(f"unknown parse engine {engine!r} (expected one of {', '.join(ENGINES)})")
    if engine == "learned":
        check_english(text)
        from .encoder import predict

        return predict([text])[0]
    try:
        return parse_rule(text)
    except TextError as e:
        if not str(e).startswith("the text has no facial content"):
            raise
        try:
            found = _emotion_fallback(text)
        except TextError:
            found = {}
        except FacsynthError as fallback_error:  # e.g. the emotion model is missing: say so, keep the message
            raise TextError(f"{e} (the emotion classifier could not run: {fallback_error})") from None
        if not found:
            raise
        return found
