"""Prior calibration of the text-emotion blend: fitting per-class log-prior offsets for macro-F1, choosing the
blend weight, and applying both at run time in the default model."""

from __future__ import annotations

import numpy as np
import pytest

from facsynth.language import emotion as emo
from facsynth.train import emotion_blend, prior_shift
from facsynth.train.emotion import evaluate

PRIORS = np.array([0.70, 0.15, 0.10, 0.05])
MEANS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def _imbalanced(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a 4-class problem with priors 70/15/10/5 %: the Bayes posterior (N, 4) of overlapping unit
    Gaussians in 2-D (means one unit apart), and one-hot targets (N, 4). The posterior maximises accuracy, so it seldom names the rare
    classes: the situation a prior shift is for."""
    y = rng.choice(len(PRIORS), n, p=PRIORS)
    x = MEANS[y] + rng.normal(size=(n, 2))
    log_joint = np.log(PRIORS) - 0.5 * ((x[:, None, :] - MEANS[None]) ** 2).sum(-1)
    posterior = np.exp(log_joint - log_joint.max(1, keepdims=True))
    return posterior / posterior.sum(1, keepdims=True), np.eye(len(PRIORS))[y]


def test_class_f1_matches_its_definition():
    rng = np.random.default_rng(3)
    pred = rng.integers(0, 5, 400)
    targets = (rng.random((400, 5)) < 0.3).astype(np.float32)
    gold = targets > 0
    f1 = prior_shift.class_f1(pred, targets)
    for c in range(5):
        tp = np.sum((pred == c) & gold[np.arange(400), pred])
        fp = np.sum((pred == c) & ~gold[np.arange(400), pred])
        fn = np.sum(gold[:, c] & (pred != c))
        assert f1[c] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert prior_shift.class_f1(np.zeros(3, np.int64), np.eye(3)[[0, 0, 0]]).tolist() == [1.0, 0.0, 0.0]


def test_offset_scan_equals_brute_force():
    """The sorted-threshold scan gives, for every grid value, the macro-F1 that re-running argmax gives."""
    rng = np.random.default_rng(1)
    probs = rng.dirichlet([5, 1, 1, 1, 2], 600)
    targets = np.eye(5)[rng.choice(5, 600, p=[0.4, 0.1, 0.1, 0.2, 0.2])]
    targets[rng.random(600) < 0.2, 2] = 1                      # some rows carry two labels
    log_probs, offsets = np.log(probs), rng.normal(0, 0.3, 5)
    grid = np.arange(-1.0, 1.05, 0.1)
    for c in range(5):
        brute = []
        for value in grid:
            trial = offsets.copy()
            trial[c] = value
            brute.append(prior_shift.macro_f1(log_probs, targets, trial))
        assert np.allclose(prior_shift._scan_offset(log_probs, targets > 0, offsets, c, grid), brute)


def test_offsets_raise_held_out_macro_f1_on_an_imbalanced_problem(train_seed):
    rng = np.random.default_rng(train_seed)
    val_probs, val_targets = _imbalanced(rng, 2000)
    test_probs, test_targets = _imbalanced(rng, 4000)
    offsets = prior_shift.fit_offsets(val_probs, val_targets, seed=train_seed, bags=10)
    assert offsets.shape == (4,) and abs(offsets.mean()) < 1e-9
    assert offsets[3] > offsets[0] + 0.5                        # the rarest class gains against the commonest
    before = evaluate(test_probs, test_targets)["macro_f1"]
    after = evaluate(emo.shift_priors(test_probs, offsets), test_targets)["macro_f1"]
    assert after > before + 0.05, (before, after)               # measured +0.09 … +0.12 over seeds 0–5
    scores = prior_shift.cross_validate(val_probs, val_targets, seed=train_seed, bags=5)
    assert scores["calibrated"] > scores["uncalibrated"] + 0.04, scores


def test_offsets_leave_a_balanced_calibrated_model_nearly_alone(train_seed):
    """Where nothing is to be gained the fit does not invent large offsets (bagging averages the noise out)."""
    rng = np.random.default_rng(train_seed)
    y = rng.integers(0, 3, 3000)
    logits = 2.0 * np.eye(3)[y] + rng.normal(size=(3000, 3))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert np.abs(prior_shift.fit_offsets(probs, np.eye(3)[y], seed=train_seed, bags=10)).max() < 0.3


def test_choose_blend_prefers_the_informative_model(train_seed):
    rng = np.random.default_rng(train_seed)
    good, targets = _imbalanced(rng, 1000)
    noise = rng.dirichlet(np.ones(4), 1000)
    chosen = emotion_blend.choose_blend(good, noise, targets, step=0.25, folds=3, repeats=2, bags=5)
    assert chosen["weight"] >= 0.75 and len(chosen["log_prior"]) == 4 and len(chosen["curve"]) == 5
    assert chosen["kind"] != "none" and chosen["log_prior"][3] > chosen["log_prior"][0]   # the offsets gain here
    row = next(r for r in chosen["curve"] if r["weight"] == chosen["weight"])
    assert chosen["val_cross_validated"] > row["none"] + 0.003


def test_shrinkage_keeps_offsets_fitted_on_many_rows_and_drops_those_fitted_on_one():
    offsets = np.array([0.8, -1.0, 0.2])
    shrunk = prior_shift.shrink_offsets(offsets, np.array([1, 100_000, 50]), strength=50.0)
    assert abs(shrunk[0]) < 0.02                                 # 1 row: 0.8 / 51
    assert shrunk[1] == pytest.approx(-1.0, abs=1e-3)            # many rows: as fitted
    assert shrunk[2] == pytest.approx(0.1)                       # n = k: halfway
    assert np.allclose(prior_shift.shrink_offsets(offsets, np.array([1, 2, 3]), 0.0), offsets)


def test_cross_validation_scores_shrunk_offsets_between_raw_and_none(train_seed):
    """The shrunk candidates reuse each fold's fitted offsets: strength 0 scores as the raw offsets, an infinite
    strength as no offsets."""
    rng = np.random.default_rng(train_seed)
    probs, targets = _imbalanced(rng, 1500)
    scores = prior_shift.cross_validate(probs, targets, seed=train_seed, strengths=(0.0, 1e9), bags=5)
    assert scores["shrunk"][0] == scores["calibrated"]
    assert scores["shrunk"][1] == pytest.approx(scores["uncalibrated"])   # infinite strength: no offsets


def test_choose_blend_prefers_the_simpler_rule_on_a_tie(train_seed):
    """On a problem where offsets gain about 0.04, a tie margin wider than every difference keeps no offsets
    (the simplest rule), and no margin takes the best candidate."""
    rng = np.random.default_rng(train_seed)
    probs, targets = _imbalanced(rng, 900)
    options = dict(step=1.0, folds=3, repeats=1, bags=3, strengths=(10.0, 100.0))
    loose = emotion_blend.choose_blend(probs, probs, targets, tie=1.0, **options)
    assert loose["kind"] == "none" and loose["strength"] is None and not any(loose["log_prior"])
    strict = emotion_blend.choose_blend(probs, probs, targets, tie=0.0, **options)
    assert strict["kind"] in ("offsets", "shrunk") and strict["val_cross_validated"] == strict["best"][0]
    assert strict["val_cross_validated"] > loose["val_cross_validated"] + 0.01
    assert (strict["strength"] is None) == (strict["kind"] == "offsets")


def test_shift_priors_moves_the_decision_and_keeps_distributions():
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
    assert np.allclose(emo.shift_priors(probs, [0.0, 0.0, 0.0]), probs)
    shifted = emo.shift_priors(probs, [0.0, 0.0, 1.5])
    assert np.allclose(shifted.sum(1), 1.0)
    assert shifted.argmax(1).tolist() == [0, 2]                # 0.3·e^1.5 = 1.34 > 0.5
    assert np.allclose(shifted, emo.shift_priors(probs, [1.0, 1.0, 2.5]))   # a common shift changes nothing


def test_the_default_model_applies_its_shipped_blend_and_priors():
    assert set(emo.DEFAULT_BLEND) == {"minilm-lora", "lstm-glove"}
    assert sum(emo.DEFAULT_BLEND.values()) == pytest.approx(1.0)
    assert len(emo.DEFAULT_LOG_PRIOR) == len(emo.LABELS)
    texts = ["I can't believe you did this to me!", "Well, that was unexpected."]
    blend = sum(w * emo._probabilities(texts, name) for name, w in emo.DEFAULT_BLEND.items())
    assert np.allclose(emo._probabilities(texts, "default"), emo.shift_priors(blend, emo.DEFAULT_LOG_PRIOR))


def test_blend_tool_refuses_no_shuffles_in_one_line(capsys):
    with pytest.raises(SystemExit) as stop:
        emotion_blend.main(["--repeats", "0"])
    assert stop.value.code == 2
    assert "--repeats must be at least 1" in capsys.readouterr().err
