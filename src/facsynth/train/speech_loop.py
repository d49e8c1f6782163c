"""Training loop of the speech models: batching, the two losses (utterance-mean MSE, 1 − CCC), speaker-disjoint
train / validation / test splits, validation with per-region CCC and MSE, checkpoints, resume, early stopping, a
held-out test score and a metrics JSON."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from tqdm import tqdm

from ..atomic import atomic_write
from ..checkpoint import load_checkpoint as load_state, save_checkpoint as save_state
from ..errors import ModelError, TrackError
from ..facs import OPENFACE_AUS, REGIONS
from ..speech.models import (DEFAULT_LAYERS, REGION_AUS, build_model, ccc, ccc_loss, load_checkpoint, masked_mean,
                             save_checkpoint)

__all__ = ["TrainConfig", "train_speech_model", "evaluate", "split", "split_by_group"]


#: Layout of ``last.pt``, the resumable training state (facsynth.checkpoint).
TRAIN_LAYOUT = "facsynth-speech-train-1"

@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (stored in the checkpoint and the metrics JSON)."""

    kind: str = "blstm-joint"
    features: str = "prosodic"
    hidden: int = 512
    layers: int | None = None
    epochs: int = 60
    batch_size: int = 8
    lr: float = 2e-3
    patience: int = 10
    max_frames: int = 600
    val_fraction: float = 0.2
    test_fraction: float = 0.0
    seed: int = 0
    hop: int = 160


def split(n: int, val_fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Shuffle ``range(n)`` and cut it into training and validation indices (at least one of each when n ≥ 2 and
    ``val_fraction`` > 0; none held out when it is 0)."""
    order = np.random.default_rng(seed).permutation(n).tolist()
    n_val = min(n - 1, max(1, int(round(n * val_fraction)))) if n >= 2 and val_fraction > 0 else 0
    return order[n_val:], order[:n_val]


def split_by_group(groups: Sequence[str], val_fraction: float, test_fraction: float,
                   seed: int = 0) -> tuple[list[int], list[int], list[int]]:
    """Cut utterances into training, validation and test indices so that no group (speaker) is in two of them.

    Groups are shuffled with ``seed``; the first ``round(n_groups · test_fraction)`` go to test, the next
    ``round(n_groups · val_fraction)`` to validation (each at least 1 when its fraction is > 0 and ≥ 1 group is
    left for training). Sadoughi & Busso's split is 60/20/20 by speaker: ``val_fraction = test_fraction = 0.2``.
    """
    names = sorted(set(groups))
    order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]

    def count(fraction: float, left: int) -> int:
        return 0 if fraction <= 0 or left < 2 else min(left - 1, max(1, int(round(len(names) * fraction))))

    n_test = count(test_fraction, len(names))
    n_val = count(val_fraction, len(names) - n_test)
    test, val = set(order[:n_test]), set(order[n_test:n_test + n_val])
    pick = lambda chosen: [i for i, g in enumerate(groups) if g in chosen]  # noqa: E731
    return pick(set(order) - test - val), pick(val), pick(test)


def _batch(data: Sequence[tuple[np.ndarray, np.ndarray]], idx: Sequence[int], norm, max_frames: int,
           rng: np.random.Generator | None):
    """Pad (and for training, randomly crop to ``max_frames``) a batch → x (B, T, D), y (B, T, 17), mask (B, T)."""
    pieces = []
    for i in idx:
        x, y = data[i]
        if rng is not None and len(x) > max_frames:
            s = int(rng.integers(0, len(x) - max_frames + 1))
            x, y = x[s:s + max_frames], y[s:s + max_frames]
        pieces.append(((x - norm[0]) / norm[1], y))
    t = max(len(x) for x, _ in pieces)
    xb = np.zeros((len(pieces), t, pieces[0][0].shape[1]), np.float32)
    yb = np.zeros((len(pieces), t, pieces[0][1].shape[1]), np.float32)
    mb = np.zeros((len(pieces), t), bool)
    for k, (x, y) in enumerate(pieces):
        xb[k, : len(x)], yb[k, : len(y)], mb[k, : len(x)] = x, y, True
    return torch.from_numpy(xb), torch.from_numpy(yb), torch.from_numpy(mb)


def _predict(model: torch.nn.Module, kind: str, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """(B, T, 17) per-frame AUs of the BLSTMs; (B, 17) utterance vectors of the cascade LSTM."""
    return model(x, m) if kind == "lstm" else model(x)


def _loss(kind: str, pred: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    if kind == "lstm":
        return torch.nn.functional.mse_loss(pred, masked_mean(y, mask))
    return ccc_loss(pred, y, mask)


def evaluate(model: torch.nn.Module, kind: str, data, idx: Sequence[int], norm,
             device: torch.device = torch.device("cpu")) -> dict:
    """Validation figures: the training loss, per-region and overall CCC and MSE, and the MSE of utterance means
    (the cascade's target). BLSTMs are scored over frames; the cascade LSTM, which gives one vector per
    utterance, over utterances (its CCC is across utterance means)."""
    if not idx:
        return {}
    model.eval()
    with torch.no_grad():
        x, y, m = (t.to(device) for t in _batch(data, idx, norm, 0, None))
        pred = _predict(model, kind, x, m)
        loss = float(_loss(kind, pred, y, m))
        if kind == "lstm":
            y, m = masked_mean(y, m)[:, None], torch.ones(len(idx), 1, dtype=torch.bool, device=device)
            pred = pred[:, None]
        out = {"loss": loss, "utterance_mean_mse": float(((masked_mean(pred, m) - masked_mean(y, m)) ** 2).mean())}
        per_au = ccc(pred, y, m)
        keep = m.reshape(-1)
        sq = ((pred - y) ** 2).reshape(-1, y.shape[-1])[keep].mean(0)
        for r in REGIONS:
            cols = [OPENFACE_AUS.index(a) for a in REGION_AUS[r]]
            out[f"ccc_{r}"] = float(per_au[cols].mean())
            out[f"mse_{r}"] = float(sq[cols].mean())
        out["ccc"], out["mse"] = float(per_au.mean()), float(sq.mean())
    return out


def train_speech_model(data: Sequence[tuple[np.ndarray, np.ndarray]], out_dir: str | os.PathLike,
                       config: TrainConfig | None = None, resume: bool = False, progress: bool = True,
                       groups: Sequence[str] | None = None) -> dict:
    """Train a speech model on (features (frames, D), labels (frames, 17)) pairs on one frame grid (``config.hop``).

    ``groups`` names each utterance's speaker: the split is then speaker-disjoint (``split_by_group``); without it
    utterances are shuffled (``split``) and there is no test set. The test set is scored once, with the best weights.

    Writes to ``out_dir``: ``last.pt`` (every epoch: weights, optimiser, history; what ``resume`` continues),
    ``best.pt`` (the best validation loss; load with ``facsynth.speech.models.load_checkpoint``, use with
    ``facsynth speak --weights``) and ``metrics.json`` (config, per-epoch history, best validation figures).
    Training stops early after ``config.patience`` epochs without a better validation loss.

    Returns the metrics dictionary written to ``metrics.json`` (with "test" when a test set was held out).
    """
    cfg = config or TrainConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not data:
        raise TrackError("no training data")
    dims = {x.shape[1] for x, _ in data}
    if len(dims) != 1 or any(y.shape[1] != len(OPENFACE_AUS) or len(y) != len(x) for x, y in data):
        raise TrackError("training pairs must share one feature size and have 17 AU labels per feature frame")
    if groups is not None and len(groups) != len(data):
        raise TrackError(f"{len(groups)} speaker names for {len(data)} utterances")
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if groups is not None:
        train_idx, val_idx, test_idx = split_by_group(groups, cfg.val_fraction, cfg.test_fraction, cfg.seed)
    else:
        (train_idx, val_idx), test_idx = split(len(data), cfg.val_fraction, cfg.seed), []
    stacked = np.concatenate([data[i][0] for i in train_idx])
    norm = (stacked.mean(0), stacked.std(0) + 1e-5)
    n_features = dims.pop()
    arch = {"n_features": n_features, "hidden": cfg.hidden, "layers": cfg.layers or DEFAULT_LAYERS[cfg.kind],
            "features": cfg.features, "hop": cfg.hop}
    model = build_model(cfg.kind, n_features, cfg.hidden, cfg.layers).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    state = {"epoch": 0, "best": float("inf"), "bad": 0, "history": []}
    last = out / "last.pt"
    if resume and last.is_file():
        ck = load_state(last, TRAIN_LAYOUT, "speech training state")
        if ck.get("config") != asdict(cfg):
            raise ModelError(f"{last}: was trained with other settings; resume needs the same ones")
        model.load_state_dict(ck["model"])
        model.to(device)
        opt.load_state_dict(ck["optimizer"])
        state = ck["state"]
        rng = np.random.default_rng(cfg.seed + state["epoch"])
    bar = tqdm(total=cfg.epochs, initial=state["epoch"], desc=f"train {cfg.kind}", unit="epoch",
               disable=not progress)
    while state["epoch"] < cfg.epochs and state["bad"] < cfg.patience:
        model.train()
        order = rng.permutation(train_idx)
        losses = []
        for b in range(0, len(order), cfg.batch_size):
            x, y, m = (t.to(device) for t in _batch(data, order[b:b + cfg.batch_size], norm, cfg.max_frames, rng))
            loss = _loss(cfg.kind, _predict(model, cfg.kind, x, m), y, m)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            losses.append(loss.item())
        val = evaluate(model, cfg.kind, data, val_idx or train_idx, norm, device)
        state["epoch"] += 1
        state["history"].append({"epoch": state["epoch"], "train_loss": float(np.mean(losses)), **val})
        if val["loss"] < state["best"] - 1e-6:
            state["best"], state["bad"] = val["loss"], 0
            save_checkpoint(out / "best.pt", model, cfg.kind, arch, norm, val_metrics=val, train_config=asdict(cfg))
        else:
            state["bad"] += 1
        save_state(last, {"model": model.state_dict(), "optimizer": opt.state_dict(),
                          "state": json.loads(json.dumps(state, default=float)), "config": asdict(cfg)}, TRAIN_LAYOUT)
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(losses):.4f}", val=f"{val['loss']:.4f}", ccc=f"{val['ccc']:.3f}")
    bar.close()
    best = min(state["history"], key=lambda h: h["loss"])
    metrics = {"config": asdict(cfg), "n_train": len(train_idx), "n_val": len(val_idx), "n_test": len(test_idx),
               "epochs_run": state["epoch"], "stopped_early": state["bad"] >= cfg.patience, "best": best,
               "history": state["history"]}
    if groups is not None:
        metrics["speakers"] = {name: sorted({groups[i] for i in idx})
                               for name, idx in (("train", train_idx), ("val", val_idx), ("test", test_idx))}
    if test_idx:
        best_model = load_checkpoint(out / "best.pt")["model"].to(device)
        metrics["test"] = evaluate(best_model, cfg.kind, data, test_idx, norm, device)
    with atomic_write(out / "metrics.json") as fh:
        json.dump(metrics, fh, indent=1)
    return metrics
