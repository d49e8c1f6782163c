"""``facsynth emotion``: the emotion (Ekman + neutral), its intensity 0–5 and the class probabilities of a text."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from ..atomic import atomic_write
from ..errors import TextError
from ..formats import write_track
from ..language.emotion import check_text, classify, classify_many, expression
from ..track import AUTrack
from ._outputs import write_track_output

NAME = "emotion"
HELP = "classify the emotion of a text (and its intensity 0-5); optionally write its AU track"
DESCRIPTION = """\
Classify the emotion of English text: anger, disgust, fear, happiness, sadness, surprise or neutral, with an
intensity 0-5 and the probability of every label (mixed emotions show as a distribution).

examples:
  facsynth emotion "I can't believe you did this to me!"
  facsynth emotion "I'm terrified" --json
  facsynth emotion --file comments.txt > emotions.jsonl      (one JSON line per input line; - reads stdin;
                                                             a line that cannot be classified gets "error")
  facsynth emotion "What a lovely surprise!" -o face.csv      (the expression as an AU track)
  facsynth emotion "so boring" --model lstm-glove             (Aubakirova et al.'s GloVe + LSTM model)
  facsynth emotion "I love you so much" --labels paper       (the paper's classes: happy, sad, loving, excited,
                                                             bored; GoEmotions has no boredom data: bored is 0)
"""
DEMO_ORDER = 30
_BATCH = 64
_DEMO_SENTENCES = [
    "I am so happy today!",
    "I can't believe you did this to me!",
    "This is disgusting.",
    "I'm terrified of what the doctor will say.",
    "I miss her so much, it hurts.",
    "Wow, I did not expect that at all!",
    "The meeting moved to room 4 at three o'clock.",
    "I'm not happy about this.",
    "I am VERY ANGRY!!!",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="?", help="the text to classify (quote it)")
    p.add_argument("--file", type=Path, metavar="F", help="classify every line of F (- for stdin) to JSON Lines")
    p.add_argument("--json", action="store_true", help='print {"emotion", "intensity", "scores"} as JSON')
    p.add_argument("--model", default="default", metavar="NAME",
                   help="default (minilm-lora and lstm-glove blended), minilm-lora (MiniLM fine-tuned with "
                        "LoRA), minilm (a head on frozen MiniLM), lstm-glove (the paper's), or a .npz file from "
                        "'facsynth train emotion'")
    p.add_argument("--labels", choices=("ekman", "paper"), default="ekman",
                   help="ekman: anger, disgust, fear, happiness, sadness, surprise, neutral (default); paper: "
                        "Aubakirova et al.'s happy, sad, loving, excited, bored")
    p.add_argument("-o", "--out", type=Path, metavar="FILE",
                   help="also write the expression as an AU track (.csv, .json, .arkit.json, .glb, ...)")


def _read_lines(path: Path) -> list[str]:
    """The lines of a text file (or stdin for "-"); TextError if it is not UTF-8 text or holds no text at all."""
    if str(path) == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise TextError(f"cannot read {path}: {e.strerror or e}") from None
    if b"\x00" in data:
        raise TextError(f"{path} holds NUL bytes: it is binary, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TextError(f"{path} is not UTF-8 text (undecodable byte at offset {e.start})") from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise TextError(f"{path} holds no text")
    return lines


def _classify_file(path: Path, model: str, labels: str) -> int:
    """Print one JSON line per input line, in order: the emotion, or {"line": n, "error": why} for a line that
    cannot be classified (empty, not English, binary); warnings go to stderr naming the line."""
    records: list[dict] = []
    good: list[tuple[int, str]] = []  # (index into records, checked text)
    for n, line in enumerate(_read_lines(path), 1):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                good.append((len(records), check_text(line)))
            for w in caught:
                print(f"facsynth: warning: line {n}: {w.message}", file=sys.stderr)
            records.append({"line": n})
        except TextError as e:
            records.append({"line": n, "error": str(e)})
    for s in range(0, len(good), _BATCH):
        chunk = good[s:s + _BATCH]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # already reported per line above
            results = classify_many([t for _, t in chunk], model, labels)
        for (i, _), result in zip(chunk, results):
            records[i].update(result.as_dict())
    for record in records:
        print(json.dumps(record, ensure_ascii=False))
    if not good:  # issue 19: a file none of whose lines could be classified is an error (exit 2)
        raise TextError(f"no line of {path} could be classified")
    return 0


def _readable(result) -> str:
    ranked = sorted(result.scores.items(), key=lambda kv: -kv[1])
    others = ", ".join(f"{k} {v:.2f}" for k, v in ranked[1:3] if v >= 0.05)
    return f"{result.emotion} ({ranked[0][1]:.0%}), intensity {result.intensity:.1f}/5" + (
        f"; also {others}" if others else "")


def run(args: argparse.Namespace) -> int:
    if (args.text is None) == (args.file is None):
        raise TextError("give either a TEXT or --file F")
    if args.file is not None:
        if args.out:
            raise TextError("--out writes the AU track of one text; it cannot be used with --file")
        return _classify_file(args.file, args.model, args.labels)
    result = classify(args.text, args.model, args.labels)
    if args.out:
        write_track_output(AUTrack.still(expression(result)), args.out)
    print(json.dumps(result.as_dict(), ensure_ascii=False) if args.json else _readable(result))
    return 0


def demo(out: Path) -> list[Path]:
    """Classify a handful of sentences into out/emotions.jsonl; write the angriest one's face as an AU track."""
    results = classify_many(_DEMO_SENTENCES)
    jsonl = out / "emotions.jsonl"
    with atomic_write(jsonl, encoding="utf-8") as fh:
        for text, r in zip(_DEMO_SENTENCES, results):
            fh.write(json.dumps({"text": text, **r.as_dict()}, ensure_ascii=False) + "\n")
    track_path = out / "emotion_very_angry.csv"
    write_track(AUTrack.still(expression(results[-1])), track_path)
    return [jsonl, track_path]
