"""Tiny synthetic face data, a stand-in describe() and text encoder, shared by the tests/test_gan_*.py files."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from facsynth.formats import write_track
from facsynth.track import AUTrack


def face(size: int, smile: float = 0.0, brows: float = 0.0, tone: int = 0) -> np.ndarray:
    """A drawn face (size, size, 3) uint8: skin disc, eyes, a mouth that widens with ``smile``, brows that rise."""
    yy, xx = np.mgrid[:size, :size] / size
    img = np.full((size, size, 3), 30, np.uint8)
    skin = (xx - 0.5) ** 2 + ((yy - 0.5) / 1.2) ** 2 < 0.16
    img[skin] = (200 - tone, 160 - tone // 2, 130)
    for ex in (0.35, 0.65):
        img[((xx - ex) ** 2 + (yy - 0.4) ** 2) < 0.003] = (20, 20, 20)
        brow = (np.abs(xx - ex) < 0.08) & (np.abs(yy - (0.3 - 0.05 * brows)) < 0.02)
        img[brow] = (60, 40, 30)
    half = 0.08 + 0.08 * smile
    mouth = (np.abs(xx - 0.5) < half) & (np.abs(yy - (0.68 - 0.03 * smile * (np.abs(xx - 0.5) / half))) < 0.03)
    img[mouth] = (150, 30, 40)
    return img


def openface_folder(root, size: int = 32, subjects: int = 2, per_subject: int = 3):
    """Write subjects/<s>/<k>.png + <k>.csv (OpenFace CSV) into ``root``; image 0 of each subject is neutral."""
    from PIL import Image

    for s in range(subjects):
        folder = root / f"subject{s}"
        folder.mkdir(parents=True)
        for k in range(per_subject):
            level = 1 + (k - 1) % 3  # 1, 2, 3 again and again: intensities stay inside FACS 0-5 for any per_subject
            aus = {} if k == 0 else ({12: 1.5 * level, 6: 1.0} if k % 2 else {1: 1.2 * level, 2: 1.0 * level})
            img = face(size, smile=aus.get(12, 0) / 3, brows=aus.get(1, 0) / 3, tone=40 * s)
            Image.fromarray(img).save(folder / f"{k}.png")
            write_track(AUTrack.still(aus), folder / f"{k}.csv")
    return root


def describe(aus) -> str:
    """A stand-in for facsynth.language.describe.describe: one word per active AU."""
    words = [f"au{a}x{int(round(v))}" for a, v in sorted(aus.items()) if v > 0]
    return " ".join(words) if words else "neutral face"


def encode(texts, dim: int = 16):
    """A stand-in text encoder: hashed word vectors (B, T, dim), their mean as the sentence vector, tokens."""
    tokens = [t.split() for t in texts]
    t_max = max(len(t) for t in tokens)
    words = torch.zeros(len(texts), t_max, dim)
    for i, toks in enumerate(tokens):
        for j, w in enumerate(toks):
            seed = int(hashlib.sha1(w.encode()).hexdigest()[:8], 16)
            words[i, j] = torch.randn(dim, generator=torch.Generator().manual_seed(seed))
    sentences = torch.stack([words[i, :len(t)].mean(0) for i, t in enumerate(tokens)])
    return words, sentences, tokens
