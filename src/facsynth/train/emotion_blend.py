"""The default text-emotion model's blend weight and prior offsets, chosen on the validation split only.

The default (:data:`facsynth.language.emotion.DEFAULT_BLEND`) is w · p(minilm-lora) + (1 − w) · p(lstm-glove)
with per-class log-prior offsets (:func:`facsynth.language.emotion.shift_priors`). :func:`choose_blend` picks w
on a grid, and takes offsets only where their *cross-validated* gain (fitted on k − 1 folds of validation, scored
on the held-out fold, :func:`facsynth.train.prior_shift.cross_validate`, repeated over shuffles) is positive in
every repeat; the shipped offsets are then fitted on the whole validation split.
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
from .prior_shift import cross_validate, fit_offsets, macro_f1

__all__ = ["choose_blend", "single_text_probabilities", "main"]


def choose_blend(first: np.ndarray, second: np.ndarray, targets: np.ndarray, *, step: float = 0.05,
                 folds: int = 5, repeats: int = 3, seed: int = 0, **fit_options: Any) -> dict[str, Any]:
    """The weight w of ``first`` in w · first + (1 − w) · second, and whether the blend gets log-prior offsets.

    first, second : np.ndarray [shape=(N, C)], two models' probabilities on a validation split
    targets : np.ndarray [shape=(N, C)], a label is present where > 0
    step : the grid of w, 0 … 1
    folds, repeats, seed : the offsets are judged by ``folds``-fold cross-validation
        (:func:`~facsynth.train.prior_shift.cross_validate`), repeated with ``repeats`` row shuffles
    fit_options : :func:`~facsynth.train.prior_shift.fit_offsets`'s (span, step of the offsets, sweeps, bags)

    Every w has two candidates: the plain blend, scored by its macro-F1 on all rows, and the calibrated blend,
    scored by the mean cross-validated macro-F1 and a candidate only where the offsets gained in *every*
    repeat (the gain of a few tenths of a point that one shuffle shows is often noise). The best candidate
    wins; its offsets are fitted on all rows (zeros for a plain blend).

    Returns ``{"weight": w, "calibrated": bool, "log_prior": [C offsets], "val": macro-F1 of the choice on all
    rows (in-sample for offsets), "val_cross_validated": the calibrated score at w, "curve": [{"weight",
    "uncalibrated", "calibrated", "gains": [one per repeat]}, …]}``.
    """
    curve = []
    for w in np.round(np.arange(0.0, 1.0 + step / 2, step), 6):
        blend = w * first + (1 - w) * second
        runs = [cross_validate(blend, targets, folds, seed + 100 * r, **fit_options) for r in range(repeats)]
        curve.append({"weight": float(w), "uncalibrated": runs[0]["uncalibrated"],
                      "calibrated": float(np.mean([r["calibrated"] for r in runs])),
                      "gains": [r["calibrated"] - r["uncalibrated"] for r in runs]})
    candidates = [(row["uncalibrated"], row["weight"], False) for row in curve]
    candidates += [(row["calibrated"], row["weight"], True) for row in curve if min(row["gains"]) > 0]
    score, weight, calibrated = max(candidates)
    blend = weight * first + (1 - weight) * second
    offsets = fit_offsets(blend, targets, seed=seed, **fit_options) if calibrated else np.zeros(first.shape[1])
    row = next(r for r in curve if r["weight"] == weight)
    return {"weight": weight, "calibrated": calibrated, "log_prior": offsets.tolist(),
            "val": macro_f1(np.log(np.clip(blend, 1e-12, None)), targets, offsets),
            "val_cross_validated": row["calibrated"], "curve": curve}


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
    args = parser.parse_args(argv)
    t0, c0 = time.perf_counter(), time.process_time()
    texts, targets = load_splits(args.data)["val"]
    first = single_text_probabilities(texts, args.lora)
    second = single_text_probabilities(texts, "lstm-glove")
    chosen = choose_blend(first, second, targets)
    result = {
        "blend": {"minilm-lora": chosen["weight"], "lstm-glove": round(1 - chosen["weight"], 6)},
        "log_prior": {name: round(b, 4) for name, b in zip(emotion.LABELS, chosen["log_prior"])},
        "calibrated": chosen["calibrated"],
        "chosen_on": f"validation split ({len(texts)} comments, one text per call): emotion_blend.choose_blend",
        "val": chosen["val"],
        "val_cross_validated": chosen["val_cross_validated"],
        "curve": chosen["curve"],
        "seconds": {"wall": round(time.perf_counter() - t0, 1), "cpu": round(time.process_time() - c0, 1)},
    }
    with atomic_write(args.out) as fh:
        json.dump(result, fh, indent=2)
    print(json.dumps({k: result[k] for k in ("blend", "calibrated", "log_prior", "val", "val_cross_validated")}))
    return result


if __name__ == "__main__":
    main()
