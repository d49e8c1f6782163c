"""The learned speech → AU models of the seeds (PyTorch): the cascade's Model B (MFCC-39 → LSTM → one utterance
vector → fully connected → 17 AUs) and Sadoughi & Busso's region BLSTMs (Separate, Joint-1, Joint-2: a ReLU layer,
BLSTM layers, one linear output per face region), trained on 1 − CCC."""

from __future__ import annotations

import json
import os

import numpy as np
import torch
from torch import nn

from .. import checkpoint
from ..errors import ModelError
from ..facs import OPENFACE_AUS, REGIONS, region_of
from ..track import DEFAULT_FPS, AUTrack
from .audio import SR, check_sample_rate
from .features import FEATURE_FPS, HOP, feature_set

__all__ = [
    "KINDS",
    "REGION_AUS",
    "DEFAULT_LAYERS",
    "PAPER_OUTPUTS",
    "PAPER_PARAMETERS",
    "CascadeLSTM",
    "RegionBLSTM",
    "build_model",
    "count_parameters",
    "paper_parameter_table",
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

#: Model kinds: the cascade LSTM, and Sadoughi & Busso's Joint-1, Joint-2 and Separate region BLSTMs.
KINDS = ("lstm", "blstm-joint", "blstm-joint2", "blstm-separate")
#: BLSTM layers per path when none are given: Joint-1 and Separate-1 have one, Joint-2 one shared + one per region.
DEFAULT_LAYERS = {"lstm": 1, "blstm-joint": 1, "blstm-joint2": 2, "blstm-separate": 1}
#: AU columns each region predicts, in OPENFACE_AUS order.
REGION_AUS = {r: tuple(a for a in OPENFACE_AUS if region_of(a) == r) for r in REGIONS}
#: Sadoughi & Busso's outputs per region: IEMOCAP marker coordinates (19, 12 and 15 markers × x, y, z).
PAPER_OUTPUTS = {"upper": 19 * 3, "middle": 12 * 3, "lower": 15 * 3}
#: Their inputs: 25 MFCCs, F0, intensity and 17 eGeMAPS LLDs per frame.
PAPER_FEATURES = 25 + 1 + 1 + 17
#: Parameter counts of their table, millions: (kind, BLSTM layers per path, units per layer) → M.
PAPER_PARAMETERS = {
    ("blstm-separate", 1, 512): 12.8,
    ("blstm-joint", 1, 512): 4.4,
    ("blstm-separate", 1, 1024): 50.8,
    ("blstm-joint", 1, 1024): 17.1,
    ("blstm-separate", 2, 512): 31.7,
    ("blstm-joint2", 2, 512): 23.2,
}
#: Checkpoint format tag (2: the papers' architectures; 1 had no ReLU layer and a per-frame LSTM).
FORMAT = "facsynth-speech-2"
_PAPER_NAMES = {"blstm-separate": "Separate", "blstm-joint": "Joint-1", "blstm-joint2": "Joint-2"}


class CascadeLSTM(nn.Module):
    """Model B of the cascade: 39-d MFCC frames → LSTM → the utterance's last hidden state → fully connected → AUs.

    forward(x (batch, frames, 39), mask (batch, frames) bool or None) → (batch, 17) AU intensities (≥ 0): one
    vector per utterance, trained against the mean of the utterance's per-frame AU labels.
    """

    def __init__(self, n_features: int = 39, hidden: int = 64, layers: int = 1, n_aus: int = len(OPENFACE_AUS)):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, layers, batch_first=True)
        self.fc = nn.Linear(hidden, n_aus)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        lengths = mask.sum(1).clamp_min(1).cpu() if mask is not None else torch.full((x.shape[0],), x.shape[1])
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return nn.functional.softplus(self.fc(h[-1]))


def _blstm(n_in: int, hidden: int, layers: int) -> nn.LSTM:
    return nn.LSTM(n_in, hidden, layers, batch_first=True, bidirectional=True)


class _Path(nn.Module):
    """A ReLU layer then BLSTM layers: (batch, frames, n_in) → (batch, frames, 2·hidden)."""

    def __init__(self, n_in: int, hidden: int, layers: int):
        super().__init__()
        self.relu = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU())
        self.blstm = _blstm(hidden, hidden, layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blstm(self.relu(x))[0]


class RegionBLSTM(nn.Module):
    """Sadoughi & Busso's models: frame features → a ReLU layer → BLSTM layers → one linear output per face region.

    Parameters
    ----------
    n_features : int, input features per frame
    hidden : int, units of the ReLU layer and of each BLSTM direction (512 or 1024 in the paper)
    layers : int, BLSTM layers per path
    mode : "joint" (Joint-1: everything shared, linear heads per region), "joint2" (Joint-2: the ReLU layer and
        ``layers − 1`` BLSTM layers shared, then one task-specific BLSTM per region) or "separate" (one full
        network per region)
    outputs : {region: outputs}; default the OpenFace AUs of each region (facsynth), PAPER_OUTPUTS for the paper's

    forward(x (batch, frames, n_features)) → (batch, frames, Σ outputs); with the default outputs the 17 AU
    columns are in OPENFACE_AUS order and ≥ 0.
    """

    def __init__(self, n_features: int = 27, hidden: int = 512, layers: int = 1, mode: str = "joint",
                 outputs: dict[str, int] | None = None):
        super().__init__()
        if mode not in ("joint", "joint2", "separate"):
            raise ModelError(f"unknown region model {mode!r} (expected joint, joint2 or separate)")
        if mode == "joint2" and layers < 2:
            raise ModelError("Joint-2 needs at least 2 BLSTM layers (shared, then one per region)")
        self.mode = mode
        self.au_outputs = outputs is None
        sizes = {r: len(REGION_AUS[r]) for r in REGIONS} if outputs is None else dict(outputs)
        if mode == "joint":
            self.shared = _Path(n_features, hidden, layers)
        elif mode == "joint2":
            self.shared = _Path(n_features, hidden, layers - 1)
            self.tasks = nn.ModuleDict({r: _blstm(2 * hidden, hidden, 1) for r in REGIONS})
        else:
            self.towers = nn.ModuleDict({r: _Path(n_features, hidden, layers) for r in REGIONS})
        self.heads = nn.ModuleDict({r: nn.Linear(2 * hidden, sizes[r]) for r in REGIONS})
        order = [a for r in REGIONS for a in REGION_AUS[r]]
        self.register_buffer("perm", torch.tensor([order.index(a) for a in OPENFACE_AUS]), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "separate":
            parts = [self.heads[r](self.towers[r](x)) for r in REGIONS]
        else:
            shared = self.shared(x)
            parts = [self.heads[r](shared if self.mode == "joint" else self.tasks[r](shared)[0]) for r in REGIONS]
        out = torch.cat(parts, dim=-1)
        return nn.functional.softplus(out[..., self.perm]) if self.au_outputs else out


def feature_set_of(kind: str, egemaps: bool = False) -> str:
    """The feature set a model kind reads: "mfcc39" for the LSTM, "prosodic" (+eGeMAPS) for the BLSTMs."""
    if kind == "lstm":
        return "mfcc39"
    return "prosodic+egemaps" if egemaps else "prosodic"


def build_model(kind: str, n_features: int, hidden: int = 64, layers: int | None = None,
                outputs: dict[str, int] | None = None) -> nn.Module:
    """A fresh model of ``kind`` (see KINDS) over ``n_features`` inputs; ``layers`` default DEFAULT_LAYERS[kind].

    ``outputs`` (region BLSTMs only): outputs per region, default the region's OpenFace AUs.
    """
    if kind not in KINDS:
        raise ModelError(f"unknown speech model kind {kind!r} (expected one of {', '.join(KINDS)})")
    layers = layers or DEFAULT_LAYERS[kind]
    if kind == "lstm":
        return CascadeLSTM(n_features, hidden, layers)
    mode = {"blstm-joint": "joint", "blstm-joint2": "joint2", "blstm-separate": "separate"}[kind]
    return RegionBLSTM(n_features, hidden, layers, mode, outputs)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def paper_parameter_table() -> list[dict]:
    """Sadoughi & Busso's parameter table rebuilt: each row's model at the paper's inputs (44 features) and outputs
    (marker coordinates), with facsynth's count beside the paper's, both in millions."""
    rows = []
    for (kind, layers, units), paper in PAPER_PARAMETERS.items():
        model = build_model(kind, PAPER_FEATURES, units, layers, outputs=PAPER_OUTPUTS)
        rows.append({"model": f"{_PAPER_NAMES[kind]}" + ("" if kind != "blstm-separate" else f"-{layers}"),
                     "kind": kind, "layers": layers, "units": units, "paper_M": paper,
                     "facsynth_M": round(count_parameters(model) / 1e6, 2)})
    return rows


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
    """Write model weights with what is needed to use them: kind, architecture (``config``: n_features, hidden,
    layers, features, hop), feature set and normalisation."""
    plain = json.loads(json.dumps(extra, default=float))  # plain types only, so loading needs no pickle code
    checkpoint.save_checkpoint(path, {"kind": kind, "config": config, "state_dict": model.state_dict(),
                                      "mean": torch.as_tensor(np.asarray(norm[0], np.float32)),
                                      "std": torch.as_tensor(np.asarray(norm[1], np.float32)),
                                      "aus": list(OPENFACE_AUS), **plain}, FORMAT)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint of ``save_checkpoint``; its "model" entry holds the ready model in eval mode.

    Raises ModelError when the file is missing, corrupt or not a facsynth speech checkpoint of this version (the
    message names the layout it holds: facsynth-speech-1 files predate the papers' architectures; retrain them).
    """
    ckpt = checkpoint.load_checkpoint(path, FORMAT, "speech model")
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
    """``load_checkpoint`` that also checks the checkpoint holds ``model`` ("lstm", or "blstm" for any BLSTM)."""
    ckpt = load_checkpoint(weights)
    if (model == "lstm") != (ckpt["kind"] == "lstm"):
        raise ModelError(f"{weights} holds a {ckpt['kind']} model, not {model}")
    return ckpt


def predict_curves(samples: np.ndarray, ckpt: dict) -> np.ndarray:
    """A loaded model's AU curves for audio samples (float32 mono 16 kHz).

    Returns np.ndarray [shape=(n // 160 + 1, 17)], float32, OpenFace AUs at 100 frames/s, clipped to 0–5. The
    cascade LSTM gives one vector per utterance (``samples``), repeated on every frame; the BLSTMs give a curve,
    resampled to 100 frames/s when they were trained at another hop.
    """
    hop = int(ckpt["config"].get("hop", HOP))
    feats = feature_set(samples, ckpt["config"]["features"], hop)
    x = torch.from_numpy((feats - ckpt["mean"]) / ckpt["std"]).float()[None]
    n = len(samples) // HOP + 1
    with torch.no_grad():
        y = ckpt["model"](x)[0].numpy()
    if y.ndim == 1:  # the cascade's utterance vector
        y = np.repeat(y[None], n, axis=0)
    elif hop != HOP:
        src, dst = np.arange(len(y)) * hop, np.arange(n) * HOP  # in samples
        y = np.stack([np.interp(dst, src, y[:, j]) for j in range(y.shape[1])], axis=1)
    return np.clip(np.nan_to_num(y), 0, 5).astype(np.float32)


def predict_track(samples: np.ndarray, weights: str | os.PathLike, model: str = "blstm", sr: int = SR,
                  fps: float = DEFAULT_FPS) -> AUTrack:
    """Run a trained speech model on audio samples (float32 mono at ``sr`` = 16 kHz; AudioError at another rate)
    → AUTrack (17 OpenFace AUs) at ``fps``.

    ``model`` is "lstm" or "blstm" (any BLSTM variant); raises ModelError if the checkpoint holds another kind.
    The LSTM (the cascade's Model B) gives one expression for the whole utterance, the same on every frame.
    """
    check_sample_rate(sr, "a speech model")
    curves = predict_curves(samples, load_for(weights, model))
    frames = max(1, int(np.ceil(len(samples) / SR * fps - 1e-9)))  # as long as the sound, like the default model
    return AUTrack(curves, OPENFACE_AUS, FEATURE_FPS).resample(fps, frames=frames)
