"""The text-emotion classifiers at run time, without torch: GloVe → 2-layer LSTM (Aubakirova et al.) and
MiniLM → MLP in numpy, and the LoRA fine-tuned MiniLM on onnxruntime.

Both map texts to logits over their checkpoint's labels. A checkpoint is a small ``.npz`` file: the weight arrays
plus one JSON entry ``meta`` (model kind, size options, label order, metrics measured when it was trained); it loads
with ``allow_pickle=False``, so a user's file never runs code. The GloVe table and MiniLM's transformer come from
their pip packages (:mod:`facsynth.language.glove`, :mod:`facsynth.language.minilm`), never from the checkpoint;
a ``minilm-lora`` checkpoint holds only the low-rank adapters and the head, merged into MiniLM and exported to
ONNX in the cache folder on first use (:func:`facsynth.language.minilm.export_classifier`).
Training (torch) lives in :mod:`facsynth.train.emotion`; inference needs no torch.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..atomic import atomic_path
from ..errors import ModelError
from .glove import embed_batch
from .minilm import classifier_logits, classifier_path, export_classifier, layer_means

__all__ = [
    "KINDS",
    "LSTM_MAX_TOKENS",
    "Classifier",
    "lstm_forward",
    "head_forward",
    "save_checkpoint",
    "load_checkpoint",
]

#: Model kinds a checkpoint may hold.
KINDS = ("lstm-glove", "minilm", "minilm-lora")
#: Tokens the LSTM reads per text (longer texts are cut).
LSTM_MAX_TOKENS = 64


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def lstm_forward(weights: dict[str, np.ndarray], x: np.ndarray, lengths: np.ndarray, layers: int) -> np.ndarray:
    """A stacked LSTM (PyTorch's gate order i, f, g, o and weight names) → linear layer ``out``, in numpy.

    weights : {"lstm.weight_ih_l0": (4H, D), "lstm.weight_hh_l0": (4H, H), "lstm.bias_ih_l0": (4H,), …,
        "out.weight": (C, H), "out.bias": (C,)}
    x : np.ndarray [shape=(B, T, D)], float32, zero-padded
    lengths : np.ndarray [shape=(B,)], int, each 1..T
    layers : number of stacked LSTM layers

    Returns logits np.ndarray [shape=(B, C)], float32: the linear layer on the last layer's hidden state at each
    text's last real step (what ``pack_padded_sequence`` gives in torch).
    """
    seq = np.asarray(x, np.float32)
    batch, steps = seq.shape[:2]
    valid = (np.arange(steps)[None, :] < np.asarray(lengths)[:, None])[..., None]  # (B, T, 1)
    for k in range(layers):
        w_ih, w_hh = weights[f"lstm.weight_ih_l{k}"], weights[f"lstm.weight_hh_l{k}"]
        hidden = w_hh.shape[1]
        gates_in = seq @ w_ih.T + (weights[f"lstm.bias_ih_l{k}"] + weights[f"lstm.bias_hh_l{k}"])
        h = np.zeros((batch, hidden), np.float32)
        c = np.zeros((batch, hidden), np.float32)
        out = np.zeros((batch, steps, hidden), np.float32)
        for t in range(steps):
            g = gates_in[:, t] + h @ w_hh.T
            i, f, cell, o = (g[:, j * hidden:(j + 1) * hidden] for j in range(4))
            c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(cell)
            h_new = _sigmoid(o) * np.tanh(c_new)
            keep = valid[:, t]
            c = np.where(keep, c_new, c)
            h = np.where(keep, h_new, h)
            out[:, t] = h
        seq = out
    return h @ weights["out.weight"].T + weights["out.bias"]


def head_forward(weights: dict[str, np.ndarray], layers: Sequence[int], x: np.ndarray) -> np.ndarray:
    """MiniLM's emotion head in numpy: the chosen layers of ``x`` concatenated, standardised with ``norm.mean`` /
    ``norm.std``, then dense layers ``dense.{k}.weight`` (out, in) / ``dense.{k}.bias`` with ReLU between them.

    x : np.ndarray [shape=(B, 7, 384)] float32 layer means (``minilm.layer_means``) → logits (B, C) float32.
    """
    x = (x[:, list(layers)].reshape(len(x), -1) - weights["norm.mean"]) / weights["norm.std"]
    n = sum(1 for name in weights if name.startswith("dense.") and name.endswith(".weight"))
    for k in range(n):
        x = x @ weights[f"dense.{k}.weight"].T + weights[f"dense.{k}.bias"]
        if k < n - 1:
            x = np.maximum(x, 0.0)
    return x


@dataclass
class Classifier:
    """A loaded text-emotion model: ``logits(texts)`` → (len(texts), len(labels)) float32.

    kind : "lstm-glove", "minilm" or "minilm-lora"
    config : size options (LSTM: hidden, layers, dropout, dim; MiniLM head: hidden, dropout, layers (which of
        MiniLM's 7 hidden states it reads), dim; LoRA: rank, alpha, targets, onnx ("int8" or "fp32"))
    labels : class names in output order
    weights : name → float32 array (PyTorch state-dict names)
    metrics : what was measured when it was trained
    """

    kind: str
    config: dict[str, Any]
    labels: list[str]
    weights: dict[str, np.ndarray]
    metrics: dict[str, Any] = field(default_factory=dict)
    _onnx: Path | None = field(default=None, repr=False, compare=False)

    def onnx_path(self) -> Path:
        """A ``minilm-lora`` model's ONNX file in the cache folder, exported (torch, once) when missing."""
        if self._onnx is None:
            path = classifier_path(self.weights, self.config)
            self._onnx = path if path.is_file() else export_classifier(self.weights, self.config, path)
        return self._onnx

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        # an int8 graph quantises activations with one scale per call: one text a call, so a text's scores do not
        # depend on what it is classified with (float32 graphs batch exactly)
        if self.kind == "minilm-lora":
            per_call = 1 if self.config.get("onnx", "int8") == "int8" else 32
            return classifier_logits(texts, self.onnx_path(), batch_size=per_call)
        if self.kind == "lstm-glove":
            x, lengths = embed_batch(texts, max_len=LSTM_MAX_TOKENS)
            return lstm_forward(self.weights, x, lengths, int(self.config.get("layers", 2)))
        return head_forward(self.weights, self.config["layers"], layer_means(texts, batch_size=1))


def save_checkpoint(path: str | os.PathLike, kind: str, config: dict[str, Any], labels: Sequence[str],
                    weights: dict[str, np.ndarray], metrics: dict[str, Any] | None = None,
                    dtype: type = np.float32) -> None:
    """Write a checkpoint (.npz: the weights as ``dtype`` arrays (float32 or float16) + JSON ``meta``) to ``path``
    atomically."""
    if kind not in KINDS:
        raise ModelError(f"unknown emotion model {kind!r} (expected one of {', '.join(KINDS)})")
    meta = {"kind": kind, "config": dict(config), "labels": list(labels), "metrics": metrics or {}}
    arrays = {f"w/{k}": np.asarray(v, dtype) for k, v in weights.items()}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)


def load_checkpoint(path: str | os.PathLike) -> Classifier:
    """Read a checkpoint written by :func:`save_checkpoint`; ModelError if missing, corrupt or not an emotion model."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"emotion model {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            weights = {k[2:]: data[k] for k in data.files if k.startswith("w/")}
        model = Classifier(meta["kind"], dict(meta["config"]), list(meta["labels"]), weights,
                           dict(meta.get("metrics", {})))
    except Exception as e:  # np.load and json raise many types on a corrupt file
        raise ModelError(f"{path} is not a facsynth emotion model ({type(e).__name__}: {e})") from None
    if model.kind not in KINDS:
        raise ModelError(f"{path} holds an unknown emotion model kind {model.kind!r}")
    return model
