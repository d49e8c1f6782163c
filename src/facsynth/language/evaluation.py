"""Scoring a parser on a labelled sentence set: AU intensity ranges, AUs that must stay at 0, one-sided AUs.

The set is a TSV file with a header ``class, sentence, expect, absent, sides`` (``tests/data/free_phrasing.tsv``):

- ``expect``: ``AU12:3-5;AU6:0-5`` — each listed AU's *level* (``facs.intensity_level``: 0 absent, 1–5 = A–E)
  must lie in the inclusive range; a range starting at 0 makes the AU optional.
- ``absent``: ``AU25;AU26`` — these must be at level 0; ``*`` means every AU not listed in ``expect``.
- ``sides``: ``AU12:L`` (the person's left), ``AU12:R``, or ``AU12:U`` (one side, either); every one-sided AU of
  the result must be listed unless it is optional (range from 0), so an empty field means "all bilateral".

>>> case = read_cases("tests/data/free_phrasing.tsv")[0]  # doctest: +SKIP
>>> failures(case, {12: 1.0}, {})  # doctest: +SKIP
[]
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from ..errors import FormatError, TextError
from ..facs import ALL_AUS, intensity_level, parse_au_code

__all__ = ["Case", "read_cases", "failures", "score"]


@dataclass(frozen=True)
class Case:
    """One labelled sentence: ``expect`` AU → (lowest, highest) level, ``absent`` AUs, ``sides`` AU → L/R/U."""

    kind: str
    sentence: str
    expect: dict[int, tuple[int, int]]
    absent: frozenset[int]
    sides: dict[int, str] = field(default_factory=dict)


def _pairs(text: str) -> list[tuple[str, str]]:
    out = []
    for item in filter(None, (s.strip() for s in text.split(";"))):
        code, _, value = item.partition(":")
        out.append((code, value))
    return out


def read_cases(path: str | Path) -> list[Case]:
    """The cases of a TSV file (see the module docstring); raises FormatError naming the line of a bad row."""
    path = Path(path)
    cases = []
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE), 2):
                try:
                    expect = {}
                    for code, rng in _pairs(row["expect"] or ""):
                        lo, _, hi = rng.partition("-")
                        expect[parse_au_code(code)] = (int(lo), int(hi))
                    absent_field = (row["absent"] or "").strip()
                    absent = (frozenset(a for a in ALL_AUS if a not in expect) if absent_field == "*"
                              else frozenset(parse_au_code(c) for c, _ in _pairs(absent_field)))
                    sides = {parse_au_code(c): s.upper() for c, s in _pairs(row["sides"] or "")}
                    if any(s not in ("L", "R", "U") for s in sides.values()):
                        raise ValueError("a side is L, R or U")
                except (ValueError, KeyError, TypeError, AttributeError) as e:
                    raise FormatError(f"{path}:{n}: bad row ({e})") from None
                cases.append(Case(row["class"], row["sentence"], expect, absent, sides))
    except OSError as e:
        raise FormatError(f"cannot read {path}: {e}") from None
    return cases


def failures(case: Case, aus: Mapping[int, float], sides: Mapping[int, str]) -> list[str]:
    """Why ``aus`` (AU → intensity 0–5) and ``sides`` (AU → "L"/"R"/"U") miss ``case``; ``[]`` when it passes."""
    out = []
    level = {a: intensity_level(min(max(float(v), 0.0), 5.0)) for a, v in aus.items()}
    for au, (lo, hi) in case.expect.items():
        if not lo <= level.get(au, 0) <= hi:
            out.append(f"AU{au} level {level.get(au, 0)} not in {lo}-{hi}")
    for au in sorted(case.absent):
        if level.get(au, 0) > 0:
            out.append(f"AU{au} level {level[au]} should be absent")
    for au, side in case.sides.items():
        got = sides.get(au)
        if got is None or (side != "U" and got != side):
            out.append(f"AU{au} side {got or 'both'}, expected {side}")
    for au, got in sides.items():
        optional = case.expect.get(au, (1, 5))[0] == 0
        if au not in case.sides and level.get(au, 0) > 0 and not optional:
            out.append(f"AU{au} side {got}, expected both")
    return out


def score(cases: list[Case], read: Callable[[str], tuple[Mapping[int, float], Mapping[int, str]]]
          ) -> tuple[float, dict[str, tuple[int, int]], list[tuple[Case, list[str]]]]:
    """Pass rate of ``read`` (sentence → (AUs, sides)) on ``cases``.

    Returns ``(pass_rate 0–1, {class: (passed, total)}, [(failed case, reasons)])``. A sentence ``read`` rejects
    with a TextError counts as a failure with the error as its reason; other errors propagate.
    """
    by_class: dict[str, list[int]] = {}
    failed = []
    for case in cases:
        try:
            aus, sides = read(case.sentence)
            why = failures(case, aus, sides)
        except TextError as e:
            why = [f"{type(e).__name__}: {e}"]
        stats = by_class.setdefault(case.kind, [0, 0])
        stats[1] += 1
        if why:
            failed.append((case, why))
        else:
            stats[0] += 1
    passed = sum(s[0] for s in by_class.values())
    return passed / max(len(cases), 1), {k: (v[0], v[1]) for k, v in by_class.items()}, failed
