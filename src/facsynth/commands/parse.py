"""``facsynth parse``: read AU intensities from an English sentence (by rule or with the learned encoder)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .._lazy import lazy_module
from ..errors import FormatError, TextError
from ..facs import au_label, au_name, intensity_to_letter
from ..language.parse import read
from ._outputs import MEDIA_SUFFIXES, output_kind, write_track_output

encoder = lazy_module("facsynth.language.encoder")   # torch: only for --engine learned --explain

NAME = "parse"
HELP = "read AU intensities from an English sentence"
DESCRIPTION = """Read AU intensities from an English sentence.

  facsynth parse "She raises her inner brows slightly and smiles broadly."
  facsynth parse "AU12 at intensity D, AU6 strong" --json
  facsynth parse "a very happy woman who does not smile" --json
  facsynth parse --file sentences.txt > aus.jsonl
  facsynth parse "a lopsided smirk, left brow raised" --json
  facsynth parse "a lopsided smirk" -o smirk.json
  facsynth parse "she frowns hard" --explain
  facsynth parse "she frowns hard" --engine learned --explain

--json prints one JSON object of the active AUs, e.g. {"AU01": 2.0, "AU12": 4.0}, plus "sides" when the text puts
AUs on one side: {"AU12": 2.0, "sides": {"AU12": "L"}} (L/R = the person's own left/right, U = one side,
unspecified). --file prints one JSON object a line ({"line", "text", "aus"[, "sides"]} or {"line", "text",
"error"}) and exits with 2 if any line failed. A text with no facial or emotional content gives a neutral face and
one warning line.

-o FILE also writes the reading as a one-frame AU track in the format FILE's suffix names: .json keeps the sides
("sides": {"AU12": "L"}), .arkit.json/.arkit.csv fill that side's shapes only, .glb moves that half of the mesh;
OpenFace .csv has no sides (written as on both sides, with a warning). One side, unspecified, is the person's
right (EMFACS's R12A + R14A).
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="?", help="the sentence (quote it)")
    p.add_argument("--file", type=Path, metavar="F", help="parse each non-blank line of F; JSON Lines on stdout")
    p.add_argument("--json", action="store_true", help='print {"AU01": 2.0, …} instead of a readable line')
    p.add_argument("--engine", choices=("rule", "learned"), default="rule",
                   help="rule: vocabulary and rules (default, the better on free phrasing); learned: the BiLSTM "
                        "language encoder")
    p.add_argument("-o", "--out", type=Path, metavar="FILE",
                   help="also write the reading as a one-frame AU track (.json, .csv, .arkit.json, .glb, …)")
    p.add_argument("--explain", action="store_true",
                   help="per AU, the words that drove it: the rule's words, or the learned encoder's words with "
                        "attention weight ≥ 0.05 (top 5); to stderr with --json")


def _as_json(aus: dict[int, float], sides: dict[int, str] | None = None) -> dict:
    out: dict = {au_label(a): round(float(v), 3) for a, v in sorted(aus.items())}
    if sides:
        out["sides"] = {au_label(a): s for a, s in sorted(sides.items())}
    return out


_SIDE_NAMES = {"L": "left side", "R": "right side", "U": "one side"}


def _readable(aus: dict[int, float], sides: dict[int, str] | None = None) -> str:
    if not aus:
        return "neutral (no active AUs)"
    sides = sides or {}
    return ", ".join(f"AU{a:02d}={v:g} {intensity_to_letter(min(v, 5.0)) or 'A'} ({au_name(a)}"
                     f"{', ' + _SIDE_NAMES[sides[a]] if a in sides else ''})" for a, v in sorted(aus.items()))


def run(args: argparse.Namespace) -> int:
    engine = args.engine
    if (args.text is None) == (args.file is None):
        raise TextError("give one sentence or --file F (not both)")
    if args.out is not None and args.file is not None:
        raise TextError("-o writes the track of one sentence; --file prints JSON Lines")
    if args.out is not None:
        if output_kind(args.out) in MEDIA_SUFFIXES:  # before any work
            raise FormatError(f"{args.out.name}: parse writes AU tracks; render images with facsynth edit or mesh")
    if args.file is not None:
        try:
            lines = args.file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise FormatError(f"cannot read {args.file} as UTF-8 text: {e}") from None
        failed = 0
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            record: dict = {"line": number, "text": line}
            try:
                reading = read(line, engine=engine)
                aus = _as_json(reading.aus, reading.sides)
                record["aus"] = {k: v for k, v in aus.items() if k != "sides"}
                if reading.sides:
                    record["sides"] = aus["sides"]
            except TextError as e:  # this line cannot be read; a missing model or the like stops the run
                record["error"] = str(e)
                failed += 1
            print(json.dumps(record, ensure_ascii=False), flush=True)
        if failed:
            print(f"facsynth: error: {failed} of the lines in {args.file} could not be parsed", file=sys.stderr)
        return 2 if failed else 0
    reading = read(args.text, engine=engine)
    explanation = None
    if args.explain and engine == "learned":
        explanation = {au: [f"{w} {a:.2f}" for w, a in _top(words)]
                       for au, words in encoder.explain(args.text).items()}
    elif args.explain:
        explanation = reading.words
    print(json.dumps(_as_json(reading.aus, reading.sides)) if args.json else _readable(reading.aus, reading.sides))
    if args.out is not None:
        write_track_output(reading.track(), args.out)
    if explanation is not None:
        out = sys.stderr if args.json else sys.stdout
        for au, words in sorted(explanation.items()):
            print(f"  AU{au:02d}: " + "; ".join(words), file=out)
    return 0


def _top(words: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The top 5 words by attention weight, those ≥ 0.05 (at least one)."""
    shown = sorted(words, key=lambda wa: -wa[1])[:5]
    return [wa for wa in shown if wa[1] >= 0.05] or shown[:1]
