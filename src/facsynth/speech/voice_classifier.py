"""The trainable voice-emotion classifier (PyTorch): per ~2 s window, the prosodic cues (``voice_cues``) and MFCC
statistics → a small MLP → probabilities of VOICE_EMOTIONS. Trained by ``facsynth train voice-emotion``."""

from __future__ import annotations

import json
import os
from typing import Sequence

import numpy as np
import torch
from torch import nn

from ..checkpoint import load_checkpoint, save_checkpoint
from ..errors import ModelError
from .features import HOP
from .spectral import mfcc
from .voice_cues import CUES, FrameCues, frame_cues, window_cues
from .voice_emotion import VOICE_EMOTIONS, segment_windows

__all__ = ["LAYOUT", "N_FEATURES", "VoiceEmotionNet", "window_features", "clip_windows", "save_voice_model",
           "load_voice_model", "predict_proba", "window_probabilities"]

#: Checkpoint layout of the classifier (``facsynth.checkpoint``).
LAYOUT = "facsynth-voice-emotion-1"
_N_MFCC = 13
#: Features per window: the cue vector, then the mean and standard deviation of 13 MFCCs over speech frames.
N_FEATURES = len(CUES) + 2 * _N_MFCC


class VoiceEmotionNet(nn.Module):
    """Window features (batch, N_FEATURES), standardised → logits (batch, n_classes): two ReLU layers and dropout."""

    def __init__(self, n_features: int = N_FEATURES, hidden: int = 64, n_classes: int = 7, dropout: float = 0.2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def window_features(samples: np.ndarray, fc: FrameCues, windows: Sequence[tuple[int, int]]) -> np.ndarray:
    """Features of each window [start, stop) of 100 fps frames: ``window_cues`` (NaN where not measurable) and the
    mean and standard deviation of 13 MFCCs over the window's speech frames.

    Returns np.ndarray [shape=(len(windows), N_FEATURES)], float32 (NaN allowed; the model fills them with the
    training mean).
    """
    m = mfcc(samples, _N_MFCC, HOP)
    out = np.full((len(windows), N_FEATURES), np.nan, np.float32)
    for k, (a, b) in enumerate(windows):
        out[k, :len(CUES)] = window_cues(fc, a, b)
        keep = fc.active[a:b]
        rows = m[a:b][keep] if keep.sum() >= 5 else m[a:b]
        if len(rows):
            out[k, len(CUES):len(CUES) + _N_MFCC] = rows.mean(0)
            out[k, len(CUES) + _N_MFCC:] = rows.std(0)
    return out


def clip_windows(samples: np.ndarray) -> np.ndarray:
    """``window_features`` of every analysis window (``voice_emotion.segment_windows``) of one clip."""
    fc = frame_cues(samples)
    return window_features(samples, fc, segment_windows(len(fc.f0)))


def save_voice_model(path: str | os.PathLike, model: VoiceEmotionNet, labels: Sequence[str], norm: tuple,
                     **extra) -> None:
    """Write a trained classifier with what using it needs (class labels, feature normalisation, sizes) through
    ``facsynth.checkpoint`` (layout LAYOUT); ``extra`` holds plain JSON-like values (metrics, settings)."""
    first = model.net[0]
    save_checkpoint(path, {"config": {"n_features": first.in_features, "hidden": first.out_features},
                           "labels": list(labels), "state_dict": model.state_dict(),
                           "mean": torch.as_tensor(np.asarray(norm[0], np.float32)),
                           "std": torch.as_tensor(np.asarray(norm[1], np.float32)),
                           **json.loads(json.dumps(extra, default=float))}, LAYOUT)


def load_voice_model(path: str | os.PathLike) -> dict:
    """Read a checkpoint of ``save_voice_model`` (``weights_only=True``: a user's file never runs pickled code); its
    "model" entry holds the ready network in eval mode. Raises ModelError for a missing, unreadable or other file.
    """
    ckpt = load_checkpoint(path, LAYOUT, "voice-emotion model")
    try:
        cfg = ckpt["config"]
        model = VoiceEmotionNet(cfg["n_features"], cfg["hidden"], len(ckpt["labels"]))
        model.load_state_dict(ckpt["state_dict"])
        ckpt["mean"], ckpt["std"] = ckpt["mean"].numpy(), ckpt["std"].numpy()
    except (KeyError, RuntimeError, AttributeError, TypeError) as e:
        raise ModelError(f"{path}: the voice-emotion weights do not fit the model ({type(e).__name__})") from None
    ckpt["model"] = model.eval()
    return ckpt


def predict_proba(features: np.ndarray, ckpt: dict) -> np.ndarray:
    """Class probabilities (n, len(ckpt["labels"])) of window features (n, N_FEATURES); NaN → training mean."""
    x = (np.where(np.isnan(features), ckpt["mean"], features) - ckpt["mean"]) / ckpt["std"]
    with torch.no_grad():
        return torch.softmax(ckpt["model"](torch.from_numpy(x.astype(np.float32))), -1).numpy()


def window_probabilities(samples: np.ndarray, fc: FrameCues, windows: Sequence[tuple[int, int]],
                         ckpt: dict) -> np.ndarray:
    """Probabilities of VOICE_EMOTIONS per window from a loaded model; classes the model was not trained on get 0.

    Returns np.ndarray [shape=(len(windows), len(VOICE_EMOTIONS))], float64, rows summing to 1.
    """
    p = predict_proba(window_features(samples, fc, windows), ckpt)
    out = np.zeros((len(windows), len(VOICE_EMOTIONS)))
    for j, label in enumerate(ckpt["labels"]):
        out[:, VOICE_EMOTIONS.index(label)] = p[:, j]
    return out / out.sum(1, keepdims=True)
