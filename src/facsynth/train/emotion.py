"""Training and evaluation of the text-emotion models on GoEmotions (Ekman grouping, multi-label rows).

Splits: the GoEmotions *dev* file is the test split, never used for tuning or model selection; validation is a
seeded 10 % of the train file. A row with several labels is a soft target (equal shares). Metrics:

- accuracy: the top-1 prediction is one of the row's labels;
- macro-F1: per class, a top-1 prediction of that class is a true positive if the class is among the row's
  labels (false positive otherwise), and a row carrying the class without that prediction is a false negative;
  F1 averaged over the 7 classes.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from .._lazy import lazy_module
from ..atomic import atomic_write
from ..errors import FormatError
from ..language import glove
from ..language.emotion import GOEMOTIONS_TO_PAPER, LABEL_SETS, LABELS, label_distribution
from ..language.emotion_models import KINDS, LSTM_MAX_TOKENS, save_checkpoint
from ..cache import cache_dir
from ..language.minilm import layer_means, onnx_path
from .prior_shift import class_f1

tqdm = lazy_module("tqdm")

__all__ = [
    "LstmGlove",
    "MiniLMHead",
    "build_model",
    "DEFAULT_DATA",
    "read_goemotions",
    "load_splits",
    "evaluate",
    "minilm_layer_features",
    "glove_features",
    "fit",
    "predict_proba",
    "train",
]

#: Where the GoEmotions Ekman files live beside the checkout (training only; the package never reads it).
DEFAULT_DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "text_emotion"


class LstmGlove(nn.Module):
    """Aubakirova et al.'s classifier: frozen GloVe 50-d vectors → 2-layer LSTM (hidden 128, dropout 0.5) → linear.

    forward(x, lengths): x (B, T, 50) float32 GloVe vectors, zero-padded; lengths (B,) int64 ≥ 1 →
    logits (B, n_classes). The last layer's final hidden state of each text feeds the linear layer; softmax of
    the logits gives the class probabilities. Inference runs in numpy (``emotion_models.lstm_forward``).
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

    def arrays(self) -> dict[str, np.ndarray]:
        """The weights under the names ``emotion_models.lstm_forward`` reads."""
        return {k: v.detach().cpu().numpy() for k, v in self.state_dict().items()}


class MiniLMHead(nn.Module):
    """A small MLP on MiniLM's layer means: the chosen layers' token-mean hidden states, concatenated and
    standardised → hidden (ReLU, dropout) → n_classes (``hidden=0``: one linear layer, a logistic regression).

    forward(x): x (B, 7, 384) float layer means (``minilm.layer_means``) → logits (B, n_classes). The
    standardisation (``norm.mean``, ``norm.std``, over the training corpus: :meth:`set_norm`) is part of the model.
    """

    def __init__(self, n_classes: int = 7, hidden: int = 256, dropout: float = 0.3,
                 layers: Sequence[int] = (6,), dim: int = 384) -> None:
        super().__init__()
        self.config = {"n_classes": n_classes, "hidden": hidden, "dropout": dropout, "layers": list(layers),
                       "dim": dim}
        width = dim * len(layers)
        self.register_buffer("norm_mean", torch.zeros(width))
        self.register_buffer("norm_std", torch.ones(width))
        linears = [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_classes)] \
            if hidden else [nn.Dropout(dropout), nn.Linear(width, n_classes)]
        self.net = nn.Sequential(*linears)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.config["layers"]].reshape(len(x), -1).float()

    def set_norm(self, x: torch.Tensor) -> None:
        """Standardise inputs with the mean and standard deviation of the training corpus x (N, 7, 384)."""
        feats = torch.cat([self.features(x[s:s + 4096]) for s in range(0, len(x), 4096)])
        self.norm_mean.copy_(feats.mean(0))
        self.norm_std.copy_(feats.std(0).clamp(min=1e-4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((self.features(x) - self.norm_mean) / self.norm_std)

    def arrays(self) -> dict[str, np.ndarray]:
        """The weights under the names ``emotion_models`` reads (norm.mean, norm.std, dense.0, dense.1, …)."""
        linears = [m for m in self.net if isinstance(m, nn.Linear)]
        out = {"norm.mean": self.norm_mean.numpy().copy(), "norm.std": self.norm_std.numpy().copy()}
        out.update({f"dense.{k}.{p}": getattr(m, p).detach().cpu().numpy()
                    for k, m in enumerate(linears) for p in ("weight", "bias")})
        return out


def build_model(kind: str, **config: Any) -> nn.Module:
    """A fresh, untrained torch model of ``kind`` ("lstm-glove" or "minilm") with the given size options."""
    if kind == "lstm-glove":
        return LstmGlove(**config)
    if kind == "minilm":
        return MiniLMHead(**config)
    raise FormatError(f"unknown emotion model {kind!r} (expected one of {', '.join(KINDS)})")


def _class_columns(label_names: Sequence[str], labels: str) -> tuple[list[str], list[dict[int, float]]]:
    """The classes a model of label set ``labels`` is trained on, and each GoEmotions label id's share of them."""
    if labels == "paper":  # GoEmotions has no boredom: the paper model learns the four classes with data
        classes = [c for c in LABEL_SETS["paper"] if c in GOEMOTIONS_TO_PAPER.values()]
        return classes, [{classes.index(GOEMOTIONS_TO_PAPER[n]): 1.0} if n in GOEMOTIONS_TO_PAPER else {}
                         for n in label_names]
    return list(LABELS), [{LABELS.index(k): v for k, v in label_distribution(n).items()} for n in label_names]


def read_goemotions(tsv: Path, label_names: Sequence[str], labels: str = "ekman") -> tuple[list[str], np.ndarray]:
    """Read a GoEmotions TSV (text, comma-separated label ids, comment id).

    tsv : Path
    label_names : sequence of str
        The names of the label ids, e.g. the lines of ``goemotions_ekman_labels.txt``.
    labels : "ekman" (LABELS; every row kept) or "paper" (happy, sad, loving, excited from the fine labels joy,
        sadness, love, excitement; rows with none of them are left out)

    Returns ``(texts, targets)``: targets np.ndarray [shape=(N, n_classes)] float32, each row a distribution over
    the classes (a row with k labels gives each 1/k of the labels it has among the classes).
    """
    classes, columns = _class_columns(label_names, labels)
    texts, rows = [], []
    with open(tsv, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2 or not parts[0].strip():
                raise FormatError(f"{tsv}:{n}: expected 'text<TAB>label ids'")
            try:
                ids = [int(i) for i in parts[1].split(",")]
                target = np.zeros(len(classes), np.float32)
                for i in ids:
                    for col, share in columns[i].items():
                        target[col] += share
            except (ValueError, IndexError):
                raise FormatError(f"{tsv}:{n}: bad label ids {parts[1]!r}") from None
            if target.sum() > 0:
                texts.append(parts[0])
                rows.append(target / target.sum())
    return texts, np.stack(rows) if rows else np.zeros((0, len(classes)), np.float32)


def load_splits(data: Path = DEFAULT_DATA, val_fraction: float = 0.1, seed: int = 0, limit: int | None = None,
                labels: str = "ekman") -> dict[str, tuple[list[str], np.ndarray]]:
    """The train / val / test splits of the GoEmotions folder ``data``.

    labels="ekman" reads ``goemotions_ekman_*``; "paper" reads ``goemotions_original_*`` (see read_goemotions).
    test is the dev file; val is a seeded ``val_fraction`` of the train file; ``limit`` keeps at most that
    many rows of each split (for quick runs). Returns {split: (texts, targets (N, n_classes) float32)}.
    """
    data = Path(data)
    stem = "goemotions_original" if labels == "paper" else "goemotions_ekman"
    files = [data / f"{stem}_labels.txt", data / f"{stem}_train.tsv", data / f"{stem}_dev.tsv"]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise FormatError(f"{data} is not a GoEmotions folder (missing {', '.join(missing)})")
    names = [line.strip() for line in files[0].read_text(encoding="utf-8").splitlines() if line.strip()]
    texts, targets = read_goemotions(files[1], names, labels)
    test_texts, test_targets = read_goemotions(files[2], names, labels)
    order = np.random.default_rng(seed).permutation(len(texts))
    n_val = int(round(val_fraction * len(texts)))
    splits = {
        "train": ([texts[i] for i in order[n_val:]], targets[order[n_val:]]),
        "val": ([texts[i] for i in order[:n_val]], targets[order[:n_val]]),
        "test": (test_texts, test_targets),
    }
    if limit:
        splits = {k: (t[:limit], y[:limit]) for k, (t, y) in splits.items()}
    return splits


def evaluate(probs: np.ndarray, targets: np.ndarray, classes: Sequence[str] | None = None) -> dict[str, Any]:
    """Accuracy and macro-F1 of top-1 predictions against multi-label targets (see the module docstring).

    probs, targets : np.ndarray [shape=(N, n_classes)], ``classes`` order; a label is present where its target
    is > 0. classes : the class names (default LABELS for 7 columns, else "0", "1", …).
    """
    if classes is None:
        classes = LABELS if probs.shape[1] == len(LABELS) else [str(c) for c in range(probs.shape[1])]
    pred = probs.argmax(1)
    hit = (targets > 0)[np.arange(len(pred)), pred]
    f1 = dict(zip(classes, class_f1(pred, targets).tolist()))
    return {"n": int(len(pred)), "accuracy": float(hit.mean()), "macro_f1": float(np.mean(list(f1.values()))),
            "f1": f1}


def _cache_key(kind: str, texts: Sequence[str]) -> Path:
    digest = hashlib.sha1("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    return cache_dir() / f"emotion_{kind}_{len(texts)}_{digest}.npy"


def minilm_layer_features(texts: Sequence[str], progress: bool = True) -> np.ndarray:
    """Token-mean-pooled hidden states of every MiniLM layer, (N, 7, 384) float16, cached in facsynth's cache
    folder (``facsynth.cache.cache_dir``) under a hash of the texts and the exported model's name."""
    path = _cache_key(f"minilm_layers_{onnx_path().stem}", texts)
    if path.is_file():
        return np.load(path)
    feats = np.concatenate([layer_means(list(texts[s:s + 2048]), progress=False).astype(np.float16)
                            for s in _progress(range(0, len(texts), 2048), progress, "MiniLM layers")])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.npy")
    np.save(tmp, feats)
    os.replace(tmp, path)
    return feats


def _progress(items, show: bool, desc: str):
    if not show:
        return items
    return tqdm.tqdm(items, desc=desc, unit="chunk")


def glove_features(texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The GloVe inputs of the LSTM for a corpus, compactly: only the rows of the words the corpus uses.

    Returns ``(table, ids, lengths)``: table (V + 1, 50) float32 with row 0 zeros (padding, unknown words);
    ids (N, T) int64 into table, T = LSTM_MAX_TOKENS; lengths (N,) int64 ≥ 1. ``table[ids[i, :lengths[i]]]``
    equals ``glove.embed(glove.tokenize(texts[i]))`` cut to T tokens.
    """
    rows = [glove.token_ids(glove.tokenize(t)[:LSTM_MAX_TOKENS]) for t in texts]
    used = np.unique(np.concatenate([r[r >= 0] for r in rows] + [np.zeros(0, np.int64)]))
    remap = {int(g): i + 1 for i, g in enumerate(used)}
    table = np.zeros((len(used) + 1, glove.DIM), np.float32)
    table[1:] = glove.vectors()[used]
    ids = np.zeros((len(rows), LSTM_MAX_TOKENS), np.int64)
    lengths = np.ones(len(rows), np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = [remap.get(int(g), 0) for g in r]
        lengths[i] = max(1, len(r))
    return torch.from_numpy(table), torch.from_numpy(ids), torch.from_numpy(lengths)


def _batches(n: int, batch_size: int, rng: np.random.Generator, lengths: np.ndarray | None = None):
    """Shuffled index batches; with ``lengths``, texts of similar length share a batch (less padding)."""
    order = rng.permutation(n)
    if lengths is not None:
        chunk = batch_size * 32
        order = np.concatenate([c[np.argsort(lengths[c], kind="stable")]
                                for c in np.array_split(order, max(1, n // chunk))])
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


class _Inputs:
    """A corpus ready for one model kind: ``get(idx)`` gives the model's input tensors for rows ``idx``."""

    def __init__(self, kind: str, texts: Sequence[str]) -> None:
        self.kind = kind
        if kind == "lstm-glove":
            self.table, self.ids, self.lengths = glove_features(texts)
        else:
            self.x = torch.from_numpy(minilm_layer_features(texts))
            self.lengths = None

    def __len__(self) -> int:
        return len(self.ids) if self.kind == "lstm-glove" else len(self.x)

    def get(self, idx: np.ndarray) -> tuple[torch.Tensor, ...]:
        idx_t = torch.as_tensor(idx)
        if self.kind == "lstm-glove":
            lengths = self.lengths[idx_t]
            ids = self.ids[idx_t, : int(lengths.max())]
            return self.table[ids], lengths
        return (self.x[idx_t],)


def predict_proba(model: nn.Module, inputs: _Inputs, batch_size: int = 512) -> np.ndarray:
    """Softmax outputs (N, 7) of ``model`` on a prepared corpus, in eval mode."""
    model.eval()
    out = []
    with torch.inference_mode():
        for s in range(0, len(inputs), batch_size):
            idx = np.arange(s, min(s + batch_size, len(inputs)))
            out.append(torch.softmax(model(*inputs.get(idx)), 1).numpy())
    return np.concatenate(out) if out else np.zeros((0, len(LABELS)), np.float32)


#: Training settings per kind, chosen on the validation split.
DEFAULTS: dict[str, dict[str, Any]] = {
    "lstm-glove": {"epochs": 6, "batch_size": 64, "lr": 2e-3, "weight_decay": 0.0, "config": {}},
    "minilm": {"epochs": 40, "batch_size": 128, "lr": 1e-3, "weight_decay": 1e-4, "config": {}},
}
#: Recipes for ``train(recipe=...)``. "paper" is Aubakirova et al.'s: 2-layer LSTM(128), dropout 0.5, 50 epochs,
#: one-hot targets, plain cross-entropy, the last epoch kept (the paper gives no batch size or learning rate:
#: 32 and Adam 1e-3 here). "improved" is DEFAULTS with soft multi-label targets, class weights and the best
#: validation epoch.
RECIPES: dict[str, dict[str, Any]] = {
    "improved": {},
    "paper": {"epochs": 50, "batch_size": 32, "lr": 1e-3, "one_hot": True, "class_weight_power": 0.0,
              "keep_best": False, "config": {"hidden": 128, "layers": 2, "dropout": 0.5}},
}


def fit(kind: str, train: tuple[Any, np.ndarray], val: tuple[Any, np.ndarray] | None = None, *,
        epochs: int | None = None, batch_size: int | None = None, lr: float | None = None,
        config: dict[str, Any] | None = None, class_weight_power: float = 0.5, one_hot: bool = False,
        keep_best: bool = True, seed: int = 0, progress: bool = True) -> tuple[nn.Module, list[dict[str, float]]]:
    """Train a model of ``kind`` on ``train`` = (texts or prepared inputs, targets (N, n_classes)).

    Loss: soft-target cross-entropy (with ``one_hot``, each row's largest target becomes 1 and the rest 0), each
    class weighted by (its share of the targets)^−``class_weight_power`` (normalised to mean 1) so rare emotions
    (fear, disgust) count. Adam; with ``val`` and ``keep_best`` the weights of the epoch with the best validation
    macro-F1 are kept (else the last epoch's). Returns ``(model in eval mode, history)``; history has one dict
    per epoch: mean train loss, and val accuracy / macro-F1 when ``val`` is given.
    """
    opts = DEFAULTS[kind]
    epochs = epochs or opts["epochs"]
    batch_size = batch_size or opts["batch_size"]
    lr = lr or opts["lr"]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_train = train[0] if isinstance(train[0], _Inputs) else _Inputs(kind, train[0])
    y_train = np.asarray(train[1], np.float32)
    if one_hot:
        y_train = np.eye(y_train.shape[1], dtype=np.float32)[y_train.argmax(1)]
    y_train = torch.from_numpy(y_train)
    x_val = None
    if val is not None:
        x_val = val[0] if isinstance(val[0], _Inputs) else _Inputs(kind, val[0])
    share = y_train.mean(0).clamp(min=1e-4)
    weight = share ** -class_weight_power
    weight = weight / (weight * share).sum()  # the expected weight of a row is 1
    model = build_model(kind, n_classes=y_train.shape[1], **{**opts["config"], **(config or {})})
    if kind == "minilm":
        model.set_norm(x_train.x)
    optim = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=opts["weight_decay"])
    lengths = x_train.lengths.numpy() if x_train.lengths is not None else None
    history: list[dict[str, float]] = []
    best, best_state = -1.0, None
    bar = range(epochs)
    if progress:
        bar = tqdm.tqdm(bar, desc=f"train {kind}", unit="epoch")
    for epoch in bar:
        model.train()
        total, count = 0.0, 0
        for idx in _batches(len(x_train), batch_size, rng, lengths):
            logp = torch.log_softmax(model(*x_train.get(idx)), 1)
            loss = -(y_train[idx] * weight * logp).sum(1).mean()
            optim.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optim.step()
            total += loss.item() * len(idx)
            count += len(idx)
        record = {"epoch": epoch + 1, "loss": total / max(count, 1)}
        if x_val is not None:
            m = evaluate(predict_proba(model, x_val), np.asarray(val[1]))
            record.update(val_accuracy=m["accuracy"], val_macro_f1=m["macro_f1"])
            if keep_best and m["macro_f1"] > best:
                best = m["macro_f1"]
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        history.append(record)
        if progress:
            bar.set_postfix({k: round(v, 4) for k, v in record.items() if k != "epoch"})
    if best_state is not None:
        model.load_state_dict(best_state)
    return model.eval(), history


def train(kind: str, data: Path = DEFAULT_DATA, out: Path | None = None, *, labels: str = "ekman",
          recipe: str = "improved", epochs: int | None = None, limit: int | None = None, seed: int = 0,
          progress: bool = True) -> dict[str, Any]:
    """Train ``kind`` on GoEmotions, evaluate it on the test split and write the checkpoint and its metrics.

    data : Path
        The GoEmotions folder (see load_splits).
    out : Path or None
        Checkpoint path (.npz); the metrics go beside it as ``<stem>.metrics.json``. Default
        ``emotion_<kind>.npz`` in the current folder.
    labels : "ekman" (LABELS) or "paper" (Aubakirova et al.'s classes that GoEmotions has data for)
    recipe : "improved" or "paper" (RECIPES; "paper" is for lstm-glove)
    epochs, limit, seed
        Epoch count (default per kind and recipe), rows kept per split (quick runs), random seed.

    Returns the metrics: test and validation accuracy / macro-F1, the majority-class test baseline, the
    training history, sizes and the seconds taken.
    """
    if kind not in DEFAULTS:
        raise FormatError(f"unknown emotion model {kind!r} (expected one of {', '.join(DEFAULTS)})")
    if recipe not in RECIPES or labels not in LABEL_SETS:
        raise FormatError(f"unknown recipe {recipe!r} or label set {labels!r}")
    if recipe == "paper" and kind != "lstm-glove":
        raise FormatError("the paper's recipe trains the paper's model: use it with --model lstm-glove")
    t0 = time.perf_counter()
    out = Path(out) if out is not None else Path(f"emotion_{kind.replace('-', '_')}.npz")
    splits = load_splits(data, seed=seed, limit=limit, labels=labels)
    classes = _class_columns([], labels)[0]
    prepared = {k: (_Inputs(kind, t), y) for k, (t, y) in splits.items()}
    options = dict(RECIPES[recipe])
    if epochs:
        options["epochs"] = epochs
    model, history = fit(kind, prepared["train"], prepared["val"], seed=seed, progress=progress, **options)
    test_y = prepared["test"][1]
    majority = np.zeros_like(test_y)
    majority[:, int(np.argmax(prepared["train"][1].sum(0)))] = 1
    metrics = {
        "model": kind,
        "labels": classes,
        "recipe": recipe,
        "data": "GoEmotions (Demszky et al. 2020), " + ("fine labels joy, sadness, love, excitement"
                                                         if labels == "paper" else "Ekman grouping") + ", Apache-2.0",
        "sizes": {k: len(y) for k, (_, y) in splits.items()},
        "test": evaluate(predict_proba(model, prepared["test"][0]), test_y, classes),
        "val": evaluate(predict_proba(model, prepared["val"][0]), prepared["val"][1], classes),
        "test_majority_class": evaluate(majority, test_y, classes),
        "history": history,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    save_checkpoint(out, kind, model.config, classes, model.arrays(), metrics)
    with atomic_write(out.with_name(out.stem + ".metrics.json")) as fh:
        json.dump(metrics, fh, indent=2)
    return metrics
