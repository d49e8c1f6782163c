"""Training of the voice-emotion classifier: window features of labelled clips, a speaker-independent split,
class-balanced cross-entropy, clip-level validation (accuracy, macro-F1, per-class F1, confusion matrix),
checkpoints and a metrics JSON."""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from tqdm import tqdm

from ..atomic import atomic_write
from ..errors import AudioError, FormatError
from ..speech.audio import load_audio
from ..speech.voice_classifier import VoiceEmotionNet, clip_windows, predict_proba, save_voice_model
from ..speech.voice_emotion import VOICE_EMOTIONS
from .voice_emotion_data import Clip

__all__ = ["VoiceTrainConfig", "ClipFeatures", "clip_features", "speaker_split", "classification_metrics",
           "train_voice_emotion"]


@dataclass
class VoiceTrainConfig:
    """Hyper-parameters of one run (stored in the checkpoint and the metrics JSON)."""

    hidden: int = 64
    epochs: int = 80
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    patience: int = 15
    val_fraction: float = 0.2
    seed: int = 0


@dataclass(frozen=True)
class ClipFeatures:
    """Window features (windows, N_FEATURES) of one clip with its emotion and speaker."""

    features: np.ndarray
    emotion: str
    speaker: str


def clip_features(clips: Sequence[Clip], progress: bool = True) -> list[ClipFeatures]:
    """Load every clip (16 kHz mono) and compute its window features; clips that cannot be read are skipped with
    a warning. Raises FormatError when none can be read."""
    out = []
    for clip in tqdm(clips, desc="features", unit="clip", disable=not progress):
        try:
            samples = load_audio(clip.path)
        except AudioError as e:
            warnings.warn(f"skipped {clip.path.name}: {e}", stacklevel=2)
            continue
        out.append(ClipFeatures(clip_windows(samples), clip.emotion, clip.speaker))
    if not out:
        raise FormatError("none of the clips could be read")
    return out


def speaker_split(speakers: Sequence[str], val_fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Indices of training and validation clips, whole speakers held out (about ``val_fraction`` of them, at
    least one when there are two or more); with a single speaker, clips are split at random instead."""
    rng = np.random.default_rng(seed)
    names = sorted(set(speakers))
    if len(names) >= 2:
        held = set(rng.permutation(names)[: max(1, int(round(len(names) * val_fraction)))].tolist())
        val = [i for i, s in enumerate(speakers) if s in held]
    else:
        order = rng.permutation(len(speakers)).tolist()
        val = order[: max(1, int(round(len(speakers) * val_fraction)))] if len(speakers) >= 2 else []
    val_set = set(val)
    return [i for i in range(len(speakers)) if i not in val_set], sorted(val)


def classification_metrics(truth: Sequence[int], pred: Sequence[int], labels: Sequence[str]) -> dict:
    """Accuracy, macro-F1, per-class F1 and the confusion matrix (rows truth, columns prediction)."""
    k = len(labels)
    m = np.zeros((k, k), int)
    for t, p in zip(truth, pred):
        m[t, p] += 1
    f1 = {}
    for i, name in enumerate(labels):
        tp, fp, fn = m[i, i], m[:, i].sum() - m[i, i], m[i].sum() - m[i, i]
        f1[name] = float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 0.0
    present = [f1[n] for i, n in enumerate(labels) if m[i].sum()]
    return {"accuracy": float(np.trace(m) / max(m.sum(), 1)), "macro_f1": float(np.mean(present)) if present else 0.0,
            "f1": f1, "confusion": m.tolist(), "labels": list(labels)}


def _clip_predictions(model, data: Sequence[ClipFeatures], idx: Sequence[int], norm, labels) -> list[int]:
    ckpt = {"model": model.eval(), "mean": norm[0], "std": norm[1]}
    return [int(predict_proba(data[i].features, ckpt).mean(0).argmax()) for i in idx]


def train_voice_emotion(data: Sequence[ClipFeatures], out_dir: str | os.PathLike,
                        config: VoiceTrainConfig | None = None, progress: bool = True) -> dict:
    """Train the voice-emotion MLP on clips' window features (each window labelled with its clip's emotion).

    Writes to ``out_dir``: ``best.pt`` (best validation macro-F1; ``facsynth speak --voice-model``), ``last.pt``
    (the last epoch) and ``metrics.json`` (config, split, per-epoch history, best clip-level figures, and the
    same figures for the untrained network as a baseline). Returns the metrics dictionary.
    """
    cfg = config or VoiceTrainConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels = [e for e in VOICE_EMOTIONS if any(d.emotion == e for d in data)]
    if len(labels) < 2:
        raise FormatError(f"training needs clips of at least two emotions (found {', '.join(labels) or 'none'})")
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    train_idx, val_idx = speaker_split([d.speaker for d in data], cfg.val_fraction, cfg.seed)
    val_idx = val_idx or train_idx
    x = np.concatenate([data[i].features for i in train_idx])
    y = np.concatenate([np.full(len(data[i].features), labels.index(data[i].emotion)) for i in train_idx])
    mean = np.nanmean(x, 0)
    mean = np.where(np.isnan(mean), 0.0, mean).astype(np.float32)
    x = np.where(np.isnan(x), mean, x)
    std = (x.std(0) + 1e-5).astype(np.float32)
    xt = torch.from_numpy(((x - mean) / std).astype(np.float32))
    yt = torch.from_numpy(y.astype(np.int64))
    counts = np.bincount(y, minlength=len(labels)).astype(np.float64)
    weights = torch.tensor(np.where(counts > 0, counts.sum() / (len(labels) * np.maximum(counts, 1)), 0.0),
                           dtype=torch.float32)
    model = VoiceEmotionNet(xt.shape[1], cfg.hidden, len(labels))
    truth = [labels.index(data[i].emotion) for i in val_idx]
    untrained = classification_metrics(truth, _clip_predictions(model, data, val_idx, (mean, std), labels), labels)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    history, best, bad = [], None, 0
    bar = tqdm(range(cfg.epochs), desc="train voice-emotion", unit="epoch", disable=not progress)
    for epoch in bar:
        model.train()
        order = torch.from_numpy(rng.permutation(len(xt)))
        losses = []
        for b in range(0, len(order), cfg.batch_size):
            sel = order[b:b + cfg.batch_size]
            loss = torch.nn.functional.cross_entropy(model(xt[sel]), yt[sel], weight=weights)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        val = classification_metrics(truth, _clip_predictions(model, data, val_idx, (mean, std), labels), labels)
        history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "accuracy": val["accuracy"],
                        "macro_f1": val["macro_f1"]})
        save_voice_model(out / "last.pt", model, labels, (mean, std), train_config=asdict(cfg), epoch=epoch + 1)
        if best is None or val["macro_f1"] > best["macro_f1"] + 1e-9:
            best, bad = {"epoch": epoch + 1, **val}, 0
            save_voice_model(out / "best.pt", model, labels, (mean, std), train_config=asdict(cfg),
                             epoch=epoch + 1, val_metrics=val)
        else:
            bad += 1
        bar.set_postfix(loss=f"{np.mean(losses):.3f}", f1=f"{val['macro_f1']:.3f}")
        if bad >= cfg.patience:
            break
    bar.close()
    metrics = {"config": asdict(cfg), "labels": labels, "n_train_clips": len(train_idx), "n_val_clips": len(val_idx),
               "val_speakers": sorted({data[i].speaker for i in val_idx}), "epochs_run": len(history),
               "untrained": untrained, "best": best, "history": history}
    with atomic_write(out / "metrics.json") as fh:
        json.dump(metrics, fh, indent=1)
    return metrics
