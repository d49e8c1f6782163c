"""LoRA fine-tuning of the packaged all-MiniLM-L6-v2 for text emotion (written here in plain torch).

Low-rank adapters (Hu et al. 2021): a frozen linear layer ``y = W x + b`` becomes
``y = W x + b + (alpha / rank) · B (A x)`` with A (rank, in) random and B (out, rank) zero at the start, so the
untouched model is exactly the packaged one. Adapters sit on the attention query and value projections and on both
feed-forward linears of every layer; a linear head reads the token mean of the last layer. Only the adapters and
the head are trained; what ships (``assets/emotion_minilm_lora.npz``) is the adapter matrices and the head, and the
export (:func:`facsynth.language.minilm.export_classifier`) merges ``W + (alpha / rank) · B A`` into the weights.

Loss, targets and splits are those of :mod:`facsynth.train.emotion`: soft multi-label targets, class weights
∝ share^−½, the GoEmotions dev file as test split, a seeded 10 % of train as validation.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from ..atomic import atomic_write
from ..errors import FormatError
from ..language.emotion import LABELS
from ..language.emotion_models import load_checkpoint, save_checkpoint
from ..language.minilm import _model_dir, _tokenizer
from .emotion import DEFAULT_DATA, _batches, evaluate, load_splits

__all__ = [
    "TARGETS",
    "LoRALinear",
    "add_lora",
    "lora_arrays",
    "MiniLMLoRA",
    "load_arrays",
    "load_bert",
    "encode",
    "predict_logits",
    "fit_lora",
    "train_lora",
]

#: The linears of each BERT layer that get adapters (names inside ``encoder.layer.{i}``).
TARGETS = ("attention.self.query", "attention.self.value", "intermediate.dense", "output.dense")


class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` plus a trainable low-rank update: ``base(x) + scale · (dropout(x) A^T) B^T``.

    base : the linear layer (its weight (out, in) stays frozen)
    rank : r > 0, the rank of the update; alpha : the update's scale is alpha / rank
    lora_a : (r, in), random (std 1/√in); lora_b : (out, r), zeros, so a fresh adapter changes nothing.
    """

    def __init__(self, base: nn.Linear, rank: int = 8, alpha: float = 16.0, dropout: float = 0.1) -> None:
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (self.drop(x) @ self.lora_a.T @ self.lora_b.T) * self.scale

    def merged_weight(self) -> torch.Tensor:
        """``W + scale · B A`` (out, in): the plain linear layer equal to this one in eval mode."""
        return self.base.weight + self.scale * (self.lora_b @ self.lora_a)


def add_lora(bert: nn.Module, rank: int = 8, alpha: float = 16.0, dropout: float = 0.1,
             targets: Sequence[str] = TARGETS) -> list[str]:
    """Freeze every weight of ``bert`` and wrap the ``targets`` linears of each encoder layer in LoRALinear.

    Returns the wrapped module names (``encoder.layer.0.attention.self.query``, …).
    """
    for p in bert.parameters():
        p.requires_grad_(False)
    names = []
    for i, layer in enumerate(bert.encoder.layer):
        for target in targets:
            parent_name, _, attr = target.rpartition(".")
            parent = layer.get_submodule(parent_name)
            setattr(parent, attr, LoRALinear(getattr(parent, attr), rank, alpha, dropout))
            names.append(f"encoder.layer.{i}.{target}")
    return names


def lora_arrays(bert: nn.Module) -> dict[str, np.ndarray]:
    """The adapters of ``bert`` as ``{"lora/<module>.a": (r, in), "lora/<module>.b": (out, r)}`` float32 (the
    scale alpha/rank is in the checkpoint's config)."""
    return {f"lora/{name}.{k}": getattr(m, f"lora_{k}").detach().cpu().numpy()
            for name, m in bert.named_modules() if isinstance(m, LoRALinear) for k in ("a", "b")}


def load_bert() -> nn.Module:
    """The packaged all-MiniLM-L6-v2 as a transformers BertModel (eager attention, eval mode)."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    hf_logging.set_verbosity_error()
    return AutoModel.from_pretrained(str(_model_dir()), attn_implementation="eager").eval()


class MiniLMLoRA(nn.Module):
    """MiniLM with LoRA adapters → token mean of the last layer → dropout → linear → logits (B, n_classes).

    forward(input_ids, attention_mask): (B, T) int64 each → (B, n_classes) float32.
    """

    def __init__(self, bert: nn.Module | None = None, n_classes: int = 7, rank: int = 8, alpha: float = 16.0,
                 dropout: float = 0.1, lora_dropout: float = 0.0, targets: Sequence[str] = TARGETS) -> None:
        super().__init__()
        self.config = {"n_classes": n_classes, "rank": rank, "alpha": alpha, "dropout": dropout,
                       "lora_dropout": lora_dropout, "targets": list(targets)}
        self.bert = bert if bert is not None else load_bert()
        add_lora(self.bert, rank, alpha, lora_dropout, targets)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(self.bert.config.hidden_size, n_classes)

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask[..., None].to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.pooled(input_ids, attention_mask)))

    def arrays(self) -> dict[str, np.ndarray]:
        """What ships: the adapters (``lora/…``) and the head (``head.weight`` (C, 384), ``head.bias`` (C,))."""
        out = lora_arrays(self.bert)
        out.update({f"head.{k}": v.detach().cpu().numpy() for k, v in self.head.state_dict().items()})
        return out


def load_arrays(model: MiniLMLoRA, weights: dict[str, np.ndarray]) -> None:
    """Set ``model``'s adapters and head from a checkpoint's arrays (``MiniLMLoRA.arrays`` names), in place."""
    modules = dict(model.bert.named_modules())
    with torch.no_grad():
        for key, value in weights.items():
            tensor = torch.from_numpy(np.asarray(value, np.float32))
            if key.startswith("lora/"):
                name, _, part = key[len("lora/"):].rpartition(".")
                getattr(modules[name], f"lora_{part}").copy_(tensor)
            elif key.startswith("head."):
                getattr(model.head, key[len("head."):]).copy_(tensor)


def encode(texts: Sequence[str], max_pieces: int = 64) -> list[list[int]]:
    """MiniLM word-piece ids of each text (with [CLS] / [SEP]), cut to ``max_pieces``."""
    return [e.ids[:max_pieces - 1] + [e.ids[-1]] if len(e.ids) > max_pieces else e.ids
            for e in _tokenizer().encode_batch([str(t) for t in texts])]


def _pad(rows: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.int64)
    mask = torch.zeros((len(rows), width), dtype=torch.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.as_tensor(r)
        mask[i, : len(r)] = 1
    return ids, mask


def predict_logits(model: nn.Module, ids: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
    """Logits (N, n_classes) of ``model`` on encoded texts, in eval mode, batched by length."""
    model.eval()
    order = np.argsort([len(r) for r in ids], kind="stable")
    out = np.zeros((len(ids), model.config["n_classes"]), np.float32)
    with torch.inference_mode():
        for s in range(0, len(ids), batch_size):
            idx = order[s:s + batch_size]
            out[idx] = model(*_pad([ids[i] for i in idx])).numpy()
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True)


def _save(path: Path, model: MiniLMLoRA, metrics: dict[str, Any]) -> None:
    save_checkpoint(path, "minilm-lora", model.config, LABELS, model.arrays(), metrics)


def fit_lora(model: MiniLMLoRA, train: tuple[Sequence[str], np.ndarray],
             val: tuple[Sequence[str], np.ndarray] | None = None, *, epochs: int = 2, batch_size: int = 32,
             lr: float = 1e-3, head_lr: float = 3e-3, class_weight_power: float = 0.5, max_pieces: int = 64,
             max_steps: int | None = None, seed: int = 0, progress: bool = True,
             checkpoint: Path | None = None, checkpoint_every: int = 200) -> list[dict[str, float]]:
    """Train ``model``'s adapters and head in place on ``train`` = (texts, soft targets (N, n_classes)).

    AdamW (adapters ``lr``, head ``head_lr``, weight decay 0.01), linear warm-up over the first 6 % of steps and
    linear decay to 0, gradient norm clipped at 1. Loss: soft-target cross-entropy, each class weighted by its
    share^−``class_weight_power``. With ``val``, each epoch is scored (accuracy / macro-F1) and the best epoch's
    trainable weights are restored at the end. ``checkpoint``: a .npz path written after every epoch and every
    ``checkpoint_every`` steps (``model.arrays()``). ``max_steps`` ends training (and the learning-rate schedule)
    after that many batches, for a CPU budget. Returns one dict per epoch.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    ids = encode(train[0], max_pieces)
    y = torch.from_numpy(np.asarray(train[1], np.float32))
    share = y.mean(0).clamp(min=1e-4)
    weight = share ** -class_weight_power
    weight = weight / (weight * share).sum()
    val_ids = encode(val[0], max_pieces) if val is not None else None
    lora = [p for n, p in model.named_parameters() if p.requires_grad and "lora_" in n]
    head = list(model.head.parameters())
    optim = torch.optim.AdamW([{"params": lora, "lr": lr}, {"params": head, "lr": head_lr}], weight_decay=0.01)
    lengths = np.array([len(r) for r in ids])
    per_epoch = math.ceil(len(ids) / batch_size)
    total = min(epochs * per_epoch, max_steps or epochs * per_epoch)
    warm = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    history: list[dict[str, float]] = []
    best, best_state, step = -1.0, None, 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="train minilm-lora", unit="batch")
    for epoch in range(epochs):
        model.train()
        loss_sum, count, t0 = 0.0, 0, time.process_time()
        for idx in _batches(len(ids), batch_size, rng, lengths):
            if step >= total:
                break
            logp = torch.log_softmax(model(*_pad([ids[i] for i in idx])), 1)
            loss = -(y[idx] * weight * logp).sum(1).mean()
            optim.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(lora + head, 1.0)
            optim.step()
            sched.step()
            step += 1
            loss_sum += loss.item() * len(idx)
            count += len(idx)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=round(loss_sum / count, 4))
            if checkpoint is not None and step % checkpoint_every == 0:
                _save(checkpoint, model, {"history": history, "step": step})
        record = {"epoch": epoch + 1, "loss": loss_sum / max(count, 1), "steps": step,
                  "cpu_s": round(time.process_time() - t0, 1)}
        if val_ids is not None:
            m = evaluate(_softmax(predict_logits(model, val_ids)), np.asarray(val[1]))
            record.update(val_accuracy=m["accuracy"], val_macro_f1=m["macro_f1"])
            if m["macro_f1"] > best:
                best = m["macro_f1"]
                best_state = {n: p.detach().clone() for n, p in model.named_parameters() if n in trainable}
        history.append(record)
        if bar is not None:
            bar.write(json.dumps(record))
        if checkpoint is not None:
            _save(checkpoint, model, {"history": history, "step": step})
        if step >= total:
            break
    if bar is not None:
        bar.close()
    if best_state is not None:
        with torch.no_grad():
            for n, p in model.named_parameters():
                if n in best_state:
                    p.copy_(best_state[n])
    return history


def train_lora(data: Path = DEFAULT_DATA, out: Path | None = None, *, epochs: int = 2, limit: int | None = None,
               seed: int = 0, max_steps: int | None = None, init: Path | None = None, progress: bool = True,
               config: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    """Fine-tune MiniLM with LoRA on GoEmotions (Ekman), score it, and write the checkpoint and its metrics.

    data : the GoEmotions folder (``emotion.load_splits``); out : checkpoint path (.npz, default
    ``emotion_minilm_lora.npz``), written after every epoch and at the end with the best validation epoch; the
    metrics go beside it as ``<stem>.metrics.json``. epochs, limit, max_steps : see :func:`fit_lora` and
    ``load_splits``. seed : batch order and adapter start (the validation split is always ``load_splits``' seed
    0, so a second run with another seed never trains on it). init : a minilm-lora checkpoint to continue from
    (its config is used; ``config`` may add targets, whose adapters start at zero so the run starts from exactly
    the init model, or change the dropouts). config : MiniLMLoRA options (rank, alpha, dropout, targets); options :
    fit_lora's (lr, head_lr, batch_size, …).

    Returns the metrics: validation and test accuracy / macro-F1 / per-class F1 (of the torch model), history,
    trainable parameter count and seconds (wall and CPU).
    """
    t0, c0 = time.perf_counter(), time.process_time()
    out = Path(out) if out is not None else Path("emotion_minilm_lora.npz")
    splits = load_splits(data, seed=0, limit=limit)
    start = None
    if init is not None:
        start = load_checkpoint(init)
        if start.kind != "minilm-lora":
            raise FormatError(f"{init} is a {start.kind} checkpoint, not minilm-lora")
        kept = {k: v for k, v in start.config.items() if k not in ("n_classes", "onnx")}
        extra = dict(config or {})
        if any(k in extra and extra[k] != kept[k] for k in ("rank", "alpha")):
            raise FormatError(f"{init} has rank {kept['rank']} and alpha {kept['alpha']}; a continued run keeps them")
        if not set(kept["targets"]) <= set(extra.get("targets", kept["targets"])):
            raise FormatError(f"{init} has adapters on {kept['targets']}; a continued run keeps them")
        config = {**kept, **extra}
    model = MiniLMLoRA(n_classes=len(LABELS), **(config or {}))
    if start is not None:
        load_arrays(model, start.weights)
    history = fit_lora(model, splits["train"], splits["val"], epochs=epochs, seed=seed, max_steps=max_steps,
                       progress=progress, checkpoint=out, **options)
    scores = {k: evaluate(_softmax(predict_logits(model, encode(splits[k][0]))), splits[k][1], LABELS)
              for k in ("val", "test")}
    majority = np.zeros_like(splits["test"][1])
    majority[:, int(np.argmax(splits["train"][1].sum(0)))] = 1
    metrics = {
        "model": "minilm-lora",
        "labels": list(LABELS),
        "data": "GoEmotions (Demszky et al. 2020), Ekman grouping, Apache-2.0",
        "sizes": {k: len(y) for k, (_, y) in splits.items()},
        **scores,
        "test_majority_class": evaluate(majority, splits["test"][1], LABELS),
        "history": history,
        "trainable_parameters": int(sum(p.numel() for p in model.parameters() if p.requires_grad)),
        "seconds": round(time.perf_counter() - t0, 1),
        "cpu_seconds": round(time.process_time() - c0, 1),
    }
    save_checkpoint(out, "minilm-lora", model.config, LABELS, model.arrays(), metrics)
    with atomic_write(out.with_name(out.stem + ".metrics.json")) as fh:
        json.dump(metrics, fh, indent=2)
    return metrics
