"""What an augmentation run renders on each photo: the spec (emotions, AU sets, sentences, random AU samples)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ..errors import AUSpecError, FormatError, TextError
from ..facs import OPENFACE_AUS, canonical_emotion, emotion_aus, parse_au_code, parse_au_spec, parse_intensity
from ..language.parse import read

__all__ = ["Expression", "Item", "parse_expression", "parse_spec", "parse_emotions", "items_for", "item_seed",
           "RANDOM_AUS", "RANDOM_INTENSITY"]

#: AUs a ``random`` line samples from unless it names its own: OpenFace's 17.
RANDOM_AUS: tuple[int, ...] = OPENFACE_AUS
#: Intensity range (FACS 0–5) of a randomly sampled AU.
RANDOM_INTENSITY = (1.0, 5.0)


@dataclass(frozen=True)
class Expression:
    """One line of a spec.

    label    : the line as written ("happiness:4", "AU12=3,AU6=2", a sentence, "random AU1,AU12")
    aus      : {AU: FACS intensity 0–5}; empty for a random line (sampled per photo)
    emotion  : canonical emotion name for an emotion line, else None
    sentence : the sentence for a sentence line, else None
    pool     : AUs a random line samples from; empty for every other line
    sides    : {AU: "L" | "R"} the one-sided AUs of a sentence line ("she raises her left brow"), else empty
    """

    label: str
    aus: Mapping[int, float]
    emotion: str | None = None
    sentence: str | None = None
    pool: tuple[int, ...] = ()
    sides: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """One image to make: expression ``index`` of the spec on one photo, with its AUs resolved.

    index : position in the expanded spec (0-based); aus : {AU: FACS intensity 0–5}; seed : this item's seed
    (random AU sampling, the description sentence), the same for the same photo, spec line and run seed;
    output : the file to write, relative to the output folder; track : the AU track file that drives a video
    (talking.augment_talking), else None; sides : {AU: "L" | "R"} one-sided AUs (Expression.sides)
    """

    index: int
    label: str
    aus: Mapping[int, float]
    emotion: str | None
    sentence: str | None
    seed: int
    output: str
    track: str | None = None
    sides: Mapping[int, str] = field(default_factory=dict)


def parse_expression(line: str) -> Expression:
    """One spec line → Expression: an AU spec ("AU12=3,AU6=2"), an emotion ("happiness" or "happiness:4"),
    ``random`` (optionally followed by the AUs to sample from: "random AU1,AU2,AU12"), or an English sentence
    read by facsynth.language.parse.

    Raises AUSpecError / TextError when the line is none of these.
    """
    line = line.strip()
    try:
        return Expression(line, parse_au_spec(line))
    except AUSpecError:
        pass
    name, sep, level = line.partition(":")
    try:
        emotion = canonical_emotion(name.strip())
    except AUSpecError:
        emotion = None
    if emotion is not None:
        intensity = parse_intensity(level.strip(), "emotion intensity") if sep else 3.0
        return Expression(line, emotion_aus(emotion, intensity), emotion=emotion)
    head, _, rest = line.partition(" ")
    if head.lower() == "random":
        pool = tuple(sorted({parse_au_code(a.strip()) for a in rest.split(",") if a.strip()})) or RANDOM_AUS
        return Expression(line, {}, pool=pool)
    reading = read(line)
    return Expression(line, reading.aus, sentence=line, sides=dict(reading.track().sides))


def parse_spec(text: str, source: str = "spec") -> list[Expression]:
    """A spec file's text → its expressions in order.

    One expression per line (see ``parse_expression``); ``random N …`` is shorthand for N ``random …`` lines;
    blank lines and "#" comments are skipped. Raises FormatError for an empty spec, AUSpecError / TextError
    naming the line for a line that cannot be read.
    """
    out: list[Expression] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        repeat = 1
        if words[0].lower() == "random" and len(words) > 1 and words[1].isdigit():
            repeat = int(words[1])
            line = " ".join(["random", *words[2:]])
        try:
            out.extend([parse_expression(line)] * repeat)
        except (TextError, AUSpecError) as e:
            raise type(e)(f"{source} line {n}: {e}") from None
    if not out:
        raise FormatError(f"{source} lists no expressions")
    return out


def parse_emotions(text: str) -> list[Expression]:
    """``"happiness:4,surprise:4"`` → one emotion Expression per comma-separated item."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise AUSpecError("--emotions lists no emotions (expected e.g. happiness:4,surprise:4)")
    out = []
    for p in parts:
        e = parse_expression(p)
        if e.emotion is None:
            raise AUSpecError(f"{p!r} is not an emotion (expected NAME or NAME:INTENSITY, e.g. happiness:4)")
        out.append(e)
    return out


def item_seed(seed: int, photo_key: str, index: int) -> int:
    """Seed of one item, 0 ≤ s < 2³¹: a hash of the run seed, the photo's key and the spec index (so it does not
    depend on which other photos are in the run, nor on their order)."""
    h = hashlib.blake2b(f"{seed}\0{photo_key}\0{index}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") & 0x7FFFFFFF


def items_for(photo_key: str, expressions: Sequence[Expression], seed: int = 0) -> list[Item]:
    """The items of one photo: every expression with its AUs resolved (random lines sampled from their seed:
    1–3 AUs of the line's pool, each at an intensity uniform in RANDOM_INTENSITY, rounded to 0.1)."""
    items = []
    for j, e in enumerate(expressions):
        s = item_seed(seed, photo_key, j)
        aus = dict(e.aus)
        if e.pool:
            rng = np.random.default_rng(s)
            k = int(rng.integers(1, min(3, len(e.pool)) + 1))
            picked = rng.choice(np.asarray(e.pool), size=k, replace=False)
            aus = {int(a): round(float(rng.uniform(*RANDOM_INTENSITY)), 1) for a in sorted(picked)}
        items.append(Item(j, e.label, aus, e.emotion, e.sentence, s, f"images/{photo_key}_{j:03d}.png",
                          sides=dict(e.sides)))
    return items
