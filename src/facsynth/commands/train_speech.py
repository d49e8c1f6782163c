"""``facsynth train speech``: train the cascade LSTM or Sadoughi & Busso's BLSTMs on (audio, AU labels) data."""

from __future__ import annotations

import argparse
from pathlib import Path

from .._lazy import lazy_module
from ..errors import FacsynthError
from ..speech.features import HOP, PAPER_HOP, egemaps_available
from ..train.speech_data import find_examples, load_examples

models = lazy_module("facsynth.speech.models")        # torch
speech_loop = lazy_module("facsynth.train.speech_loop")   # torch

NAME = "speech"
HELP = "train a speech → AU model (lstm, blstm-joint, blstm-joint2, blstm-separate)"
DESCRIPTION = """\
Train a learned speech → AU model on a folder of training data:
  - audio files with OpenFace 2.0 CSVs of the same name beside them;
  - RAVDESS: OpenFace CSVs named after the videos (01-…/02-…) with the audio-only files (03-…) anywhere below
    (speech clips only: the songs are left out);
  - talking-face videos without CSVs: labelled by facsynth's own face analysis (no OpenFace needed).

models:
  lstm            the cascade's Model B: MFCC-39 → LSTM → one utterance vector → FC → 17 AUs, MSE on the
                  utterance mean
  blstm-joint     Sadoughi & Busso's Joint-1: MFCC-25 + F0 + intensity (+ 17 eGeMAPS LLDs) → ReLU layer →
                  shared BLSTM → linear upper/middle/lower outputs, 1 − CCC
  blstm-joint2    Joint-2: ReLU layer and a BLSTM shared, then one BLSTM per region (--layers counts both)
  blstm-separate  Separate: one ReLU layer + BLSTM network per region (--layers 2 for Separate-2)

splits (--split): speaker (default: 60/20/20 train/validation/test by speaker, Sadoughi & Busso's; RAVDESS
speakers are the actors, otherwise the folder names), utterance (shuffled, no test set), none (train on
everything, as the cascade's report did with its 1,440 RAVDESS clips; validation then reuses the training set).

Writes OUT/best.pt (use with 'facsynth speak --model lstm|blstm --weights OUT/best.pt'), OUT/last.pt (for
--resume) and OUT/metrics.json (per-region CCC and MSE per epoch, the test set's with the best weights).

examples:
  facsynth train speech --model blstm-joint2 --egemaps --paper-hop data/iemocap -o runs/joint2
  facsynth train speech --model lstm --split none data/ravdess -o runs/cascade
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", type=Path, help="folder of training data (see above)")
    p.add_argument("--model", default="blstm-joint", choices=("lstm", "blstm-joint", "blstm-joint2", "blstm-separate"))
    p.add_argument("-o", "--out", type=Path, default=Path("runs/speech"), help="output folder (default runs/speech)")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--hidden", type=int, help="units per layer (and per BLSTM direction); default 512 for the "
                   "BLSTMs (the paper's 512; 1024 is its other size), 64 for lstm (the report gives none)")
    p.add_argument("--layers", type=int, help="BLSTM/LSTM layers per path (default 1; 2 for blstm-joint2)")
    p.add_argument("--patience", type=int, default=10, help="stop after this many epochs without improvement")
    p.add_argument("--split", choices=("speaker", "utterance", "none"), default="speaker",
                   help="how utterances are held out (default speaker: 60/20/20 by speaker)")
    p.add_argument("--val-fraction", type=float, default=0.2)
    p.add_argument("--test-fraction", type=float, default=0.2, help="test share with --split speaker (default 0.2)")
    p.add_argument("--egemaps", action="store_true",
                   help="add the 17 eGeMAPS LLDs of Sadoughi & Busso (needs the optional opensmile extra)")
    p.add_argument("--paper-hop", action="store_true",
                   help="BLSTM features every 8.33 ms (Sadoughi & Busso) instead of every 10 ms")
    p.add_argument("--no-self-label", action="store_true", help="ignore videos that have no OpenFace CSV")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    if args.egemaps and not egemaps_available():
        raise FacsynthError("--egemaps needs the optional opensmile package: pip install 'facsynth[egemaps]'")
    features = models.feature_set_of(args.model, args.egemaps)
    examples = find_examples(args.data, self_label=not args.no_self_label)
    print(f"{len(examples)} utterances under {args.data} "
          f"({sum(e.needs_analysis for e in examples)} to self-label from video)")
    hop = PAPER_HOP if args.paper_hop and args.model != "lstm" else HOP
    data, speakers = load_examples(examples, features, label_cache=args.out / "labels", hop=hop)
    split, groups = args.split, None
    if split == "speaker":
        if len(set(speakers)) >= 2:
            groups = speakers
        else:
            print("one speaker only: utterances are split at random instead, with no test set")
    hidden = args.hidden or (64 if args.model == "lstm" else 512)
    cfg = speech_loop.TrainConfig(kind=args.model, features=features, hidden=hidden, layers=args.layers,
                                  epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, patience=args.patience,
                                  val_fraction=0.0 if split == "none" else args.val_fraction,
                                  test_fraction=args.test_fraction if groups is not None else 0.0, seed=args.seed,
                                  hop=hop)
    metrics = speech_loop.train_speech_model(data, args.out, cfg, resume=args.resume, groups=groups)

    def figures(m: dict) -> str:
        return ", ".join(f"{r} CCC {m[f'ccc_{r}']:.3f} MSE {m[f'mse_{r}']:.3f}" for r in ("upper", "middle", "lower"))

    best = metrics["best"]
    print(f"best epoch {best['epoch']}: {figures(best)}; weights {args.out / 'best.pt'}, "
          f"metrics {args.out / 'metrics.json'}")
    if "test" in metrics:
        print(f"test ({metrics['n_test']} utterances of speakers {', '.join(metrics['speakers']['test'])}): "
              f"{figures(metrics['test'])}")
    return 0
