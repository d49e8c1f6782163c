"""``facsynth train lse``: train the learned language encoder on generated sentences and report held-out figures."""

from __future__ import annotations

import argparse
from pathlib import Path

from .._lazy import lazy_module
from ..atomic import atomic_write
from ..errors import LimitError
from ..facs import au_label, au_name

torch = lazy_module("torch")
encoder = lazy_module("facsynth.language.encoder")   # torch
lse = lazy_module("facsynth.train.lse")               # torch

NAME = "lse"
HELP = "train the learned language encoder (BiLSTM + word→AU attention) on generated sentences"
DESCRIPTION = """Train the learned language encoder (Hong et al. ICIP 2020's LSE) on sentences generated from random
AU sets by `describe` (protocols 1–3) and the paraphrase families (including the vocabulary family drawn from the
rule parser's tables), holding out the passive family as the test set. Writes the weights to --out and the metrics
to the same path with suffix .metrics.json; --init fine-tunes existing weights. docs/lse.md says how the shipped
weights were made."""
DEMO_ORDER = 25

_DEMO_SENTENCES = (
    "She smiles strongly and raises her brows.",
    "A man's brows are lowered markedly and his lips are tightly pressed together.",
    "The woman wrinkles her nose a bit, while her upper lip is raised.",
    "AU12 at intensity D and AU6 C.",
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--out", type=Path, default=Path("out/lse/lse.pt"),
                   help="weights to write (default out/lse/lse.pt; metrics go beside it as .metrics.json)")
    p.add_argument("--epochs", type=int, default=3, help="passes over the training corpus (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the corpus, initialisation and batch order")
    p.add_argument("--sentences", type=int, default=30000, help="training sentences generated (default 30000)")
    p.add_argument("--eval-sentences", type=int, default=3000,
                   help="sentences in each evaluation set, seen and held-out styles (default 3000)")
    p.add_argument("--hidden", type=int, default=128,
                   help="LSTM units per direction; features are twice this (default 128 → 256-d; the paper: 256)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for torch (default 1, reproducible)")
    p.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (default 3e-3)")
    p.add_argument("--init", type=Path, metavar="PT",
                   help="fine-tune these weights (e.g. src/facsynth/assets/lse.pt) instead of a fresh encoder")


def run(args: argparse.Namespace) -> int:
    for name in ("epochs", "sentences", "eval_sentences", "hidden", "threads"):
        if getattr(args, name) < 1:
            raise LimitError(f"--{name.replace('_', '-')} must be at least 1")
    torch.set_num_threads(args.threads)
    if not args.lr > 0:
        raise LimitError("--lr must be positive")
    metrics = lse.train(args.out, epochs=args.epochs, seed=args.seed, n_train=args.sentences,
                    n_eval=args.eval_sentences, hidden=args.hidden, lr=args.lr, init=args.init)
    val, test = metrics["val"], metrics["test_held_out"]
    print(f"wrote {args.out} and {args.out.with_suffix('.metrics.json')} ({metrics['train_seconds']:.0f} s)")
    print(f"seen styles:     F1 micro {val['f1_micro']:.3f}, macro {val['f1_macro']:.3f}, "
          f"MAE {val['mae_active']:.3f}")
    print(f"held-out styles: F1 micro {test['f1_micro']:.3f}, macro {test['f1_macro']:.3f}, "
          f"MAE {test['mae_active']:.3f} ({', '.join(metrics['held_out_styles'])})")
    return 0


def demo(out: Path) -> list[Path]:
    """Write ``lse_explain.txt``: the shipped encoder's AUs and per-AU attention over the words of a few sentences."""
    path = out / "lse_explain.txt"
    with atomic_write(path) as fh:
        fh.write("Learned language encoder: predicted AUs and the words each AU attends to (weights sum to 1)\n")
        for text, aus in zip(_DEMO_SENTENCES, encoder.predict(list(_DEMO_SENTENCES))):
            fh.write(f"\n{text}\n")
            for au, words in sorted(encoder.explain(text).items()):
                top = ", ".join(f"{w} {a:.2f}" for w, a in words[:4])
                fh.write(f"  {au_label(au)}={aus.get(au, 0):.1f} {au_name(au):<22} ← {top}\n")
    return [path]
