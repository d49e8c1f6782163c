"""Learned speech models: tiny LSTM and BLSTMs (joint, separate) trained on synthetic data made here must learn;
checkpoints load, resume continues, bad checkpoints are clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from facsynth.errors import ModelError
from facsynth.speech.models import ccc, load_checkpoint, predict_track
from facsynth.train.speech_loop import TrainConfig, train_speech_model

torch.set_num_threads(1)


def _synthetic(n: int, dim: int, seed: int = 0):
    """Feature sequences whose 17 AU curves are smoothed nonlinear functions of the features (plus a per-utterance
    level, so utterance means vary)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(dim, 17)) / np.sqrt(dim)
    data = []
    for _ in range(n):
        t = int(rng.integers(80, 140))
        x = rng.normal(size=(t, dim)).astype(np.float32)
        x = np.apply_along_axis(lambda c: np.convolve(c, np.ones(5) / 5, mode="same"), 0, x) * 2
        x += rng.normal(size=(1, dim)) * 0.7
        y = np.clip(2.5 * np.tanh(x @ w) + 2.0, 0, 5).astype(np.float32)
        data.append((x.astype(np.float32), y))
    return data


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = {}
    for kind, dim in (("lstm", 39), ("blstm-joint", 27), ("blstm-separate", 27)):
        d = tmp_path_factory.mktemp(kind)
        data = _synthetic(24, dim)
        cfg = TrainConfig(kind=kind, features="mfcc39" if kind == "lstm" else "prosodic", hidden=16, layers=1,
                          epochs=25 if kind == "lstm" else 15, batch_size=6, lr=1e-2, patience=50, seed=0)
        out[kind] = (d, train_speech_model(data, d, cfg, progress=False), data, cfg)
    return out


def test_lstm_learns_utterance_means(trained):
    d, metrics, _, _ = trained["lstm"]
    hist = metrics["history"]
    assert hist[-1]["utterance_mean_mse"] < hist[0]["utterance_mean_mse"] / 2.5
    assert (d / "best.pt").is_file() and (d / "last.pt").is_file()
    assert json.loads((d / "metrics.json").read_text())["best"]["loss"] == metrics["best"]["loss"]


@pytest.mark.parametrize("kind", ["blstm-joint", "blstm-separate"])
def test_blstm_ccc_rises(trained, kind):
    _, metrics, _, _ = trained[kind]
    first, best = metrics["history"][0], metrics["best"]
    assert best["ccc"] > 0.6 and best["ccc"] > first["ccc"] + 0.3
    assert best["loss"] < first["loss"] / 2
    for r in ("upper", "middle", "lower"):
        assert best[f"ccc_{r}"] > 0.4 and best[f"mse_{r}"] >= 0


def test_checkpoint_predicts_a_track(trained, tmp_path):
    d, _, _, _ = trained["blstm-joint"]
    ckpt = load_checkpoint(d / "best.pt")
    assert ckpt["kind"] == "blstm-joint" and ckpt["model"].training is False
    samples = (0.1 * np.sin(np.arange(16000) * 2 * np.pi * 220 / 16000)).astype(np.float32)
    track = predict_track(samples, d / "best.pt", model="blstm", fps=25)
    assert track.n_frames == 25 and len(track.aus) == 17
    with pytest.raises(ModelError):
        predict_track(samples, d / "best.pt", model="lstm")


def test_resume_continues(trained, tmp_path):
    d, metrics, data, cfg = trained["blstm-separate"]
    more = TrainConfig(**{**cfg.__dict__})
    more.epochs = cfg.epochs + 2
    with pytest.raises(ModelError):
        train_speech_model(data, d, more, resume=True, progress=False)  # other settings
    import shutil

    d2 = tmp_path / "resume"
    shutil.copytree(d, d2)
    ck = torch.load(d2 / "last.pt", weights_only=False)
    ck["config"]["epochs"] = more.epochs
    torch.save(ck, d2 / "last.pt")
    m2 = train_speech_model(data, d2, more, resume=True, progress=False)
    assert m2["epochs_run"] == cfg.epochs + 2
    assert m2["history"][: cfg.epochs] == metrics["history"]


def test_bad_checkpoints(tmp_path):
    with pytest.raises(ModelError):
        load_checkpoint(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError):
        load_checkpoint(bad)
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(ModelError):
        load_checkpoint(tmp_path / "other.pt")


def test_ccc_is_one_for_identity_and_low_for_noise():
    y = torch.rand(2, 50, 3)
    assert torch.allclose(ccc(y, y), torch.ones(3), atol=1e-4)
    assert ccc(torch.rand(2, 50, 3), y).abs().max() < 0.5
