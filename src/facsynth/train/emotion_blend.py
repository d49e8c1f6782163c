"""The default text-emotion model's blend weight and prior offsets, chosen on the validation split only.

The default (:data:`facsynth.language.emotion.DEFAULT_BLEND`) is w · p(minilm-lora) + (1 − w) · p(lstm-glove)
with per-class log-prior offsets (:func:`facsynth.language.emotion.shift_priors`). :func:`choose_blend` picks w
on a grid and one of three calibration rules (no offsets, offsets as fitted, offsets shrunk toward 0 by their
class's row count) by the *cross-validated* macro-F1 (offsets fitted on k − 1 folds of validation, scored on the
held-out fold, :func:`facsynth.train.prior_shift.cross_validate`, averaged over shuffles), the simplest rule
winning ties; the shipped offsets are then fitted on the whole validation split.
``python -m facsynth.train.emotion_blend`` runs it on the shipped models and writes ``assets/emotion_default.json``;
the test split is not read.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..atomic import atomic_write
from ..language import emotion
from .emotion import DEFAULT_DATA, load_splits
from .prior_shift import cross_validate, fit_offsets, macro_f1, shrink_offsets

__all__ = ["STRENGTHS", "KINDS", "choose_blend", "single_text_probabilities", "main"]


STRENGTHS = (5.0, 10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 200.0, 300.0, 500.0)
"""The shrinkage strengths k (rows, :func:`~facsynth.train.prior_shift.shrink_offsets`) that cross-validation tries."""

KINDS = ("none", "offsets", "shrunk")
"""The calibration rules, simplest first: no offsets, offsets as fitted, offsets shrunk by class count."""


def choose_blend(first: np.ndarray, second: np.ndarray, targets: np.ndarray, *, step: float = 0.05,
                 folds: int = 5, repeats: int = 3, seed: int = 0, strengths: tuple[float, ...] = STRENGTHS,
                 tie: float = 0.003, **fit_options: Any) -> dict[str, Any]:
    """The weight w of ``first`` in w · first + (1 − w) · second, and the blend's calibration rule (:data:`KINDS`).

    first, second : np.ndarray [shape=(N, C)], two models' probabilities on a validation split
    targets : np.ndarray [shape=(N, C)], a label is present where > 0
    step : the grid of w, 0 … 1
    folds, repeats, seed : offsets are judged by ``folds``-fold cross-validation
        (:func:`~facsynth.train.prior_shift.cross_validate`), averaged over ``repeats`` row shuffles
    strengths : shrinkage strengths k (rows) tried for the "shrunk" rule
    tie : candidates within ``tie`` of the best score count as tied; the simplest rule among them wins
    fit_options : :func:`~facsynth.train.prior_shift.fit_offsets`'s (span, step of the offsets, sweeps, bags)

    Every w has three candidates: "none" (the plain blend, its macro-F1 on all rows: nothing is fitted), "offsets"
    (offsets fitted on k − 1 folds, the mean cross-validated macro-F1) and "shrunk" (the same offsets shrunk with
    the strength whose mean cross-validated macro-F1 is best). Of the candidates within ``tie`` of the best
    score, the first rule of :data:`KINDS` wins, and within it the best score. The offsets are then fitted on all
    rows (and shrunk with the class counts of all rows; zeros for "none").

    Returns ``{"weight": w, "kind": rule, "strength": k or None, "log_prior": [C offsets], "val": macro-F1 of the
    choice on all rows (in-sample for offsets), "val_cross_validated": the chosen candidate's score, "best":
    (score, kind, weight) of the best candidate before the tie rule, "curve": [{"weight", "none", "offsets",
    "shrunk": [one per strength], "runs": [per repeat: offsets, shrunk…]}, …]}``.
    """
    curve, candidates = [], []
    for w in np.round(np.arange(0.0, 1.0 + step / 2, step), 6):
        blend = w * first + (1 - w) * second
        runs = [cross_validate(blend, targets, folds, seed + 100 * r, strengths, **fit_options)
                for r in range(repeats)]
        shrunk = np.mean([r["shrunk"] for r in runs], axis=0) if strengths else np.zeros(0)
        row = {"weight": float(w), "none": runs[0]["uncalibrated"],
               "offsets": float(np.mean([r["calibrated"] for r in runs])), "shrunk": shrunk.tolist(),
               "runs": [[r["calibrated"], *r["shrunk"]] for r in runs]}
        curve.append(row)
        candidates += [(row["none"], "none", row["weight"], None), (row["offsets"], "offsets", row["weight"], None)]
        if strengths:
            k = int(shrunk.argmax())
            candidates.append((float(shrunk[k]), "shrunk", row["weight"], float(strengths[k])))
    best = max(candidates, key=lambda c: c[0])
    tied = [c for c in candidates if c[0] >= best[0] - tie]
    score, kind, weight, strength = min(tied, key=lambda c: (KINDS.index(c[1]), -c[0]))
    blend = weight * first + (1 - weight) * second
    offsets = np.zeros(first.shape[1])
    if kind != "none":
        offsets = fit_offsets(blend, targets, seed=seed, **fit_options)
    if kind == "shrunk":
        offsets = shrink_offsets(offsets, (np.asarray(targets) > 0).sum(0), strength)
    return {"weight": weight, "kind": kind, "strength": strength, "log_prior": offsets.tolist(),
            "val": macro_f1(np.log(np.clip(blend, 1e-12, None)), targets, offsets),
            "val_cross_validated": score, "best": list(best[:3]), "curve": curve}


def single_text_probabilities(texts: Sequence[str], model: str) -> np.ndarray:
    """``model``'s probabilities (N, 7) of each text classified alone, as ``classify`` runs at run time (the int8
    graphs run one text per call anyway, so for them this equals one batched call)."""
    return np.concatenate([emotion._probabilities([t], model) for t in texts])


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Choose the default blend on the validation split of ``--data`` with the shipped (or ``--lora``) models and
    write it to ``--out`` (default the package's ``assets/emotion_default.json``)."""
    parser = argparse.ArgumentParser(prog="python -m facsynth.train.emotion_blend", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--lora", default="minilm-lora", help="minilm-lora checkpoint (default the shipped one)")
    parser.add_argument("--out", type=Path, default=Path(emotion.__file__).parents[1] / "assets" / "emotion_default.json")
    parser.add_argument("--repeats", type=int, default=3, help="cross-validation shuffles per candidate (default 3)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    t0, c0 = time.perf_counter(), time.process_time()
    texts, targets = load_splits(args.data)["val"]
    first = single_text_probabilities(texts, args.lora)
    second = single_text_probabilities(texts, "lstm-glove")
    chosen = choose_blend(first, second, targets, repeats=args.repeats)
    result = {
        "blend": {"minilm-lora": chosen["weight"], "lstm-glove": round(1 - chosen["weight"], 6)},
        "log_prior": {name: round(b, 4) for name, b in zip(emotion.LABELS, chosen["log_prior"])},
        "calibration": chosen["kind"],
        "shrink_strength": chosen["strength"],
        "chosen_on": (f"validation split ({len(texts)} comments, one text per call): emotion_blend.choose_blend, "
                      f"5-fold cross-validation x {args.repeats} shuffles, ties within 0.003 to the simpler rule"),
        "val": chosen["val"],
        "val_cross_validated": chosen["val_cross_validated"],
        "best_before_tie_rule": chosen["best"],
        "strengths": list(STRENGTHS),
        "curve": chosen["curve"],
        "seconds": {"wall": round(time.perf_counter() - t0, 1), "cpu": round(time.process_time() - c0, 1)},
    }
    with atomic_write(args.out) as fh:
        json.dump(result, fh, indent=2)
    print(json.dumps({k: result[k] for k in ("blend", "calibration", "shrink_strength", "log_prior", "val", "val_cross_validated",
                                             "best_before_tie_rule")}))
    return result


if __name__ == "__main__":
    main()
