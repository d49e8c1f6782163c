"""``facsynth train voice-emotion``: train the voice-emotion classifier on RAVDESS, CREMA-D or TESS audio."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from .._lazy import lazy_module
from ..errors import LimitError
from ..train.voice_emotion_data import find_clips

voice_loop = lazy_module("facsynth.train.voice_emotion_loop")   # torch

NAME = "voice-emotion"
HELP = "train the voice → emotion classifier (RAVDESS, CREMA-D, TESS layouts)"
DESCRIPTION = """\
Train a small classifier (prosodic cues + MFCC statistics per 2 s window → MLP → 7 emotions) on every audio file
below DATA whose name follows one of these layouts (they may be mixed):
  RAVDESS   03-01-05-01-02-01-12.wav   (speech only; calm counts as neutral)
  CREMA-D   1001_DFA_ANG_XX.wav
  TESS      OAF_back_angry.wav         (ps = pleasant surprise → surprise)

Validation holds out whole speakers. Writes OUT/best.pt (best validation macro-F1; use it with
'facsynth speak --voice-model OUT/best.pt'), OUT/last.pt and OUT/metrics.json (accuracy, macro-F1, per-class F1 and
the confusion matrix per clip, per epoch, and the untrained network's figures as a baseline).

example:
  facsynth train voice-emotion data/ravdess -o runs/voice
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", type=Path, help="folder of emotional speech (see above)")
    p.add_argument("-o", "--out", type=Path, default=Path("runs/voice-emotion"),
                   help="output folder (default runs/voice-emotion)")
    p.add_argument("--epochs", type=int, default=80)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--hidden", type=int, default=64, help="units per hidden layer")
    p.add_argument("--patience", type=int, default=15, help="stop after this many epochs without improvement")
    p.add_argument("--val-fraction", type=float, default=0.2, help="share of speakers held out")
    p.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    for name in ("epochs", "batch_size", "hidden"):
        if getattr(args, name) < 1:
            raise LimitError(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 < args.val_fraction < 1:
        raise LimitError("--val-fraction must lie between 0 and 1")
    clips = find_clips(args.data)
    counts = Counter(c.emotion for c in clips)
    print(f"{len(clips)} clips of {len({c.speaker for c in clips})} speakers under {args.data}: "
          + ", ".join(f"{e} {n}" for e, n in sorted(counts.items())))
    cfg = voice_loop.VoiceTrainConfig(hidden=args.hidden, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                           patience=args.patience, val_fraction=args.val_fraction, seed=args.seed)
    metrics = voice_loop.train_voice_emotion(voice_loop.clip_features(clips), args.out, cfg)
    best, base = metrics["best"], metrics["untrained"]
    print(f"best epoch {best['epoch']}: accuracy {best['accuracy']:.3f}, macro-F1 {best['macro_f1']:.3f} on "
          f"{metrics['n_val_clips']} held-out clips (untrained: {base['accuracy']:.3f} / {base['macro_f1']:.3f}); "
          f"weights {args.out / 'best.pt'}, metrics {args.out / 'metrics.json'}")
    return 0
