"""Prior calibration for macro-F1: per-class log-probability offsets fitted on a validation split.

A classifier trained on imbalanced data (GoEmotions: 41 % happiness, 2 % fear) picks the frequent classes too
often for macro-F1, which weighs every class alike. Adding an offset b_c to each class's log-probability (a
change of the class prior, p_c ∝ p_c · e^{b_c}; :func:`facsynth.language.emotion.shift_priors` applies it at run
time) moves the decision boundaries without retraining. :func:`fit_offsets` chooses the offsets by coordinate
ascent over a grid, maximising the validation macro-F1, and averages the fits of bootstrap resamples (bagging) so
that the offsets follow the split's class balance rather than its few borderline rows; :func:`cross_validate`
says whether that generalises (offsets fitted on k − 1 folds, scored on the held-out fold).

>>> rng = np.random.default_rng(0)
>>> probs = rng.dirichlet([5, 1, 1], 500)
>>> targets = np.eye(3)[rng.choice(3, 500, p=[0.6, 0.2, 0.2])]
>>> fit_offsets(probs, targets, bags=0).shape
(3,)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["class_f1", "macro_f1", "fit_offsets", "shrink_offsets", "cross_validate"]


def class_f1(pred: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per-class F1 of top-1 predictions against multi-label targets.

    pred : np.ndarray [shape=(N,)], int class indices; targets : np.ndarray [shape=(N, C)], a label is present
    where its target is > 0. A prediction of class c is a true positive when the row carries c (false positive
    otherwise); a row carrying c that is not predicted c is a false negative, so F1_c = 2 TP / (#pred c + #gold c).
    Returns np.ndarray [shape=(C,)] float64 (0 for a class neither predicted nor present).
    """
    gold = np.asarray(targets) > 0
    n_classes = gold.shape[1]
    tp = np.bincount(pred, weights=gold[np.arange(len(pred)), pred], minlength=n_classes)
    denominator = np.bincount(pred, minlength=n_classes) + gold.sum(0)
    return np.divide(2 * tp, denominator, out=np.zeros(n_classes), where=denominator > 0)


def macro_f1(log_probs: np.ndarray, targets: np.ndarray, offsets: np.ndarray | None = None) -> float:
    """Macro-F1 (the mean of :func:`class_f1`) of argmax(log_probs + offsets).

    log_probs : np.ndarray [shape=(N, C)]; targets : (N, C), present where > 0; offsets : (C,) or None (zeros).
    """
    scores = log_probs if offsets is None else log_probs + offsets
    return float(class_f1(scores.argmax(1), targets).mean())


def _scan_offset(log_probs: np.ndarray, gold: np.ndarray, offsets: np.ndarray, c: int,
                 grid: np.ndarray) -> np.ndarray:
    """Macro-F1 (G,) of argmax(log_probs + offsets) with class c's offset set to each of ``grid`` (G,) values.

    Row i goes to class c exactly when grid value > d_i = max_{j≠c}(s_ij) − log p_ic (s = log_probs + offsets),
    else to its best other class; sorting the rows by d turns every grid value into one prefix of rows, so all
    G scores come from cumulative counts in O(N log N + G C).
    """
    n, n_classes = log_probs.shape
    others = log_probs + offsets
    others[:, c] = -np.inf
    other = others.argmax(1)
    order = np.argsort(others[np.arange(n), other] - log_probs[:, c])
    switched = np.searchsorted((others[np.arange(n), other] - log_probs[:, c])[order], grid, side="left")
    onehot = np.eye(n_classes)[other[order]]
    hit = gold[order, other[order]][:, None]
    cum_pred = np.vstack([np.zeros(n_classes), np.cumsum(onehot, 0)])
    cum_tp = np.vstack([np.zeros(n_classes), np.cumsum(onehot * hit, 0)])
    n_pred = cum_pred[-1] - cum_pred[switched]
    tp = cum_tp[-1] - cum_tp[switched]
    n_pred[:, c] = switched
    tp[:, c] = np.concatenate([[0], np.cumsum(gold[order, c])])[switched]
    denominator = n_pred + gold.sum(0)
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0).mean(1)


def _coordinate_ascent(log_probs: np.ndarray, gold: np.ndarray, grid: np.ndarray, sweeps: int) -> np.ndarray:
    """Offsets (C,) from zero: each sweep sets each class's offset to the grid value with the best macro-F1,
    moving only on a strict gain (ties keep the current value, so a class nothing improves stays at 0)."""
    offsets = np.zeros(log_probs.shape[1])
    best = macro_f1(log_probs, gold, offsets)
    for _ in range(sweeps):
        moved = False
        for c in range(len(offsets)):
            scores = _scan_offset(log_probs, gold, offsets, c, grid)
            k = int(scores.argmax())
            if scores[k] > best + 1e-12:
                best, offsets[c], moved = float(scores[k]), grid[k], True
        if not moved:
            break
    return offsets


def fit_offsets(probs: np.ndarray, targets: np.ndarray, *, span: float = 1.5, step: float = 0.05,
                sweeps: int = 3, bags: int = 20, seed: int = 0) -> np.ndarray:
    """Per-class log-prior offsets that raise the macro-F1 of argmax(log probs + offsets) on (probs, targets).

    probs : np.ndarray [shape=(N, C)], class probabilities (rows sum to 1) on a validation split
    targets : np.ndarray [shape=(N, C)], a label is present where > 0
    span, step : the grid of each offset, −span … span in steps of ``step`` (log-probability units)
    sweeps : coordinate-ascent passes over the classes (fewer when a pass changes nothing)
    bags : the mean of this many fits on bootstrap resamples of the rows (0: one fit on all rows)
    seed : the resamples' seed

    Returns np.ndarray [shape=(C,)] float64 with mean 0 (a common shift changes no argmax).
    """
    log_probs = np.log(np.clip(np.asarray(probs, np.float64), 1e-12, None))
    gold = np.asarray(targets) > 0
    grid = np.arange(-span, span + step / 2, step)
    if bags <= 0:
        offsets = _coordinate_ascent(log_probs, gold, grid, sweeps)
    else:
        rng = np.random.default_rng(seed)
        fits = []
        for _ in range(bags):
            rows = rng.integers(0, len(log_probs), len(log_probs))
            fits.append(_coordinate_ascent(log_probs[rows], gold[rows], grid, sweeps))
        offsets = np.mean(fits, axis=0)
    return offsets - offsets.mean()


def shrink_offsets(offsets: np.ndarray, counts: np.ndarray, strength: float) -> np.ndarray:
    """Each class's offset pulled toward 0 by how few rows of that class it was fitted on: b_c · n_c / (n_c + k).

    offsets : np.ndarray [shape=(C,)], fitted offsets (log-probability units); counts : np.ndarray [shape=(C,)],
    the rows carrying each class in the data the offsets were fitted on; strength : k ≥ 0, in rows (0 keeps the
    offsets as fitted).

    The empirical-Bayes reading: a class's fitted offset is its true offset plus noise of variance about σ²/n_c
    (it moves only by where that class's few borderline rows fall), and a prior N(0, τ²) on true offsets makes the
    posterior mean b_c · τ² / (τ² + σ²/n_c) = b_c · n_c / (n_c + k) with k = σ²/τ². An offset fitted on 1 row
    nearly vanishes, one fitted on many rows stays. k is chosen by cross-validation
    (:func:`cross_validate`'s ``strengths``). The result is not re-centred (a common shift changes no argmax).
    """
    counts = np.asarray(counts, np.float64)
    return np.asarray(offsets, np.float64) * counts / np.maximum(counts + strength, 1e-12)


def cross_validate(probs: np.ndarray, targets: np.ndarray, folds: int = 5, seed: int = 0,
                   strengths: tuple[float, ...] = (), **options) -> dict[str, Any]:
    """Held-out macro-F1 with and without offsets: each fold is predicted with offsets fitted on the other folds
    (``fit_offsets(**options)``), and the out-of-fold predictions of all rows are scored together.

    probs, targets : np.ndarray [shape=(N, C)] as for :func:`fit_offsets`; folds : k ≥ 2; seed : the row shuffle;
    strengths : shrinkage strengths (rows) also scored: the same fitted offsets, shrunk by :func:`shrink_offsets`
    with the class counts of the fitting folds.
    Returns ``{"uncalibrated": macro-F1, "calibrated": macro-F1, "shrunk": [macro-F1 per strength]}`` over all
    N rows.
    """
    log_probs = np.log(np.clip(np.asarray(probs, np.float64), 1e-12, None))
    targets = np.asarray(targets)
    pred = np.empty((1 + len(strengths), len(log_probs)), np.int64)
    parts = np.array_split(np.random.default_rng(seed).permutation(len(log_probs)), folds)
    for k, held in enumerate(parts):
        fit_rows = np.concatenate([p for j, p in enumerate(parts) if j != k])
        offsets = fit_offsets(probs[fit_rows], targets[fit_rows], seed=seed + k, **options)
        counts = (targets[fit_rows] > 0).sum(0)
        for i, b in enumerate([offsets] + [shrink_offsets(offsets, counts, s) for s in strengths]):
            pred[i, held] = (log_probs[held] + b).argmax(1)
    scores = [float(class_f1(p, targets).mean()) for p in pred]
    return {"uncalibrated": macro_f1(log_probs, targets), "calibrated": scores[0], "shrunk": scores[1:]}
