"""``facsynth train ganimation``: train the GANimation generator on faces with AU labels (also the shared options
and runner of ``facsynth train fesn``)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .._lazy import lazy_module
from ..errors import FormatError
from ..train.gan_data import IMAGE_SUFFIXES, TEST_SUBJECTS, GANDataset, bootstrap_set, find_pairs, subject_split

gan_loop = lazy_module("facsynth.train.gan_loop")   # torch

NAME = "ganimation"
HELP = "train the GANimation generator (AU-conditioned, 128×128 faces)"
DESCRIPTION = """Train GANimation (Pumarola et al. 2018) on face images with AU labels.

DATA is a folder in the CK+ layout (cohn-kanade-images/ + FACS/), the DISFA+ layout (Images/ + Labels/),
or any folder of images with OpenFace 2.0 CSVs (x.png beside x.csv). With --bootstrap, DATA is a folder of
your own neutral photos: facsynth's geometric photo renderer makes a labelled set from them first.

Subjects are held out for evaluation (--test-subjects; CK+ 12 and DISFA+ 1 by default, as Hong et al.): FID
and SSIM are measured on them only.

Writes OUT/last.pt (use it with --weights), OUT/samples/epoch_NNN.png, OUT/history.jsonl and OUT/metrics.json.
Multi-GPU: torchrun --nproc_per_node N -m facsynth train ganimation DATA ...
"""


def add_arguments(p: argparse.ArgumentParser, *, kind: str = "ganimation") -> None:
    """The options of both generator trainers."""
    size = 128 if kind == "ganimation" else 256
    p.add_argument("data", type=Path, help="training data folder (see above)")
    p.add_argument("-o", "--out", type=Path, default=Path(f"runs/{kind}"), help=f"output folder (default runs/{kind})")
    p.add_argument("--layout", choices=("auto", "ckplus", "disfa", "openface"), default="auto",
                   help="data layout (default: recognise it)")
    p.add_argument("--bootstrap", action="store_true", help="DATA holds neutral photos: render a labelled set first")
    p.add_argument("--per-photo", type=int, default=8, help="expressions rendered per photo with --bootstrap")
    p.add_argument("--crop", choices=("face", "none"), default="face",
                   help="face: align faces by landmarks; none: images are already face crops")
    p.add_argument("--image-size", type=int, default=size, help=f"face crop side in pixels (default {size})")
    p.add_argument("--model-size", choices=("paper", "tiny"), default="paper",
                   help="architecture sizes: the paper's, or tiny ones for CPU smoke runs")
    p.add_argument("--epochs", type=int, default=30, help="training epochs (default 30)")
    p.add_argument("--batch-size", type=int, default=16, help="batch size per process (default 16)")
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (default 2e-4)")
    p.add_argument("--workers", type=int, default=0,
                   help="data-loading worker processes (default 0); decoded crops are cached in OUT/cache")
    p.add_argument("--test-subjects", type=int,
                   help="subjects held out for FID/SSIM (default: 12 for CK+, 1 for DISFA+ and other folders)")
    p.add_argument("--no-bf16", action="store_true", help="train in fp32 on CUDA (default: bf16 autocast)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--no-resume", action="store_true", help="start afresh even if OUT/last.pt exists")
    if kind == "ganimation":
        p.add_argument("--n-critic", type=int, default=5, help="critic steps per generator step (default 5)")
    else:
        p.add_argument("--lvsn-epochs", type=int, default=10,
                       help="pre-training epochs of the visual semantic encoder (default 10)")
        p.add_argument("--backbone", choices=("resnet", "convnet"), default="resnet",
                       help="backbone of the visual semantic encoder (trained here; default resnet)")
        p.add_argument("--lvsn-lr", type=float, default=1e-5,
                       help="learning rate of the LVSN pre-training (default 1e-5, Hong et al.)")
        p.add_argument("--no-word-attention", action="store_true",
                       help="ablation (Table 1): no expressive word attention")
        p.add_argument("--no-matching", action="store_true",
                       help="ablation (Table 1): no language-visual matching loss in the generator's objective")


def run_training(args: argparse.Namespace, kind: str) -> int:
    """Build the data set and configuration from ``args`` and train ``kind``."""
    for name in ("epochs", "batch_size", "image_size", "per_photo"):
        if getattr(args, name) < 1:
            raise FormatError(f"--{name.replace('_', '-')} must be at least 1")
    data = args.data
    if args.bootstrap:
        if not data.is_dir():
            raise FormatError(f"{data} is not a folder of photos")
        photos = sorted(p for p in data.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        data = bootstrap_set(photos, args.out / "bootstrap", per_photo=args.per_photo, seed=args.seed)
    layout = "openface" if args.bootstrap else args.layout
    pairs = find_pairs(data, layout)
    if layout == "auto":
        layout = "ckplus" if (data / "FACS").is_dir() else "disfa" if (data / "Labels").is_dir() else "openface"
    n_test = args.test_subjects if args.test_subjects is not None else TEST_SUBJECTS.get(layout, 1)
    if n_test < 0:
        raise FormatError("--test-subjects must be at least 0")
    train_pairs, test_pairs = subject_split(pairs, n_test, args.seed)
    dataset, held_out = (GANDataset(p, args.image_size, crop=args.crop, cache_dir=args.out / "cache")
                         for p in (train_pairs, test_pairs))
    models = {k: dict(v) for k, v in (gan_loop.TINY_MODELS if args.model_size == "tiny" else gan_loop.PAPER_MODELS)[kind].items()}
    extra = {"n_critic": args.n_critic} if kind == "ganimation" else {
        "lvsn_epochs": args.lvsn_epochs, "lvsn_lr": args.lvsn_lr, "word_attention": not args.no_word_attention,
        "matching": not args.no_matching}
    if kind == "fesn":
        models["lvsn"]["backbone"] = args.backbone
    cfg = gan_loop.TrainConfig(kind, image_size=args.image_size, epochs=args.epochs, batch_size=args.batch_size,
                               lr=args.lr, models=models, seed=args.seed, workers=args.workers,
                               bf16=False if args.no_bf16 else None, **extra)
    main_process = int(os.environ.get("RANK", "0")) == 0  # under torchrun only rank 0 reports
    if main_process:
        subjects = sorted({p.subject for p in test_pairs})
        print(f"{kind}: {len(train_pairs)} training pairs, {len(test_pairs)} held-out pairs of {len(subjects)} "
              f"subjects ({', '.join(subjects[:12]) or 'none'}) from {data}, {args.image_size}² crops, "
              f"writing to {args.out}/")
    history = gan_loop.train(dataset, args.out, cfg, resume=not args.no_resume, eval_dataset=held_out).history
    if main_process:
        print(f"checkpoint: {args.out / 'last.pt'} (epoch {history[-1]['epoch']})" if history else "nothing to train")
    return 0


def run(args: argparse.Namespace) -> int:
    return run_training(args, "ganimation")
