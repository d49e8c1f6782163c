"""Training loop of the speech models: batching, the two losses (utterance-mean MSE, 1 − CCC), validation with
per-region CCC and MSE, checkpoints, resume, early stopping and a metrics JSON."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..atomic import atomic_path, atomic_write
from ..errors import ModelError, TrackError
from ..facs import OPENFACE_AUS, REGIONS
from ..speech.models import REGION_AUS, build_model, ccc, ccc_loss, masked_mean, save_checkpoint

__all__ = ["TrainConfig", "train_speech_model", "evaluate", "split"]


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (stored in the checkpoint and the metrics JSON)."""

    kind: str = "blstm-joint"
    features: str = "prosodic"
    hidden: int = 64
    layers: int | None = None
    epochs: int = 60
    batch_size: int = 8
    lr: float = 2e-3
    patience: int = 10
    max_frames: int = 600
    val_fraction: float = 0.2
    seed: int = 0


def split(n: int, val_fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Shuffle ``range(n)`` and cut it into training and validation indices (at least one of each when n ≥ 2)."""
    order = np.random.default_rng(seed).permutation(n).tolist()
    n_val = min(n - 1, max(1, int(round(n * val_fraction)))) if n >= 2 else 0
    return order[n_val:], order[:n_val]


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


def _loss(kind: str, pred: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    if kind == "lstm":
        return torch.nn.functional.mse_loss(masked_mean(pred, mask), masked_mean(y, mask))
    return ccc_loss(pred, y, mask)


def evaluate(model: torch.nn.Module, kind: str, data, idx: Sequence[int], norm) -> dict:
    """Validation figures: the training loss, per-region and overall CCC and MSE over frames, and the MSE of
    utterance means (the cascade's target)."""
    if not idx:
        return {}
    model.eval()
    with torch.no_grad():
        x, y, m = _batch(data, idx, norm, 0, None)
        pred = model(x)
        out = {"loss": float(_loss(kind, pred, y, m)),
               "utterance_mean_mse": float(((masked_mean(pred, m) - masked_mean(y, m)) ** 2).mean())}
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
                       config: TrainConfig | None = None, resume: bool = False, progress: bool = True) -> dict:
    """Train a speech model on (features (frames, D), labels (frames, 17)) pairs at 100 frames/s.

    Writes to ``out_dir``: ``last.pt`` (every epoch: weights, optimiser, history; what ``resume`` continues),
    ``best.pt`` (the best validation loss; load with ``facsynth.speech.models.load_checkpoint``, use with
    ``facsynth speak --weights``) and ``metrics.json`` (config, per-epoch history, best validation figures).
    Training stops early after ``config.patience`` epochs without a better validation loss.

    Returns the metrics dictionary written to ``metrics.json``.
    """
    from tqdm import tqdm

    cfg = config or TrainConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not data:
        raise TrackError("no training data")
    dims = {x.shape[1] for x, _ in data}
    if len(dims) != 1 or any(y.shape[1] != len(OPENFACE_AUS) or len(y) != len(x) for x, y in data):
        raise TrackError("training pairs must share one feature size and have 17 AU labels per feature frame")
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    train_idx, val_idx = split(len(data), cfg.val_fraction, cfg.seed)
    stacked = np.concatenate([data[i][0] for i in train_idx])
    norm = (stacked.mean(0), stacked.std(0) + 1e-5)
    n_features = dims.pop()
    arch = {"n_features": n_features, "hidden": cfg.hidden, "layers": cfg.layers, "features": cfg.features}
    model = build_model(cfg.kind, n_features, cfg.hidden, cfg.layers)
    arch["layers"] = next(m for m in model.modules() if isinstance(m, torch.nn.LSTM)).num_layers
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    state = {"epoch": 0, "best": float("inf"), "bad": 0, "history": []}
    last = out / "last.pt"
    if resume and last.is_file():
        ck = torch.load(last, map_location="cpu", weights_only=True)
        if ck.get("config") != asdict(cfg):
            raise ModelError(f"{last}: was trained with other settings; resume needs the same ones")
        model.load_state_dict(ck["model"])
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
            x, y, m = _batch(data, order[b:b + cfg.batch_size], norm, cfg.max_frames, rng)
            loss = _loss(cfg.kind, model(x), y, m)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            losses.append(loss.item())
        val = evaluate(model, cfg.kind, data, val_idx or train_idx, norm)
        state["epoch"] += 1
        state["history"].append({"epoch": state["epoch"], "train_loss": float(np.mean(losses)), **val})
        if val["loss"] < state["best"] - 1e-6:
            state["best"], state["bad"] = val["loss"], 0
            save_checkpoint(out / "best.pt", model, cfg.kind, arch, norm, val_metrics=val, train_config=asdict(cfg))
        else:
            state["bad"] += 1
        with atomic_path(last) as tmp:
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                        "state": json.loads(json.dumps(state, default=float)), "config": asdict(cfg)}, tmp)
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(losses):.4f}", val=f"{val['loss']:.4f}", ccc=f"{val['ccc']:.3f}")
    bar.close()
    best = min(state["history"], key=lambda h: h["loss"])
    metrics = {"config": asdict(cfg), "n_train": len(train_idx), "n_val": len(val_idx), "epochs_run": state["epoch"],
               "stopped_early": state["bad"] >= cfg.patience, "best": best, "history": state["history"]}
    with atomic_write(out / "metrics.json") as fh:
        json.dump(metrics, fh, indent=1)
    return metrics
