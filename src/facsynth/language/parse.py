"""Sentence → AUs by rule: the exact inverse of ``describe`` plus free phrasing (docs/language.md has the tables).

How a sentence is read (one left-to-right pass, no model):

1. AU codes ("AU12", "AU 4", "AU12=D", "AU6:3.5") and "(at) intensity/level D|4", "at E" become tokens; the text
   is split into words; the longest vocabulary phrase wins at each position ("lip corner puller" over "lip corner").
2. Degree words (FACS levels A–E) attach to a *head* (an adjective or verb, an action word such as "smiles", a FACS
   name, an AU code or an emotion word): to the next word when it is a head ("slightly raised"; also over a noun:
   "a slight jaw drop"), else back to the nearest head of the clause that has none yet ("smiles a little", "AU6
   strong"), else forward. "very" sharpens the next degree word ("very slightly" → 1); two in a row count as the
   last ("quite strongly" → 4). A head without one is level 3, or the level its word implies ("beams" → 4).
   Scope: a degree word beside "both"/"each"/"all" goes to every head of the sentence without one; one before the
   first of a list of adjectives governs the list.
3. Each adjective or verb pairs with the nearest face-part noun it forms a known pair with, before or after it
   ("raised inner brows", "inner brows raised", "raises her inner brows"; commas count as far away), and with the
   nouns coordinated with that one ("opens his eyes and mouth").
4. Negation ("not", "without", "doesn't", "bites back", …) zeroes the AUs of the heads after it up to the end of the
   clause (",", "and", "but", …), unless the text asserts that movement elsewhere; held-still phrases ("lips sealed",
   "jaw held still", "keeps her mouth shut") keep their part's AUs at 0.
5. Side words ("left", "right", "lopsided", "on one side"; "smirks", contempt) put the heads of their clause on one
   side: ``Reading.sides``.
6. Explicit movements win: emotion words ("a very happy woman", "slightly sad") give the EMFACS prototype scaled
   to their intensity only when the text names no facial movement; then several emotions merge by maximum.
   Words for a resting face ("a relaxed face", "a neutral expression") give ``{}``.
7. A text with none of these is handed to ``facsynth.language.emotion.classify`` (a feeling such as "I can't
   believe you did this to me!"); when its top label is neutral, the face is neutral and one warning says so.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import warnings
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Iterable, Iterator

from .._lazy import lazy_module
from ..errors import AUSpecError, ModelError, NoFacialContentError, TextError
from ..facs import CATALOGUE, UNILATERAL, emotion_aus, parse_intensity
from ..track import DEFAULT_FPS, AUTrack
from . import vocabulary as V

text_emotion = lazy_module("facsynth.language.emotion")   # the text-emotion models: only for the fallback
encoder = lazy_module("facsynth.language.encoder")   # torch: only for engine="learned"

__all__ = ["parse", "read", "read_rule", "parse_rule", "Reading", "check_english", "ENGINES", "UNSPECIFIED_SIDE"]

#: Parsing engines: "rule" (this module) and "learned" (facsynth.language.encoder, the LSE).
ENGINES: tuple[str, ...] = ("rule", "learned")
#: Where a movement the text puts on "one side" without naming it ("a lopsided smirk", contempt) is drawn: the
#: person's own right, as EMFACS writes contempt (R12A + R14A).
UNSPECIFIED_SIDE = "R"

_HEADS = frozenset({"adj", "act", "facs", "code", "emo", "nounhead"})
_SKIP_BACK = frozenset({"noun", "word", "unk", "neg", "neutral", "side", "scope"})  # passed over when an adverb looks back
_FAR = 100  # distance a clause separator adds when an adjective looks for its noun
_MIN_ENGLISH = 0.4  # fraction of known words below which the dictionary is consulted
_MIN_DICTIONARY = 0.8  # fraction of dictionary words below which a text is taken as another language

_TOKEN_RE = re.compile(r"__[a-z0-9]+__|[a-z]+(?:[-'][a-z]+)*|[,;.!?:()\[\]\"]")
# "AU12=x" and "AU12:x" take whatever x is (the one intensity reader then accepts or refuses it); "AU12: smile" is a code
_AU_RE = re.compile(r"\b(?:au|action\s+unit)\s*[-_#]?\s*0*(\d{1,3})"
                    r"(?:\s*=\s*([^\s,;]+)|:([^\s,;]+)|\s*:\s*([-+.\d][^\s,;]*)|([a-e])\b)?")
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")  # words of any script
_DIGIT = re.compile(r"\d")
_AT_LETTER = re.compile(r"\bat [b-e]\b")
_PUNCTUATION = ',;.!?:()[]"'  # each one a token of its own (the last alternative of _TOKEN_RE)
#: Text of lower-case letters, spaces, punctuation, hyphens and apostrophes only: ``_tokens`` splits it with
#: string methods, when every hyphen and apostrophe is inside a word (``_LOOSE_JOINER`` finds none).
_PLAIN = re.compile(r"[a-z ,;.!?:()\[\]\"'-]*")
_LOOSE_JOINER = re.compile(r"[-'](?:(?![a-z])|(?<![a-z][-']))")  # starts with the joiner: a fast scan
_LEVEL_RE = re.compile(r"\b(?:(?:at\s+)?(?:an?\s+)?(?:intensity|level)\s*(?:of\s+|[=:]\s*)?([a-e]|\d+(?:\.\d+)?)"
                       r"|at\s+([b-e]))\b")


def _build_lexicon() -> dict[str, list[tuple[tuple[str, ...], tuple, bool, int]]]:
    """First word → [(rest of phrase, (kind, value, implied level, implied side), ends in a noun, len(rest))],
    longest phrase first; earlier sources win ties."""
    sources: list[tuple[str, dict]] = [
        ("facs", {k: (v,) for k, v in V.FACS_NAMES.items()}),
        ("neutral", dict.fromkeys(V.NEUTRAL_WORDS)),
        ("neg", dict.fromkeys(V.NEGATIONS | {w for w in V.COMMON_WORDS if w.endswith("n't")})),
        ("nounhead", {w: V.NOUN_ALIASES[w] for w in V.NOUN_ALIASES if V.NOUN_ALIASES[w] in V.NOUN_HEADS}),
        ("noun", V.NOUN_ALIASES),
        ("act", V.ACTION_WORDS),
        ("adj", V.ADJECTIVE_FORMS),
        ("emo", V.EMOTION_WORDS),
        ("lvl", {k: float(v) for k, v in V.INTENSITY_WORDS.items()}),
        ("boost", dict.fromkeys(V.BOOSTERS, 4.0)),
        ("side", V.SIDE_WORDS),
        ("scope", dict.fromkeys(V.SCOPE_WORDS)),
        ("and", dict.fromkeys(V.AND_WORDS)),
        ("or", dict.fromkeys(V.OR_WORDS)),
        ("sep", dict.fromkeys(V.SEPARATOR_WORDS)),
        ("word", dict.fromkeys(V.COMMON_WORDS)),
    ]
    seen: dict[str, tuple] = {}
    for kind, table in sources:
        for phrase, value in table.items():
            if phrase not in seen:
                level, side = V.IMPLIED.get(phrase, (None, None))
                seen[phrase] = (kind, value, level, side)
    lex: dict[str, list] = {}
    nouns = {w for w in V.NOUN_ALIASES if " " not in w}
    for phrase, item in seen.items():
        words = tuple(phrase.split())
        noun_final = len(words) > 1 and item[0] != "noun" and words[-1] in nouns
        lex.setdefault(words[0], []).append((words[1:], item, noun_final, len(words) - 1))
    for cands in lex.values():
        cands.sort(key=lambda c: -len(c[0]))
    return lex


_LEXICON = _build_lexicon()
#: The same candidates indexed by their first two words: first → second → [(rest as a list, item, ends in a
#: noun, len(rest))] for phrases of two words or more, longest first; a word alone → its one-word entry (the
#: phrase of no more words).
_FOLLOW: dict[str, dict[str, list]] = {}
_ALONE: dict[str, tuple] = {}
for _first, _cands in _LEXICON.items():
    for _c in _cands:
        if _c[3]:
            _FOLLOW.setdefault(_first, {}).setdefault(_c[0][0], []).append((list(_c[0]), *_c[1:]))
        else:
            _ALONE[_first] = _c[1]
#: Words that start no longer phrase, and punctuation: looked up in one step, as the item they become (copied), or
#: the entry of an intensity word (which needs the words before it).
_SINGLE = {w: ([c[0][1][0], c[0][1][1], None, c[0][1][2], c[0][1][3], w]
               if c[0][1][0] not in ("lvl", "boost") else c[0][1])
           for w, c in _LEXICON.items() if len(c) == 1 and not c[0][0]}
_SINGLE.update({c: ["sep", c, None, None, None, c] for c in _PUNCTUATION})
_ADJ_FIRST = frozenset(w.split()[0] for w in V.ADJECTIVE_FORMS) - V.AND_WORDS - V.COMMON_WORDS
_END = frozenset({".", "!", "?"})  # sentence ends: the reach of a scope word and of a spread degree word
#: (adjective, noun) → (AUs, whether the phrase holds them at 0): vocabulary.PAIRS and HOLD_PAIRS in one lookup.
_PAIRED: dict[tuple[str, str], tuple[tuple[int, ...], bool]] = {
    **{k: (v, True) for k, v in V.HOLD_PAIRS.items()}, **{k: (v, False) for k, v in V.PAIRS.items()}}
#: The same pairs by adjective: adjective → {noun: (AUs, holds)}.
_PAIRED_BY_ADJ: dict[str, dict[str, tuple[tuple[int, ...], bool]]] = {}
for (_adj, _noun), _found in _PAIRED.items():
    _PAIRED_BY_ADJ.setdefault(_adj, {})[_noun] = _found
_NO_PAIRS: dict = {}
_COUNTED = _HEADS | {"and", "or"}  # items that put a noun one step further from an adjective
_NOUN_KINDS = frozenset({"noun", "nounhead"})
_KIND = itemgetter(0)
_LEVELS = frozenset(k / 2 for k in range(11))  # intensities 0, 0.5, …, 5 that round(v, 3) leaves as they are
_DETERMINERS = frozenset({"a", "an", "the", "her", "his", "their", "my", "your", "its", "both", "each", "all", "of"})


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
    raw = m.group(1) or m.group(2)
    return f" __lv{_number(_intensity(raw, m.group(0)))}__ "


def _item(kind: str, value, level=None, implied=None, side=None, words: str = "") -> list:
    """One word or phrase of a sentence: [kind, value, level, implied level, side, words]."""
    return [kind, value, level, implied, side, words]


def _placeholder(tok: str) -> list:
    body = tok[2:-2]
    if body.startswith("lv"):
        return _item("lvl", None, float(body[2:].replace("p", ".")), words=tok)
    code, _, level = body[2:].partition("x")
    words = f"AU{code}"
    return _item("code", (int(code),), float(level.replace("p", ".")) if level else None, words=words)


def _sharpen(level: float) -> float:
    """'very' before an intensity word: one level further from the middle (3 → 4)."""
    return max(1.0, level - 1) if level < 3 else min(5.0, level + 1)


def _has_codes(s: str) -> bool:
    """Whether lower-case ``s`` may hold AU codes or intensity cues: a digit, "intensity", "level", "action unit",
    "at B"–"at E" (plain substring tests first: most sentences have none)."""
    if "intensity" in s or "level" in s or "action unit" in s:
        return True
    if s.isascii():
        if any(d in s for d in "0123456789"):
            return True
    elif _DIGIT.search(s):
        return True
    return "at " in s and _AT_LETTER.search(s) is not None


def _tokens(s: str) -> list[str]:
    """The tokens of lower-case ``s``: ``_TOKEN_RE.findall(s)``, computed with ``str.split`` for plain text (most
    sentences), where both give the same list and the split is several times faster."""
    if _PLAIN.fullmatch(s) is None or (("'" in s or "-" in s) and _LOOSE_JOINER.search(s) is not None):
        return _TOKEN_RE.findall(s)
    for c in _PUNCTUATION:
        if c in s:
            s = s.replace(c, f" {c} ")
    return s.split()


def _items(text: str) -> tuple[list[list], int, int]:
    """Text → items (see ``_item``), and the counts of words and of known English words."""
    s = text.lower().replace("’", "'").replace("‘", "'")
    if _has_codes(s):
        s = _LEVEL_RE.sub(_level_token, _AU_RE.sub(_au_token, s))
    n_other = 0  # tokens that are not words: punctuation (every such character is one token) and codes
    for c in _PUNCTUATION:
        if c in s:
            n_other += s.count(c)
    toks = _tokens(s)
    items: list[list] = []
    append = items.append
    n_unknown = 0
    single_of, follow_of = _SINGLE.get, _FOLLOW.get
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        i += 1
        entry = single_of(tok)
        if entry.__class__ is list:
            append(entry[:])
            continue
        start = i - 1
        if entry is None:
            if tok[0] == "_":
                append(_placeholder(tok))
                n_other += 1
                continue
            follow = follow_of(tok)
            cands = follow.get(toks[i]) if follow is not None and i < n else None
            if cands is not None:
                for rest, cand, noun_final, m in cands:
                    if noun_final and i + m < n and toks[i + m] in _ADJ_FIRST:
                        continue  # "smiles with her eyes closed": the adjective keeps its noun
                    if toks[i:i + m] == rest:
                        entry = cand
                        i += m
                        break
            if entry is None:
                entry = _ALONE.get(tok)
            if entry is None:
                if tok.endswith("n't"):
                    entry = ("neg", None, None, None)
                else:
                    entry = ("unk", tok, None, None)
                    n_unknown += 1
        kind, value, implied, side = entry
        words = tok if i == start + 1 else " ".join(toks[start:i])
        if kind == "lvl" or kind == "boost":
            level = value
            if items and items[-1][1] == "boost":
                level = _sharpen(level) if kind == "lvl" else 5.0
                words = items.pop()[5] + " " + words
            elif kind == "lvl" and items and items[-1][0] == "lvl":
                # two degree words in a row: the last counts ("quite strongly", "moderately hard"), raised by a
                # first one that is itself strong ("extremely broadly"), lowered by a hedge ("somewhat strongly")
                before = items.pop()
                if before[2] >= 4 and level >= 3:
                    level = max(level, before[2])
                elif before[2] <= 2 and level >= 3:  # a hedge: "somewhat strongly", "not very broadly"
                    level -= 1
                words = before[5] + " " + words
            append(["lvl", "boost" if kind == "boost" else None, level, None, None, words])
        else:
            append([kind, value, None, implied, side, words])
    return items, n - n_other, n - n_other - n_unknown


def _is_head(item: list) -> bool:
    """A head that can take a degree word (not a state such as "held still")."""
    return item[0] in _HEADS and not (item[0] == "adj" and item[1] in V.NO_DEGREE)


def _attach_levels(items: list[list], kind_of: list[str], kinds: set[str]) -> None:
    """Give each intensity word's level to the head it modifies (see the module docstring, step 2); ``kind_of``
    is the kind of each item, ``kinds`` the set of them."""
    n = len(items)
    before_adj: list[int] = []
    i = -1
    for _ in range(kind_of.count("lvl")):
        i = kind_of.index("lvl", i + 1)
        it = items[i]
        if it[1] == "attached":
            continue
        nxt = items[i + 1] if i + 1 < n else None
        if nxt is not None and nxt[2] is None and nxt[0] in _HEADS and not (
                nxt[0] == "adj" and nxt[1] in V.NO_DEGREE):  # a head that takes a degree word (_is_head)
            nxt[2], nxt[5] = it[2], f"{it[5]} {nxt[5]}"
            if nxt[0] == "adj":
                before_adj.append(i + 1)
            continue
        if nxt is not None and (nxt[0] in ("noun", "nounhead", "unk") or (
                nxt[0] == "sep" and nxt[1] == "," and i and items[i - 1][0] == "word"
                and items[i - 1][5] in _DETERMINERS)):  # "a slight jaw drop", "a big toothy smile", "a broad, … grin"
            k = i + 1
            while k < n and k <= i + 4 and (items[k][0] in ("noun", "nounhead", "unk", "side") or items[k][1] == ","):
                k += 1
            if k < n and _is_head(items[k]) and items[k][2] is None and items[k][0] != "nounhead" \
                    and items[k - 1][0] != "nounhead":
                items[k][2], items[k][5] = it[2], f"{it[5]} {items[k][5]}"
                if items[k][0] == "adj":
                    before_adj.append(k)
                continue
        if it[1] == "boost":  # a lone "very"/"so" only modifies the word right after it
            continue
        at_end = nxt is None or (nxt[0] == "sep" and nxt[1] in _END)
        target = None
        comma_skipped = False
        for k in range(i - 1, -1, -1):
            kind = items[k][0]
            if kind == "adj" and items[k][1] in V.NO_DEGREE:
                continue
            if kind in _HEADS:
                target = items[k] if items[k][2] is None else None
                break
            if kind == "sep" and at_end and items[k][1] == "," and not comma_skipped:
                comma_skipped = True
                continue  # "Mouth stretch, extreme."; "narrows her eyes to a squint, just slightly."
            if kind == "and" and items[k + 1][0] in ("noun", "word"):
                continue  # "opens his eyes and mouth wide"
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
            target[2], target[5] = it[2], f"{target[5]} {it[5]}"
            it[1] = "attached"
    if before_adj:
        _spread_over_lists(items, before_adj)
    if "scope" in kinds:
        _spread_scope(items)


def _spread_over_lists(items: list[list], starts: list[int]) -> None:
    """A degree word before the first of a list of adjectives governs the list: "strongly lowered brows,
    tightened lids and pressed lips" (every adjective of it without its own degree word). ``starts``: the indices of
    the adjectives that took a degree word from before them."""
    n = len(items)
    for i in starts:
        it = items[i]
        k = i + 1
        while k < n:
            kind = items[k][0]
            if kind == "adj" and items[k][2] is None:
                items[k][2] = it[2]
            elif kind == "adj":
                break
            elif not (kind in ("noun", "and") or (kind == "sep" and items[k][1] == ",")
                      or (kind == "word" and items[k][5] in _DETERMINERS)):
                break
            k += 1


def _sentences(items: list[list]) -> Iterator[tuple[int, int]]:
    start = 0
    for i, it in enumerate(items):
        if it[0] == "sep" and it[1] in _END:
            yield start, i
            start = i + 1
    yield start, len(items)


def _spread_scope(items: list[list]) -> None:
    """"both", "each", "all": the degree word beside them goes to every movement of the sentence without its own
    ("She raises her brows and widens her eyes, both strongly"; "He both frowns and squints hard")."""
    n = len(items)
    for start, end in _sentences(items):
        # "both eyebrows", "each corner", "all of her lips" name parts, not a scope ("all of her face" does)
        scopes = [k for k in range(start, end) if items[k][0] == "scope" and not (
            k + 1 < n and (items[k + 1][0] in ("noun", "nounhead") or items[k + 1][5] == "of")
            and not any(items[j][1] == "face" for j in range(k + 1, min(k + 5, n))))]
        if not scopes:
            continue
        levels = [k for k in range(start, end) if items[k][0] == "lvl" and items[k][1] != "boost"]
        if not levels:
            continue
        after = [k for k in levels if k > scopes[0]]
        src = items[after[0]] if after else items[levels[-1]]
        for k in range(start, end):
            if items[k][0] in _HEADS and items[k][0] != "emo" and items[k][2] is None:
                items[k][2], items[k][5] = src[2], f"{items[k][5]} {src[5]}"


def _nearest_noun(items: list[list], kinds: list[str], i: int, adj: str) -> tuple[tuple[int, ...] | None, bool, int]:
    """The noun the adjective at ``i`` pairs with: the nearest noun forming a known pair with ``adj``, before or
    after it, by distance (the items between them: nouns, heads, "and", "or" count 1, a separator ``_FAR``; a tie
    goes to the noun after). Each search gives up beyond distance 3 × ``_FAR``, and the forward one stops at the
    next adjective or action word ("rolls her eyes and purses her lips": the lips belong to "purses").

    kinds : the kind of each item. Returns the noun's AUs, whether the pair holds them at 0 ("lips sealed"), and
    its index; (None, False, -1) when there is none.
    """
    paired = _PAIRED_BY_ADJ.get(adj, _NO_PAIRS).get
    back = _scan_for_noun(items, kinds, range(i - 1, -1, -1), paired, 3 * _FAR, ())
    ahead = _scan_for_noun(items, kinds, range(i + 1, len(kinds)), paired, 3 * _FAR if back is None else back[2],
                           ("adj", "act"))
    best = ahead or back
    return (None, False, -1) if best is None else (best[0][0], best[0][1], best[1])


def _scan_for_noun(items: list[list], kinds: list[str], order: Iterable[int], paired, limit: int,
                   stops: tuple[str, ...]) -> tuple[tuple, int, int] | None:
    """The first noun along ``order`` that ``paired`` pairs, within distance ``limit`` (see ``_nearest_noun``),
    stopping at an item of a kind in ``stops``: (``paired``'s answer, its index, its distance), or None."""
    dist = 0
    for k in order:
        kind = kinds[k]
        if kind in _NOUN_KINDS:
            found = paired(items[k][1])
            if found is not None:
                return found, k, dist
            dist += 1
        elif kind == "sep":
            dist += _FAR
        elif kind in stops:
            break
        elif kind in _COUNTED:
            dist += 1
        else:
            continue
        if dist > limit:
            break
    return None


def _noun_list(items: list[list], k: int, adj: str, step: int) -> list[tuple[int, tuple[int, ...], bool]]:
    """The other nouns coordinated with the noun at ``k`` ("her eyes and mouth", "brows, lids and lips") that
    form a known pair with ``adj``: [(index, AUs, holds)]. A noun with its own adjective or degree word on its
    far side ("… parted lips, inner brows raised") belongs to that one and ends the list."""
    out = []
    j, n, joined = k + step, len(items), False
    while 0 <= j < n:
        kind, value = items[j][0], items[j][1]
        if kind == "and" or (kind == "sep" and value == ","):
            joined = True
        elif kind in ("noun", "nounhead") and joined:
            far = j + step
            while 0 <= far < n and items[far][0] == "word" and items[far][5] in _DETERMINERS:
                far += step
            if 0 <= far < n and items[far][0] in (("adj", "act") if step > 0 else ("adj", "lvl", "act")):
                break
            found = _PAIRED.get((adj, value))
            if found is not None:
                out.append((j, *found))
            joined = False
        elif not ((kind == "word" and items[j][5] in _DETERMINERS) or kind == "scope"):
            break
        j += step
    return out


def _heads(items: list[list], kinds: list[str]) -> list[dict]:
    """Every head that names something: {"kind", "aus" (or emotion), "level", "negated", "holds", "side",
    "noun" (index of the paired noun or -1), "words"}.

    A head is negated when a negation cue precedes it in its clause (up to ',', 'and', 'but', …). ``kinds``: the
    kind of each item.
    """
    out: list[dict] = []
    negated = has_side = False
    claimed: set[int] = set()
    for i, kind in enumerate(kinds):
        if kind not in _HEADS:
            if kind == "sep" or kind == "and":
                negated = False
            elif kind == "neg":
                negated = True
            elif kind == "side":
                has_side = True
            continue
        _, value, level, implied, side, words = items[i]
        degree = level is not None
        if level is None and implied is not None:
            level = float(implied)
        if kind == "adj":
            aus, holds, k = _nearest_noun(items, kinds, i, value)
            if aus is None:
                continue
            step = 1 if k > i else -1
            after = items[k + step] if 0 <= k + step < len(items) else None
            listed = (_noun_list(items, k, value, step)
                      if after is not None and (after[0] == "and" or after[1] == ",") else ())
            for j, more, more_holds in [(k, aus, holds), *listed]:
                claimed.add(j)
                out.append({"kind": kind, "aus": more, "level": level, "degree": degree, "negated": negated,
                            "holds": more_holds, "side": side, "noun": j, "index": i,
                            "words": f"{words} {items[j][5]}" if step > 0 else f"{items[j][5]} {words}"})
            continue
        aus = V.NOUN_HEADS[value] if kind == "nounhead" else value
        out.append({"kind": kind, "aus": aus, "level": level, "degree": degree, "negated": negated,
                    "holds": False, "side": side, "noun": -1, "index": i, "words": words})
    if claimed:
        for h in out:
            if h["kind"] == "nounhead" and h["index"] in claimed:
                h["aus"] = ()
        # "pulls the corners of her mouth down": the plain "pull" yields to the direction named for the same part
        for h in out:
            if h["kind"] == "adj" and items[h["index"]][1] == "pulled" and any(
                    g is not h and g["noun"] == h["noun"] and g["kind"] == "adj" for g in out):
                h["aus"] = ()
    if has_side:
        _assign_sides(items, out)
    return out


def _assign_sides(items: list[list], heads: list[dict]) -> None:
    """A side word ("left", "lopsided", "on one side") goes to every head of its clause (up to ',', 'and',
    'but', …): "The left side of his mouth stretches sideways"."""
    clause, sides_of = 0, {}
    clause_of: dict[int, int] = {}
    for i, it in enumerate(items):
        if it[0] == "sep" or it[0] == "and":
            clause += 1
        elif it[0] == "side" and (clause not in sides_of or sides_of[clause][1] == "U"):
            sides_of[clause] = it  # "a crooked half-smile to the right": the named side wins over "one side"
        clause_of[i] = clause
    for h in heads:
        side = sides_of.get(clause_of[h["index"]])
        if side is not None:
            h["side"] = side[1]
            h["words"] = f"{side[5]} {h['words']}"


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


@dataclass(frozen=True)
class Reading:
    """What a sentence describes.

    aus : dict AU → FACS intensity 0–5 (float), active AUs only, ascending; ``{}`` for a neutral face.
    sides : dict AU → "L" (the person's own left), "R" or "U" (one side, unspecified) for the AUs the text puts on
        one side ("raises her left brow", "a lopsided smirk", contempt); bilateral AUs are not listed.
        ``track()`` carries them into ``AUTrack.sides``, which the renderers read.
    words : dict AU → the words that set it ("raises her left brow slightly"), for ``--explain`` (rule engine;
        the learned engine's are its attention weights, ``facsynth.language.encoder.explain``).
    engine : "rule" or "learned"
    """

    aus: dict[int, float]
    sides: dict[int, str] = field(default_factory=dict)
    words: dict[int, list[str]] = field(default_factory=dict)
    engine: str = "rule"

    def track(self, fps: float = DEFAULT_FPS) -> AUTrack:
        """The reading as a one-frame AUTrack with its one-sided AUs; "U" (one side, unspecified) is drawn on
        ``UNSPECIFIED_SIDE`` (the person's right, as EMFACS writes contempt)."""
        sides = {au: UNSPECIFIED_SIDE if s == "U" else s for au, s in self.sides.items()}
        return AUTrack.still(self.aus, fps=fps, sides=sides)


def _merge_brows(heads: list[dict]) -> None:
    """Brows both raised and drawn together are AU1 + AU4 (FACS's "worried" brows), not 1 + 2 + 4."""
    lowered = {h["noun"] for h in heads if h["aus"] == (4,) and h["noun"] >= 0 and not h["negated"]}
    for h in heads:
        if h["aus"] == (1, 2) and h["noun"] in lowered:
            h["aus"] = (1,)


def read_rule(text: str) -> Reading:
    """The rule parser (see the module docstring) with sides and the words behind each AU, no emotion fallback.

    Raises NoFacialContentError (a TextError) when the text has no facial content.
    """
    if not isinstance(text, str):
        raise TextError(f"expected text, got {type(text).__name__}")
    items, n_words, n_known = _items(text)
    check_english(text, n_words, n_known)
    kind_of = list(map(_KIND, items))
    kinds = set(kind_of)
    if "lvl" in kinds:
        _attach_levels(items, kind_of, kinds)
    heads = _heads(items, kind_of)
    _merge_brows(heads)
    explicit: dict[int, float] = {}
    stated: set[int] = set()  # AUs with a degree word of their own: it beats the default of another mention
    negated: set[int] = set()  # by a negation cue ("does not smile")
    held: set[int] = set()  # by a held-still phrase ("lips sealed", "jaw held still")
    emotions: list[tuple[str, float, str | None]] = []
    sides: dict[int, set[str]] = {}  # the sides an AU is named on; an AU named without a side is bilateral
    bilateral: set[int] = set()
    words: dict[int, list[str]] = {}
    for h in heads:
        if h["kind"] == "emo":
            if not h["negated"]:
                emotion, implied = h["aus"]
                level = h["level"] if h["level"] is not None else float(implied or 3)
                emotions.append((emotion, level, h["side"]))
            continue
        if h["holds"]:
            held.update(h["aus"])
            continue
        if h["negated"]:
            negated.update(h["aus"])
            continue
        level, side, has_degree = (3.0 if h["level"] is None else h["level"]), h["side"], h["degree"]
        for au in h["aus"]:
            if has_degree and au not in stated:
                stated.add(au)
                explicit[au] = level
            elif explicit.get(au, 0.0) < level and (has_degree or au not in stated):
                explicit[au] = level
            if side is None:
                bilateral.add(au)
            else:
                sides.setdefault(au, set()).add(side)
            if au in words:
                words[au].append(h["words"])
            else:
                words[au] = [h["words"]]
    if explicit or "neutral" in kinds:
        out = explicit
    elif emotions:
        out = {}
        for emotion, level, side in emotions:
            one_sided = UNILATERAL.get(emotion, frozenset())
            for au, v in emotion_aus(emotion, level).items():
                out[au] = max(out.get(au, 0.0), v)
                if side is None and au not in one_sided:
                    bilateral.add(au)
                else:
                    sides.setdefault(au, set()).add(side or "U")
                words.setdefault(au, []).append(emotion)
    elif negated or held:
        out = {}
    else:
        raise NoFacialContentError("the text has no facial content: it names no facial movement, expression or "
                                   "emotion")
    negated -= explicit.keys()  # a movement the text asserts somewhere stays ("twitch but doesn't smile")
    negated |= held  # a part held still stays still
    aus = {au: v if v in _LEVELS else round(v, 3) for au, v in sorted(out.items()) if au not in negated and v > 0}
    one_side = {}
    for au, got in sides.items():
        if au in aus and au not in bilateral:  # a movement also named without a side stays bilateral
            one_side[au] = got.pop() if len(got) == 1 else "U"
    return Reading(aus, one_side, {au: words.get(au, []) for au in aus}, "rule")


def parse_rule(text: str) -> dict[int, float]:
    """The rule parser's AUs (``read_rule(text).aus``): ``parse(text)`` with the emotion fallback left out.

    Returns ``{AU: intensity}`` for active AUs, ``{}`` for a neutral face; raises TextError when the text has
    no facial content.
    """
    return read_rule(text).aus


def _emotion_fallback(text: str) -> dict[int, float] | None:
    """AUs of the emotion the text classifier finds, or None when it finds none (a neutral top label)."""
    result = text_emotion.classify(text)
    if result.emotion == "neutral":
        return None
    return {au: round(float(v), 3) for au, v in sorted(text_emotion.expression(result).items()) if v >= 0.5}


def read(text: str, engine: str = "rule") -> Reading:
    """What one English sentence describes: AU intensities, one-sided AUs, and the words behind each AU.

    Parameters
    ----------
    text : str, one sentence, e.g. "She raises her left brow slightly and smiles broadly."
    engine : "rule" (default: exact inverse of ``describe`` plus free phrasing, see the module docstring) or
        "learned" (the BiLSTM language encoder, ``facsynth.language.encoder``; no sides, no words).

    Returns
    -------
    Reading : ``aus`` (AU → 0–5), ``sides`` (AU → "L"/"R"/"U"), ``words`` (AU → words), ``engine``.
    A text with no facial or emotional content ("The train leaves at noon.") gives a neutral face and one
    warning ("no facial or emotional content …").

    Raises
    ------
    TextError : empty text, text not in English, or an unknown engine.
    """
    if engine not in ENGINES:
        raise TextError(f"unknown parse engine {engine!r} (expected one of {', '.join(ENGINES)})")
    if engine == "learned":
        check_english(text)
        return Reading(encoder.predict([text])[0], {}, {}, "learned")
    try:
        return read_rule(text)
    except NoFacialContentError as e:
        try:
            found = _emotion_fallback(text)
        except TextError:
            found = None
        except ModelError as fallback_error:  # the emotion model is missing or broken: say so, keep the message
            raise TextError(f"{e} (the emotion classifier could not run: {fallback_error})") from None
        if not found:
            warnings.warn("no facial or emotional content in the text: the face stays neutral", stacklevel=2)
            return Reading({}, {}, {}, "rule")
        return Reading(found, {}, {au: ["(emotion of the whole text)"] for au in found}, "rule")


def parse(text: str, engine: str = "rule") -> dict[int, float]:
    """AU intensities described by one English sentence (``read(text, engine).aus``; see :func:`read`).

    Returns
    -------
    aus : dict AU → FACS intensity 0–5 (float), active AUs only, ascending; ``{}`` for a neutral face (also
        for a text with no facial or emotional content, with a warning).

    Raises
    ------
    TextError : empty text, text not in English, or an unknown engine.

    Examples
    --------
    >>> parse("A woman with slightly raised inner brows and strongly parted lips.")
    {1: 2.0, 25: 4.0}
    >>> parse("AU12 at intensity D, AU6 strong")
    {6: 4.0, 12: 4.0}
    """
    return read(text, engine).aus
