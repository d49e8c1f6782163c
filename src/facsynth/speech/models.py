"""The learned speech → AU models of the seeds (PyTorch): the cascade's MFCC-39 LSTM (Model B) and Sadoughi &
Busso's region BLSTMs, separate per face region or joint multitask, trained on 1 − CCC."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import ModelError
from ..facs import OPENFACE_AUS, REGIONS, region_of
from ..track import DEFAULT_FPS, AUTrack

__all__ = [
    "KINDS",
    "CascadeLSTM",
    "RegionBLSTM",
    "build_model",
    "feature_set_of",
    "masked_mean",
    "ccc",
    "ccc_loss",
    "save_checkpoint",
    "load_checkpoint",
    "load_for",
    "predict_curves",
    "predict_track",
]

#: Model kinds: the cascade LSTM, and Sadoughi & Busso's joint and separate region BLSTMs.
KINDS = ("lstm", "blstm-joint", "blstm-separate")
#: AU columns each region predicts, in OPENFACE_AUS order.
REGION_AUS = {r: tuple(a for a in OPENFACE_AUS if region_of(a) == r) for r in REGIONS}


class CascadeLSTM(nn.Module):
    """Model B of the cascade: 39-d MFCC frames → LSTM → fully connected → the 17 OpenFace AUs.

    forward(x (batch, frames, 39)) → (batch, frames, 17) AU intensities (≥ 0); trained on the utterance mean.
    """

    def __init__(self, n_features: int = 39, hidden: int = 64, layers: int = 1, n_aus: int = len(OPENFACE_AUS)):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, layers, batch_first=True)
        self.fc = nn.Linear(hidden, n_aus)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(x)
        return nn.functional.softplus(self.fc(h))


class RegionBLSTM(nn.Module):
    """Sadoughi & Busso: frame features → BLSTMs → upper, middle and lower face AUs.

    joint=True: shared BLSTM layers with one linear head per region (multitask); joint=False: one independent
    BLSTM stack and head per region. forward(x (batch, frames, n_features)) → (batch, frames, 17), columns in
    OPENFACE_AUS order.
    """

    def __init__(self, n_features: int = 27, hidden: int = 64, layers: int = 2, joint: bool = True):
        super().__init__()
        self.joint = joint
        if joint:
            self.shared = nn.LSTM(n_features, hidden, layers, batch_first=True, bidirectional=True)
        else:
            self.towers = nn.ModuleDict({r: nn.LSTM(n_features, hidden, layers, batch_first=True, bidirectional=True)
                                         for r in REGIONS})
        self.heads = nn.ModuleDict({r: nn.Linear(2 * hidden, len(REGION_AUS[r])) for r in REGIONS})
        order = [a for r in REGIONS for a in REGION_AUS[r]]
        self.register_buffer("perm", torch.tensor([order.index(a) for a in OPENFACE_AUS]), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shared = self.shared(x)[0] if self.joint else None
        parts = [self.heads[r](shared if self.joint else self.towers[r](x)[0]) for r in REGIONS]
        return nn.functional.softplus(torch.cat(parts, dim=-1)[..., self.perm])


def feature_set_of(kind: str, egemaps: bool = False) -> str:
    """The feature set a model kind reads: "mfcc39" for the LSTM, "prosodic" (+eGeMAPS) for the BLSTMs."""
    if kind == "lstm":
        return "mfcc39"
    return "prosodic+egemaps" if egemaps else "prosodic"


def build_model(kind: str, n_features: int, hidden: int = 64, layers: int | None = None) -> nn.Module:
    """A fresh model of ``kind`` ("lstm", "blstm-joint", "blstm-separate") over ``n_features`` inputs."""
    if kind == "lstm":
        return CascadeLSTM(n_features, hidden, layers or 1)
    if kind in ("blstm-joint", "blstm-separate"):
        return RegionBLSTM(n_features, hidden, layers or 2, joint=kind == "blstm-joint")
    raise ModelError(f"unknown speech model kind {kind!r} (expected one of {', '.join(KINDS)})")


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over frames of x (batch, frames, d) where mask (batch, frames) is true → (batch, d)."""
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(1) / m.sum(1).clamp_min(1.0)


def ccc(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Lin's concordance correlation per AU over all valid frames.

    pred, target : (batch, frames, d); mask : (batch, frames) bool or None. Returns (d,) in [−1, 1].
    """
    p = pred.reshape(-1, pred.shape[-1])
    t = target.reshape(-1, target.shape[-1])
    if mask is not None:
        keep = mask.reshape(-1)
        p, t = p[keep], t[keep]
    pm, tm = p.mean(0), t.mean(0)
    cov = ((p - pm) * (t - tm)).mean(0)
    return 2 * cov / (p.var(0, unbiased=False) + t.var(0, unbiased=False) + (pm - tm) ** 2 + 1e-8)


def ccc_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Sadoughi & Busso's loss: 1 − mean CCC over AUs."""
    return 1.0 - ccc(pred, target, mask).mean()


def save_checkpoint(path: str | os.PathLike, model: nn.Module, kind: str, config: dict, norm: tuple, **extra) -> None:
    """Write model weights with what is needed to use them: kind, architecture, feature set and normalisation."""
    from ..atomic import atomic_path

    plain = json.loads(json.dumps(extra, default=float))  # plain types only, so loading needs no pickle code
    with atomic_path(path) as tmp:
        torch.save({"format": "facsynth-speech-1", "kind": kind, "config": config,
                    "state_dict": model.state_dict(), "mean": torch.as_tensor(np.asarray(norm[0], np.float32)),
                    "std": torch.as_tensor(np.asarray(norm[1], np.float32)), "aus": list(OPENFACE_AUS), **plain}, tmp)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint of ``save_checkpoint``; its "model" entry holds the ready model in eval mode.

    Raises ModelError when the file is missing, corrupt or not a facsynth speech checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such checkpoint")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)  # a user's file: never run pickled code
    except Exception as e:
        raise ModelError(f"{path}: not a readable checkpoint ({type(e).__name__})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != "facsynth-speech-1":
        raise ModelError(f"{path}: not a facsynth speech model checkpoint")
    ckpt["mean"], ckpt["std"] = ckpt["mean"].numpy(), ckpt["std"].numpy()
    cfg = ckpt["config"]
    model = build_model(ckpt["kind"], cfg["n_features"], cfg["hidden"], cfg["layers"])
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError as e:
        raise ModelError(f"{path}: weights do not fit the {ckpt['kind']} model ({e})") from None
    ckpt["model"] = model.eval()
    return ckpt


def load_for(weights: str | os.PathLike, model: str) -> dict:
    """``load_checkpoint`` that also checks the checkpoint holds ``model`` ("lstm", or "blstm" for either BLSTM)."""
    ckpt = load_checkpoint(weights)
    if (model == "lstm") != (ckpt["kind"] == "lstm"):
        raise ModelError(f"{weights} holds a {ckpt['kind']} model, not {model}")
    return ckpt


def predict_curves(samples: np.ndarray, ckpt: dict, sr: int = 16000) -> np.ndarray:
    """A loaded model's AU curves for audio samples (float32 mono 16 kHz).

    Returns np.ndarray [shape=(n // 160 + 1, 17)], float32, OpenFace AUs at 100 frames/s, clipped to 0–5.
    """
    from .features import feature_set

    feats = feature_set(samples, ckpt["config"]["features"], sr)
    x = torch.from_numpy((feats - ckpt["mean"]) / ckpt["std"]).float()[None]
    with torch.no_grad():
        y = ckpt["model"](x)[0].numpy()
    return np.clip(np.nan_to_num(y), 0, 5).astype(np.float32)


def predict_track(samples: np.ndarray, weights: str | os.PathLike, model: str = "blstm", sr: int = 16000,
                  fps: float = DEFAULT_FPS) -> AUTrack:
    """Run a trained speech model on audio samples (float32 mono 16 kHz) → AUTrack (17 OpenFace AUs) at ``fps``.

    ``model`` is "lstm" or "blstm" (either BLSTM variant); raises ModelError if the checkpoint holds another kind.
    The LSTM is trained on utterance means: its frames are a smooth estimate, its mean the calibrated quantity.
    """
    from .features import FEATURE_FPS

    curves = predict_curves(samples, load_for(weights, model), sr)
    return AUTrack(curves, OPENFACE_AUS, FEATURE_FPS).resample(fps)
