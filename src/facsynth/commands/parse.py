"""``facsynth parse``: read AU intensities from an English sentence (by rule or with the learned encoder)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "parse"
HELP = "read AU intensities from an English sentence"
DESCRIPTION = """Read AU intensities from an English sentence.

  facsynth parse "She raises her inner brows slightly and smiles broadly."
  facsynth parse "AU12 at intensity D, AU6 strong" --json
  facsynth parse "a very happy woman who does not smile" --json
  facsynth parse --file sentences.txt > aus.jsonl
  facsynth parse "she frowns hard" --engine learned --explain

--json prints one JSON object of the active AUs, e.g. {"AU01": 2.0, "AU12": 4.0}; --file prints one JSON object
a line ({"line", "text", "aus"} or {"line", "text", "error"}) and exits with 2 if any line failed.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="?", help="the sentence (quote it)")
    p.add_argument("--file", type=Path, metavar="F", help="parse each non-blank line of F; JSON Lines on stdout")
    p.add_argument("--json", action="store_true", help='print {"AU01": 2.0, …} instead of a readable line')
    p.add_argument("--engine", choices=("rule", "learned"),
                   help="rule: exact rules (default); learned: the BiLSTM language encoder (default with --explain)")
    p.add_argument("--explain", action="store_true",
                   help="learned engine: per AU, the words whose attention weight is ≥ 0.05 (top 5; to stderr with "
                        "--json)")


def _as_json(aus: dict[int, float]) -> dict[str, float]:
    from ..facs import au_label

    return {au_label(a): round(float(v), 3) for a, v in sorted(aus.items())}


def _readable(aus: dict[int, float]) -> str:
    from ..facs import au_name, intensity_to_letter

    if not aus:
        return "neutral (no active AUs)"
    return ", ".join(f"AU{a:02d}={v:g} {intensity_to_letter(min(v, 5.0)) or 'A'} ({au_name(a)})"
                     for a, v in sorted(aus.items()))


def run(args: argparse.Namespace) -> int:
    from ..errors import FacsynthError, FormatError, TextError
    from ..language.parse import parse

    engine = args.engine or ("learned" if args.explain else "rule")
    if args.explain and engine != "learned":
        raise FacsynthError("--explain shows the learned encoder's attention: use it with --engine learned")
    if (args.text is None) == (args.file is None):
        raise TextError("give one sentence or --file F (not both)")
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
                record["aus"] = _as_json(parse(line, engine=engine))
            except FacsynthError as e:
                record["error"] = str(e)
                failed += 1
            print(json.dumps(record, ensure_ascii=False), flush=True)
        if failed:
            print(f"facsynth: error: {failed} of the lines in {args.file} could not be parsed", file=sys.stderr)
        return 2 if failed else 0
    aus = parse(args.text, engine=engine)
    explanation = None
    if args.explain:
        from ..language.encoder import explain

        explanation = explain(args.text)
    print(json.dumps(_as_json(aus)) if args.json else _readable(aus))
    if explanation is not None:
        out = sys.stderr if args.json else sys.stdout
        for au, words in sorted(explanation.items()):
            shown = sorted(words, key=lambda wa: -wa[1])[:5]
            shown = [wa for wa in shown if wa[1] >= 0.05] or shown[:1]
            print(f"  AU{au:02d}: " + ", ".join(f"{w} {a:.2f}" for w, a in shown), file=out)
    return 0
