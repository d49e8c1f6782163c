"""Learned speech models: tiny LSTM and BLSTMs (Joint-1, Joint-2, Separate) trained on synthetic data made here must
learn; the papers' structures and parameter counts; speaker-disjoint splits; checkpoints load, resume continues,
bad checkpoints are clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from facsynth import checkpoint
from facsynth.errors import ModelError
from facsynth.speech.models import (PAPER_PARAMETERS, build_model, ccc, count_parameters, load_checkpoint,
                                    paper_parameter_table, predict_track)
from facsynth.train.speech_loop import TRAIN_LAYOUT, TrainConfig, split, split_by_group, train_speech_model


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


def _utterances(n: int, dim: int, seed: int = 0):
    """Utterances whose AU level is set by a hidden 2-d utterance code z that shifts every feature frame: the
    utterance mean of the AUs can only be read from the whole sequence (the cascade's Model B task)."""
    rng = np.random.default_rng(seed)
    p, w = rng.normal(size=(2, dim)), rng.normal(size=(2, 17))
    data = []
    for _ in range(n):
        t = int(rng.integers(30, 60))
        z = rng.normal(size=(1, 2))
        x = (rng.normal(size=(t, dim)) + z @ p).astype(np.float32)
        data.append((x, np.clip(2.0 + z @ w + 0.3 * rng.normal(size=(t, 17)), 0, 5).astype(np.float32)))
    return data


@pytest.fixture(scope="module")
def trained(tmp_path_factory, train_seed):
    out = {}
    for kind, dim in (("lstm", 39), ("blstm-joint", 27), ("blstm-joint2", 27), ("blstm-separate", 27)):
        d = tmp_path_factory.mktemp(kind)
        data = _utterances(40, dim) if kind == "lstm" else _synthetic(24, dim)
        cfg = TrainConfig(kind=kind, features="mfcc39" if kind == "lstm" else "prosodic", hidden=16,
                          layers=2 if kind == "blstm-joint2" else 1, epochs=20 if kind == "lstm" else 15,
                          batch_size=6, lr=1e-2, patience=50, seed=train_seed)
        out[kind] = (d, train_speech_model(data, d, cfg, progress=False), data, cfg)
    return out


def test_lstm_learns_utterance_means(trained):
    d, metrics, data, cfg = trained["lstm"]
    train_idx, val_idx = split(len(data), cfg.val_fraction, cfg.seed)
    mean = np.mean([data[i][1].mean(0) for i in train_idx], axis=0)
    baseline = np.mean([((data[i][1].mean(0) - mean) ** 2).mean() for i in val_idx])  # the constant guess
    assert metrics["best"]["utterance_mean_mse"] < 0.4 * baseline  # seeds 0-2: 0.11-0.20 of it
    assert (d / "best.pt").is_file() and (d / "last.pt").is_file()
    assert json.loads((d / "metrics.json").read_text())["best"]["loss"] == metrics["best"]["loss"]


def test_lstm_gives_one_vector_per_utterance(trained):
    d, _, _, _ = trained["lstm"]
    model = load_checkpoint(d / "best.pt")["model"]
    x = torch.randn(3, 50, 39)
    mask = torch.ones(3, 50, dtype=torch.bool)
    mask[1, 20:] = False
    out = model(x, mask)
    assert out.shape == (3, 17)
    assert torch.allclose(out[1], model(x[1:2, :20])[0], atol=1e-5)  # padding after the end changes nothing
    samples = (0.1 * np.sin(np.arange(16000) * 2 * np.pi * 220 / 16000)).astype(np.float32)
    track = predict_track(samples, d / "best.pt", model="lstm", fps=25)
    assert track.n_frames == 25 and np.ptp(track.values, axis=0).max() == 0  # one expression for the utterance


@pytest.mark.parametrize("kind", ["blstm-joint", "blstm-joint2", "blstm-separate"])
def test_blstm_ccc_rises(trained, kind):
    _, metrics, _, _ = trained[kind]
    first, best = metrics["history"][0], metrics["best"]
    # the untrained first epoch scores CCC ≈ 0; 16 units shared by 17 AUs (the joint models) reach ≈ 0.5, the
    # separate towers ≈ 0.8 on this data. Seeds 0-2: CCC gains 0.49-0.59 (joint), 0.79-0.83 (separate), best loss
    # 0.16-0.51 of epoch 1's, region gains ≥ 0.45: the thresholds sit well below.
    assert best["ccc"] > first["ccc"] + 0.3, (first["ccc"], best["ccc"])
    assert best["loss"] < 0.7 * first["loss"], (first["loss"], best["loss"])
    for r in ("upper", "middle", "lower"):
        assert best[f"ccc_{r}"] > first[f"ccc_{r}"] + 0.25 and best[f"mse_{r}"] >= 0


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
    ck = checkpoint.load_checkpoint(d2 / "last.pt", TRAIN_LAYOUT, "speech training state")
    ck["config"]["epochs"] = more.epochs
    checkpoint.save_checkpoint(d2 / "last.pt", ck, TRAIN_LAYOUT)
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


def test_paper_parameter_counts():
    """Sadoughi & Busso's table at their inputs (25 MFCC + F0 + intensity + 17 eGeMAPS LLDs) and outputs (marker
    coordinates): a ReLU layer, BLSTMs of 512/1024 units per direction and linear outputs reproduce every count."""
    rows = paper_parameter_table()
    assert len(rows) == len(PAPER_PARAMETERS) == 6
    for row in rows:
        assert abs(row["facsynth_M"] - row["paper_M"]) <= max(0.05, 0.005 * row["paper_M"]), row
    # the structures behind them: Joint-1 shares everything, Joint-2 shares one BLSTM then one per region
    joint2 = build_model("blstm-joint2", 44, 32, 2)
    assert joint2.shared.blstm.num_layers == 1 and set(joint2.tasks) == {"upper", "middle", "lower"}
    assert isinstance(joint2.shared.relu[1], torch.nn.ReLU)
    sep = build_model("blstm-separate", 44, 32, 2)
    assert all(t.blstm.num_layers == 2 for t in sep.towers.values())
    assert count_parameters(build_model("blstm-joint", 44, 32)) < count_parameters(build_model("blstm-separate", 44, 32))
    with pytest.raises(ModelError, match="Joint-2"):
        build_model("blstm-joint2", 44, 32, 1)


def test_speaker_disjoint_split():
    groups = [f"spk{i % 10}" for i in range(50)]
    train, val, test = split_by_group(groups, 0.2, 0.2, seed=3)
    names = [{groups[i] for i in idx} for idx in (train, val, test)]
    assert [len(n) for n in names] == [6, 2, 2]  # 60/20/20 by speaker
    assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
    assert sorted(train + val + test) == list(range(50))
    assert split_by_group(["a"] * 4, 0.2, 0.2) == ([0, 1, 2, 3], [], [])  # one speaker: nothing to hold out


def test_speaker_split_scores_held_out_speakers(tmp_path):
    data = _synthetic(20, 27, seed=4)
    groups = [f"spk{i % 5}" for i in range(20)]
    cfg = TrainConfig(kind="blstm-joint", features="prosodic", hidden=8, epochs=2, batch_size=4, lr=1e-2,
                      test_fraction=0.2, seed=0)
    metrics = train_speech_model(data, tmp_path, cfg, progress=False, groups=groups)
    assert metrics["n_test"] == 4 and len(metrics["speakers"]["test"]) == 1
    assert not set(metrics["speakers"]["test"]) & set(metrics["speakers"]["train"])
    assert {"ccc_lower", "mse_upper", "loss"} <= set(metrics["test"])
