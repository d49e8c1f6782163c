"""``facsynth train emotion``: retrain a text-emotion model on GoEmotions and write its checkpoint and metrics."""

from __future__ import annotations

import argparse
from pathlib import Path

from .._lazy import lazy_module
from ..errors import FormatError

torch = lazy_module("torch")
emotion_train = lazy_module("facsynth.train.emotion")        # torch
emotion_lora = lazy_module("facsynth.train.emotion_lora")    # torch + transformers

NAME = "emotion"
HELP = "train a text-emotion model (minilm-lora, lstm-glove or minilm) on GoEmotions"
DESCRIPTION = """\
Train a text-emotion classifier on the GoEmotions Ekman files (goemotions_ekman_{train,dev}.tsv and
goemotions_ekman_labels.txt). The dev file is the test split; validation is 10 % of train. Writes the checkpoint
(.npz) and <stem>.metrics.json beside it (test accuracy and macro-F1, history). Use the result with
'facsynth emotion TEXT --model PATH.npz'.

examples:
  facsynth train emotion --model minilm-lora --out my_lora.npz           (LoRA fine-tuning of MiniLM; about an
                                                                          hour of one CPU core per epoch)
  facsynth train emotion --model minilm-lora --max-steps 50 --limit 500  (a quick run)
  facsynth train emotion --model minilm --out my_minilm.npz
  facsynth train emotion --model lstm-glove --epochs 3 --limit 2000      (a quick run on a subset)
  facsynth train emotion --model lstm-glove --recipe paper               (Aubakirova et al.'s exact recipe)
  facsynth train emotion --model lstm-glove --labels paper --out p.npz   (happy, sad, loving, excited from
                                                                          GoEmotions' fine labels; no bored data)
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", choices=("minilm-lora", "lstm-glove", "minilm"), default="minilm-lora",
                   help="which model to train (default minilm-lora: MiniLM fine-tuned with LoRA adapters; minilm: "
                        "a head on frozen MiniLM features)")
    p.add_argument("--data", type=Path, metavar="DIR",
                   help="GoEmotions Ekman folder (default ../shared/data/text_emotion beside the checkout)")
    p.add_argument("--out", type=Path, metavar="PATH", help="checkpoint to write (default emotion_<model>.npz)")
    p.add_argument("--labels", choices=("ekman", "paper"), default="ekman",
                   help="ekman (7 classes, goemotions_ekman_*) or paper (happy, sad, loving, excited from "
                        "goemotions_original_*'s joy, sadness, love, excitement)")
    p.add_argument("--recipe", choices=("improved", "paper"), default="improved",
                   help="improved (default: soft multi-label targets, class weights, best validation epoch) or "
                        "paper (lstm-glove only: 2-layer LSTM(128), dropout 0.5, 50 epochs, one-hot targets)")
    p.add_argument("--epochs", type=int, help="epochs (default 6 for lstm-glove, 40 for minilm, 50 for the paper "
                                              "recipe, 2 for minilm-lora)")
    p.add_argument("--max-steps", type=int, metavar="N", help="minilm-lora: stop after N batches of 32 (the "
                                                               "learning-rate schedule ends there)")
    p.add_argument("--init", type=Path, metavar="NPZ", help="minilm-lora: continue from this checkpoint")
    p.add_argument("--lr", type=float, help="minilm-lora: the adapters' peak learning rate (default 1e-3)")
    p.add_argument("--limit", type=int, metavar="N", help="use at most N rows of each split (quick runs)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")


def run(args: argparse.Namespace) -> int:
    if args.epochs is not None and args.epochs < 1 or args.limit is not None and args.limit < 10:
        raise FormatError("--epochs must be at least 1 and --limit at least 10")
    if args.model == "minilm-lora" and (args.labels != "ekman" or args.recipe != "improved"):
        raise FormatError("minilm-lora trains on the Ekman labels with its own recipe (no --labels / --recipe)")
    torch.set_num_threads(max(1, args.threads))
    out = args.out or Path(f"emotion_{args.model.replace('-', '_')}.npz")
    if args.model == "minilm-lora":
        m = emotion_lora.train_lora(args.data or emotion_train.DEFAULT_DATA, out, epochs=args.epochs or 2, limit=args.limit, seed=args.seed,
                       max_steps=args.max_steps, init=args.init, **({"lr": args.lr} if args.lr else {}))
    else:
        m = emotion_train.train(args.model, args.data or emotion_train.DEFAULT_DATA, out, labels=args.labels, recipe=args.recipe,
                  epochs=args.epochs, limit=args.limit, seed=args.seed)
    t, base = m["test"], m["test_majority_class"]
    print(f"{args.model}: test accuracy {t['accuracy']:.3f}, macro-F1 {t['macro_f1']:.3f} on {t['n']} texts "
          f"(majority class: {base['accuracy']:.3f} / {base['macro_f1']:.3f}); {m['seconds']:.0f} s")
    print(f"wrote {out} and {out.with_name(out.stem + '.metrics.json')}")
    return 0
