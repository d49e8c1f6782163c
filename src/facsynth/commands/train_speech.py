"""``facsynth train speech``: train the cascade LSTM or Sadoughi & Busso's BLSTMs on (audio, AU labels) data."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "speech"
HELP = "train a speech → AU model (lstm, blstm-joint, blstm-separate)"
DESCRIPTION = """\
Train a learned speech → AU model on a folder of training data:
  - audio files with OpenFace 2.0 CSVs of the same name beside them;
  - RAVDESS: OpenFace CSVs named after the videos (01-…/02-…) with the audio-only files (03-…) anywhere below;
  - talking-face videos without CSVs: labelled by facsynth's own face analysis (no OpenFace needed).

models:
  lstm            the cascade's Model B: MFCC-39 → LSTM → FC → 17 AUs, MSE on the utterance mean
  blstm-joint     Sadoughi & Busso: MFCC-25 + F0 + intensity → shared BLSTM, upper/middle/lower heads, 1 − CCC
  blstm-separate  the same features → one BLSTM per face region, 1 − CCC

Writes OUT/best.pt (use with 'facsynth speak --model lstm|blstm --weights OUT/best.pt'), OUT/last.pt (for
--resume) and OUT/metrics.json (per-region CCC and MSE per epoch).

example:
  facsynth train speech --model blstm-joint data/ravdess -o runs/blstm
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", type=Path, help="folder of training data (see above)")
    p.add_argument("--model", default="blstm-joint", choices=("lstm", "blstm-joint", "blstm-separate"))
    p.add_argument("-o", "--out", type=Path, default=Path("runs/speech"), help="output folder (default runs/speech)")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--hidden", type=int, default=64, help="LSTM units per direction")
    p.add_argument("--layers", type=int, help="LSTM layers (default 1 for lstm, 2 for the BLSTMs)")
    p.add_argument("--patience", type=int, default=10, help="stop after this many epochs without improvement")
    p.add_argument("--val-fraction", type=float, default=0.2)
    p.add_argument("--egemaps", action="store_true", help="add eGeMAPS LLDs (needs the optional opensmile extra)")
    p.add_argument("--no-self-label", action="store_true", help="ignore videos that have no OpenFace CSV")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    from ..errors import FacsynthError
    from ..speech.features import egemaps_available
    from ..speech.models import feature_set_of
    from ..train.speech_data import find_examples, load_examples
    from ..train.speech_loop import TrainConfig, train_speech_model

    if args.egemaps and not egemaps_available():
        raise FacsynthError("--egemaps needs the optional opensmile package: pip install 'facsynth[egemaps]'")
    features = feature_set_of(args.model, args.egemaps)
    examples = find_examples(args.data, self_label=not args.no_self_label)
    print(f"{len(examples)} utterances under {args.data} "
          f"({sum(e.needs_analysis for e in examples)} to self-label from video)")
    data = load_examples(examples, features, label_cache=args.out / "labels")
    cfg = TrainConfig(kind=args.model, features=features, hidden=args.hidden, layers=args.layers,
                      epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, patience=args.patience,
                      val_fraction=args.val_fraction, seed=args.seed)
    metrics = train_speech_model(data, args.out, cfg, resume=args.resume)
    best = metrics["best"]
    regions = ", ".join(f"{r} CCC {best[f'ccc_{r}']:.3f} MSE {best[f'mse_{r}']:.3f}" for r in ("upper", "middle", "lower"))
    print(f"best epoch {best['epoch']}: {regions}; weights {args.out / 'best.pt'}, metrics {args.out / 'metrics.json'}")
    return 0
