"""``facsynth train fesn``: train Hong et al.'s FESN generator with its LVSN on faces and generated sentences."""

from __future__ import annotations

import argparse

from .train_ganimation import add_arguments as _add_arguments
from .train_ganimation import run_training

NAME = "fesn"
HELP = "train the FESN text-to-expression generator with its LVSN (256×256 faces)"
DESCRIPTION = """Train Hong et al.'s facial expression synthesis network (FESN) and its visual semantic encoder (LVSN).

DATA is a folder in the CK+ layout, the DISFA+ layout or any folder of images with OpenFace 2.0 CSVs; with
--bootstrap, a folder of your own neutral photos. Sentences come from the AU labels (facsynth's describe) and
their features from facsynth's language encoder. The LVSN is pre-trained first (--lvsn-epochs), then frozen.

Writes OUT/last.pt (use it with --weights), OUT/samples/epoch_NNN.png, OUT/history.jsonl and OUT/metrics.json.
Multi-GPU: torchrun --nproc_per_node N -m facsynth train fesn DATA ...
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    _add_arguments(p, kind="fesn")


def run(args: argparse.Namespace) -> int:
    return run_training(args, "fesn")
