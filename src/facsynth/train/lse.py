"""Corpus, training loop and held-out evaluation of the learned language encoder (``facsynth.language.encoder``).

The corpus pairs random AU sets with sentences: ``describe`` in its three protocols (``p1``, ``p2``, ``p3``, half of
them reworded by :func:`~facsynth.language.paraphrase.rewrite`) and the paraphrase families of
``facsynth.language.paraphrase``. Training never sees the held-out styles (default: the ``passive`` family); the
test set is made only of them, so its figures measure generalisation to an unseen way of writing. The ``vocabulary``
family draws on the rule parser's own tables (every appearance word, idiom and degree word, scope and held-still
phrases, non-facial sentences), so the encoder learns the same words the rules read.
"""

from __future__ import annotations

import copy
import json
import math
import random
import time
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from tqdm import tqdm

from ..atomic import atomic_write
from ..facs import ALL_AUS, EMOTIONS, emotion_aus
from ..language import glove
from ..language.describe import describe
from ..language.encoder import LSE, load, save, tokenize
from ..language.paraphrase import FAMILIES, paraphrase, rewrite

__all__ = ["STYLES", "HELD_OUT", "random_aus", "make_corpus", "build_model", "evaluate", "train"]

#: Every sentence style: describe's protocols p1–p3 and the paraphrase families.
STYLES: tuple[str, ...] = ("p1", "p2", "p3", *FAMILIES)
#: Styles kept out of training and used as the test set.
HELD_OUT: tuple[str, ...] = ("passive",)
_SIZES, _SIZE_P = (1, 2, 3, 4, 5), (0.25, 0.3, 0.25, 0.12, 0.08)
_PAIRS = ((1, 2), (6, 12), (25, 26))


def random_aus(rng: random.Random) -> dict[int, float]:
    """A random AU set: integer intensities 1–5 on 1–5 catalogue AUs (sometimes with a pair named together, such
    as 1 + 2 at one level), or (a quarter of the time) an emotion prototype at a random strength, rounded to levels."""
    if rng.random() < 0.25:
        emo = rng.choice([e for e in EMOTIONS if e != "neutral"])
        aus = {a: float(min(5, round(v))) for a, v in emotion_aus(emo, rng.uniform(1.5, 5)).items()}
        aus = {a: v for a, v in aus.items() if v >= 1}
        if aus:
            return aus
    k = rng.choices(_SIZES, _SIZE_P)[0]
    aus = {a: float(rng.randint(1, 5)) for a in rng.sample(ALL_AUS, k)}
    if rng.random() < 0.15:  # AUs that people name together ("raises her brows" = 1 + 2) at one level
        level = float(rng.randint(1, 5))
        aus.update({a: level for a in rng.choice(_PAIRS)})
    return aus


def _sentence(aus: dict[int, float], style: str, rng: random.Random) -> tuple[str, dict[int, float]]:
    gender = rng.choice(("female", "male"))
    if style in ("p1", "p2", "p3"):
        emotion = rng.choice(EMOTIONS) if rng.random() < 0.5 else None
        text = describe(aus, protocol=int(style[1]), gender=gender, emotion=emotion, seed=rng.randrange(2 ** 31))
        return (rewrite(text, rng) if rng.random() < 0.5 else text), aus
    if rng.random() < 0.04:
        aus = {}
    return paraphrase(aus, style, gender, rng), aus


def make_corpus(n: int, styles: Sequence[str], seed: int = 0) -> list[tuple[str, dict[int, float], str]]:
    """``n`` (sentence, AU intensities, style) triples, styles drawn uniformly from ``styles``.

    Paraphrase styles include a few neutral sentences with no AU; ``describe`` styles always name at least one AU.
    """
    unknown = set(styles) - set(STYLES)
    if unknown:
        raise ValueError(f"unknown styles {sorted(unknown)} (expected some of {', '.join(STYLES)})")
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        style = rng.choice(list(styles))
        text, aus = _sentence(random_aus(rng), style, rng)
        out.append((text, aus, style))
    return out


def build_model(texts: Sequence[str], hidden: int = 128, seed: int = 0) -> LSE:
    """A fresh encoder whose vocabulary is every token of ``texts`` and every AU-code token, each with its frozen
    GloVe row (a fixed random vector for the tokens GloVe lacks, such as ``au12``)."""
    counts = Counter(t for text in texts for t in tokenize(text))
    counts.update(f"au{a}" for a in ALL_AUS)  # every AU code has its own token, seen or not
    vocab = ["<pad>", "<unk>", *sorted(counts, key=lambda w: (-counts[w], w))]
    rows = glove.token_ids(vocab)
    gen = np.random.default_rng(seed)
    emb = gen.normal(0, 0.4, (len(vocab), glove.DIM)).astype(np.float32)
    emb[0] = 0
    known = rows >= 0
    emb[known] = glove.vectors()[rows[known]]
    return LSE(vocab, emb, hidden=hidden)


def _targets(model: LSE, corpus) -> tuple[np.ndarray, np.ndarray]:
    y = np.zeros((len(corpus), len(model.aus)), np.float32)
    col = {a: j for j, a in enumerate(model.aus)}
    for i, (_, aus, _) in enumerate(corpus):
        for a, v in aus.items():
            y[i, col[a]] = v
    return y > 0, y


def _token_ids(model: LSE, texts: Sequence[str]) -> list[list[int]]:
    return [model.ids(tokenize(t)) or [1] for t in texts]


def _pad(rows: Sequence[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.int64)
    ids = torch.zeros(len(rows), int(lengths.max()), dtype=torch.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
    return ids, lengths


def _scores(model: LSE, texts: Sequence[str], batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
    rows = _token_ids(model, texts)
    probs, inten = [], []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            res = model(*_pad(rows[start: start + batch_size]))
            probs.append(torch.sigmoid(res["active_logit"]).numpy())
            inten.append(res["intensity"].numpy())
    return np.concatenate(probs), np.concatenate(inten)


def evaluate(model: LSE, corpus, threshold: float = 0.5) -> dict[str, float]:
    """AU-activation F1 and intensity error of ``model`` on ``corpus`` ((text, aus, style) triples).

    Returns ``f1_micro`` (over all sentence × AU decisions), ``f1_macro`` (mean per-AU F1 over the AUs present in
    the corpus), ``mae_active`` (mean |predicted − true| intensity over the AUs truly active, whether or not they
    were detected, in FACS units 0–5), ``level_accuracy`` (share of those with the right rounded level), and two
    baselines: ``f1_all_active`` (F1 of calling every AU active) and ``mae_constant`` (MAE of always answering 3).
    """
    texts = [t for t, _, _ in corpus]
    prob, inten = _scores(model, texts)
    truth, y = _targets(model, corpus)
    pred = prob > threshold
    tp, fp, fn = (pred & truth).sum(0), (pred & ~truth).sum(0), (~pred & truth).sum(0)
    present = truth.sum(0) > 0
    per_au = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
    err = np.abs(inten - y)[truth]
    rate = truth.mean()
    return {
        "n": len(corpus),
        "f1_micro": round(float(micro), 4),
        "f1_macro": round(float(per_au[present].mean()), 4),
        "mae_active": round(float(err.mean()), 4),
        "level_accuracy": round(float((np.rint(inten) == y)[truth].mean()), 4),
        "f1_all_active": round(float(2 * rate / (1 + rate)), 4),
        "mae_constant": round(float(np.abs(3.0 - y[truth]).mean()), 4),
    }


def train(out: str | Path, epochs: int = 3, seed: int = 0, n_train: int = 30000, n_eval: int = 3000,
          hidden: int = 128, batch_size: int = 64, lr: float = 3e-3, word_dropout: float = 0.1,
          held_out: Sequence[str] = HELD_OUT, progress: bool = True, init: str | Path | None = None) -> dict:
    """Train an encoder on generated sentences, evaluate it, write it to ``out`` and its metrics beside it.

    out : path
        Checkpoint to write (``.pt``); the metrics go to the same path with suffix ``.metrics.json``.
    epochs, n_train, batch_size, lr : training schedule (Adam, cosine decay, gradient clipping at 1).
    word_dropout : float in [0, 1)
        Share of training tokens replaced by ``<unk>`` in each batch, so no single word is relied upon.
    seed : int
        Seeds the corpus, the initialisation and the batch order.
    hidden : int
        LSTM units per direction (features of ``2 * hidden``).
    n_eval : int
        Sentences in each evaluation set: ``val`` (training styles, new sentences) and ``test`` (held-out styles).
    held_out : sequence of str
        Styles (of :data:`STYLES`) never seen in training; they make the test set.
    init : path, optional
        Start from these weights (fine-tuning; ``hidden`` is then the checkpoint's) instead of a fresh encoder.

    Returns the metrics dict (also stored inside the checkpoint).
    """
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    train_styles = [s for s in STYLES if s not in held_out]
    corpus = make_corpus(n_train, train_styles, seed)
    val = make_corpus(n_eval, train_styles, seed + 1)
    test = make_corpus(n_eval, list(held_out), seed + 2) if held_out else []
    if init is not None:
        model = copy.deepcopy(load(init))
        hidden = model.config["hidden"]
    else:
        model = build_model([t for t, _, _ in corpus], hidden=hidden, seed=seed)
    truth, y = _targets(model, corpus)
    rows = _token_ids(model, [t for t, _, _ in corpus])
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    steps = epochs * math.ceil(len(corpus) / batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 100) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    bce = torch.nn.BCEWithLogitsLoss()
    gen = np.random.default_rng(seed)
    bar = tqdm(total=steps, desc="train lse", unit="batch", disable=not progress)
    for epoch in range(epochs):
        model.train()
        order = gen.permutation(len(corpus))
        for start in range(0, len(order), batch_size):
            idx = order[start: start + batch_size]
            act, val_y = torch.as_tensor(truth[idx]), torch.as_tensor(y[idx])
            batch = [np.where(gen.random(len(rows[i])) < word_dropout, 1, rows[i]).tolist() for i in idx]
            res = model(*_pad(batch))
            loss = bce(res["active_logit"], act.float())
            if act.any():
                loss = loss + 0.5 * (res["intensity"][act] - val_y[act]).abs().mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            bar.update()
            bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}")
        if progress:
            quick = evaluate(model, val[:500])
            bar.write(f"epoch {epoch + 1}/{epochs}: val F1 {quick['f1_micro']:.3f}, MAE {quick['mae_active']:.3f}")
    bar.close()
    metrics = {
        "val": evaluate(model, val),
        "test_held_out": evaluate(model, test) if test else {},
        "test_by_style": {s: evaluate(model, [c for c in test if c[2] == s]) for s in held_out},
        "train_styles": train_styles,
        "held_out_styles": list(held_out),
        "config": {"epochs": epochs, "seed": seed, "n_train": n_train, "n_eval": n_eval, "hidden": hidden,
                   "batch_size": batch_size, "lr": lr, "word_dropout": word_dropout,
                   "init": str(init) if init is not None else None},
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    model.eval()
    save(model, out, metrics)
    with atomic_write(Path(out).with_suffix(".metrics.json")) as fh:
        json.dump(metrics, fh, indent=2)
    return metrics
