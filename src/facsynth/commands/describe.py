"""``facsynth describe``: write one English sentence describing AU intensities (three sentence protocols)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..atomic import atomic_write
from ..facs import format_au_spec, parse_au_spec
from ..language.describe import describe
from ..language.parse import parse

NAME = "describe"
HELP = "describe AU intensities in one English sentence"
DESCRIPTION = """Describe AU intensities in one English sentence (protocols after Hong et al., ICIP 2020).

  facsynth describe --aus "AU1=2,AU12=4"
  facsynth describe --aus "AU1=3,AU2=3,AU5=2,AU26=3" --protocol 2 --gender male --emotion surprise --seed 7

Intensities are rounded half up to FACS levels 1–5 (A–E); an AU below 0.5 is not mentioned.
"""
DEMO_ORDER = 20

#: AU sets the demo describes (name, AU spec).
DEMO_SETS: tuple[tuple[str, str], ...] = (
    ("happiness", "AU6=3,AU12=4"),
    ("sadness", "AU1=3,AU4=2,AU15=3"),
    ("surprise", "AU1=4,AU2=4,AU5=2,AU26=4"),
    ("fear", "AU1=3,AU2=2,AU4=2,AU5=3,AU7=2,AU20=3,AU26=2"),
    ("anger", "AU4=4,AU5=2,AU7=3,AU23=3"),
    ("disgust", "AU9=3,AU15=2,AU16=2"),
    ("mixed", "AU1=1,AU10=2,AU14=3,AU17=4,AU25=5,AU43=2"),
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--aus", required=True, metavar="SPEC", help='AU intensities, e.g. "AU1=2,AU12=4" or "AU12=D"')
    p.add_argument("--protocol", type=int, choices=(1, 2, 3), default=1,
                   help='1 "A woman with …" (default), 2 "A woman is … because she has …", 3 "A woman\'s … are …"')
    p.add_argument("--gender", choices=("female", "male"), default="female", help="default female")
    p.add_argument("--emotion", metavar="WORD", help='an emotion word written beside the movements, e.g. "surprised"')
    p.add_argument("--seed", type=int, help="seed for word order and word choice (default: random)")


def run(args: argparse.Namespace) -> int:
    print(describe(parse_au_spec(args.aus), protocol=args.protocol, gender=args.gender, emotion=args.emotion,
                   seed=args.seed))
    return 0


def demo(out: Path) -> list[Path]:
    """Write sentences.txt (sentences in all three protocols) and sentences.tsv (AU set, sentence, its parse)."""
    rows = []
    for i, (name, spec) in enumerate(DEMO_SETS):
        aus = parse_au_spec(spec)
        for protocol in (1, 2, 3):
            gender = ("female", "male")[(i + protocol) % 2]
            emotion = name if protocol == 2 and name != "mixed" else None
            sentence = describe(aus, protocol=protocol, gender=gender, emotion=emotion, seed=i * 3 + protocol)
            parsed = parse(sentence)
            rows.append((name, protocol, spec, sentence, format_au_spec(parsed), parsed == aus))
    txt, tsv = out / "sentences.txt", out / "sentences.tsv"
    with atomic_write(txt, encoding="utf-8") as fh:
        fh.writelines(f"{r[3]}\n" for r in rows)
    with atomic_write(tsv, encoding="utf-8") as fh:
        fh.write("set\tprotocol\taus\tsentence\tparsed\texact\n")
        fh.writelines("\t".join(map(str, r)) + "\n" for r in rows)
    return [txt, tsv]
