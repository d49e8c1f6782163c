"""Learned language encoder (Hong et al. ICIP 2020's LSE): BiLSTM over GloVe, word→AU attention, AU regression.

A sentence is tokenized GloVe-style (an AU code such as "AU12" kept as one token) and embedded with frozen GloVe
50-d vectors; a bidirectional LSTM gives a feature per word (``D = 2 × hidden``: 256 shipped, 512 in the paper) and a
sentence feature (the last states of both directions). For every catalogue AU two learned queries attend over the
words (softmaxes over the sentence): one keyed on the word vectors finds the words that name the AU and decides
whether it is active; one keyed on the word features and vectors finds the words that set its intensity (adverbs).
Small per-AU heads read each attended feature with the sentence feature into an "active" probability and an
intensity 0–5. ``explain`` shows the first attention.

The shipped weights (``facsynth/assets/lse.pt``) hold the GloVe rows of the training vocabulary, so the common case
never touches the 400,000-word table; a word outside that vocabulary is looked up in GloVe (``facsynth.language.glove``)
on first use, which works because the embeddings are frozen. Reproduce the weights with ``facsynth train lse``.

>>> predict(["She smiles strongly and raises her inner brows slightly."])  # doctest: +SKIP
[{1: 1.1, 12: 4.0}]
>>> explain("she smiles strongly and raises her brows")[12][:2]  # doctest: +SKIP
[('smiles', 0.62), ('strongly', 0.21)]
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from ..checkpoint import load_checkpoint, save_checkpoint
from ..errors import ModelError, TextError
from ..facs import ALL_AUS, MAX_INTENSITY
from . import glove
from .describe import describe

__all__ = [
    "LSE",
    "fesn_conditioning",
    "FORMAT",
    "MAX_TOKENS",
    "default_weights",
    "load",
    "save",
    "predict",
    "explain",
    "encode",
    "tokenize",
    "tokenize_batch",
]

#: Checkpoint layout of every lse.pt (facsynth.checkpoint).
FORMAT = "facsynth-lse/1"
#: Tokens kept per sentence; the rest is dropped.
MAX_TOKENS = 64
_PAD, _UNK = "<pad>", "<unk>"


class LSE(nn.Module):
    """The language semantic encoder: frozen word vectors → BiLSTM → per-AU attention → intensity and activity.

    vocab : sequence of str
        Token of each embedding row; row 0 must be ``"<pad>"`` and row 1 ``"<unk>"``.
    embeddings : np.ndarray [shape=(len(vocab), E)], float32
        Frozen word vectors (GloVe 50-d rows; any fixed vector for words GloVe lacks).
    hidden : int > 0
        LSTM units per direction; word and sentence features have ``D = 2 * hidden`` dimensions.
    aus : sequence of int
        AU codes predicted, in output order (default all catalogue AUs).
    att_dim, head_dim : int > 0
        Sizes of the attention key space and of the per-AU head.
    """

    def __init__(self, vocab: Sequence[str], embeddings: np.ndarray, hidden: int = 256,
                 aus: Sequence[int] = ALL_AUS, att_dim: int = 128, head_dim: int = 64):
        super().__init__()
        if len(vocab) < 2 or vocab[0] != _PAD or vocab[1] != _UNK:
            raise ModelError("LSE vocabulary must start with <pad>, <unk>")
        self.vocab = list(vocab)
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.aus = tuple(int(a) for a in aus)
        self.config = {"hidden": int(hidden), "att_dim": int(att_dim), "head_dim": int(head_dim),
                       "aus": list(self.aus), "emb_dim": int(embeddings.shape[1])}
        self.register_buffer("emb", torch.as_tensor(np.asarray(embeddings, np.float32)).clone())
        n_aus, d, e = len(self.aus), 2 * hidden, embeddings.shape[1]
        self.lstm = nn.LSTM(e, hidden, batch_first=True, bidirectional=True)
        # two attentions per AU: "which words name this AU" keyed on the word vectors alone (lexical, what
        # explain() shows) and "which words set its intensity" keyed on word features and vectors together
        self.word_key = nn.Linear(e, att_dim)
        self.ctx_key = nn.Linear(d + e, att_dim)
        self.query = nn.Parameter(torch.randn(2, n_aus, att_dim) * att_dim ** -0.5)
        self.det_proj = nn.Linear(d + e, head_dim)
        self.int_proj = nn.Linear(d + e, head_dim)
        self.sent_proj = nn.Linear(d, 2 * head_dim, bias=False)
        self.au_bias = nn.Parameter(torch.zeros(2, n_aus, head_dim))
        self.out_w = nn.Parameter(torch.randn(2, n_aus, head_dim) * head_dim ** -0.5)
        self.out_b = nn.Parameter(torch.tensor([[-2.0], [0.0]]).repeat(1, n_aus))  # few AUs are active at once

    @property
    def dim(self) -> int:
        """D, the size of word and sentence features."""
        return 2 * self.config["hidden"]

    def ids(self, tokens: Sequence[str]) -> list[int]:
        """Embedding rows of ``tokens`` (unknown words are first looked up in GloVe, then map to ``<unk>``)."""
        missing = [t for t in dict.fromkeys(tokens) if t not in self.index]
        if missing:
            self._add_glove_words(missing)
        return [self.index.get(t, 1) for t in tokens]

    def _add_glove_words(self, words: list[str]) -> None:
        rows = glove.token_ids(words)
        found = [(w, r) for w, r in zip(words, rows) if r >= 0]
        if not found:
            return
        new = torch.as_tensor(np.asarray(glove.vectors()[[r for _, r in found]], np.float32))
        for w, _ in found:
            self.index[w] = len(self.vocab)
            self.vocab.append(w)
        self.emb = torch.cat([self.emb, new.to(self.emb.dtype)])

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        """Run the encoder on a padded batch.

        ids : torch.Tensor [shape=(B, T)], int64
            Embedding rows, 0 (``<pad>``) after each sentence's end.
        lengths : torch.Tensor [shape=(B,)], int64 ≥ 1
            Tokens per sentence.

        Returns a dict of tensors: ``words`` (B, T, D) per-word features (zeros on padding), ``sentence`` (B, D),
        ``attention`` (B, n_aus, T) the softmax weights over words that decide whether each AU is active,
        ``intensity_attention`` (B, n_aus, T) those that set its intensity, ``intensity`` (B, n_aus) in 0–5 and
        ``active_logit`` (B, n_aus).
        """
        x = nn.functional.embedding(ids, self.emb)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_words, (h_n, _) = self.lstm(packed)
        words, _ = nn.utils.rnn.pad_packed_sequence(packed_words, batch_first=True, total_length=ids.shape[1])
        sentence = torch.cat([h_n[-2], h_n[-1]], dim=1)
        mask = torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths[:, None].to(ids.device)
        both = torch.cat([words, x], dim=-1)  # (B, T, D + E)
        keys = torch.stack([torch.tanh(self.word_key(x)), torch.tanh(self.ctx_key(both))], dim=1)  # (B, 2, T, K)
        scores = torch.einsum("bntk,nak->bnat", keys, self.query)
        att = torch.softmax(scores.masked_fill(~mask[:, None, None, :], float("-inf")), dim=-1)  # (B, 2, A, T)
        ctx = torch.einsum("bnat,btd->bnad", att, both)
        sent = self.sent_proj(sentence).view(-1, 2, 1, self.config["head_dim"])
        hid = torch.relu(torch.stack([self.det_proj(ctx[:, 0]), self.int_proj(ctx[:, 1])], dim=1) + sent
                         + self.au_bias)  # (B, 2, A, H)
        logits = torch.einsum("bnah,nah->bna", hid, self.out_w) + self.out_b
        return {
            "words": words,
            "sentence": sentence,
            "attention": att[:, 0],
            "intensity_attention": att[:, 1],
            "intensity": MAX_INTENSITY * torch.sigmoid(logits[:, 1]),
            "active_logit": logits[:, 0],
        }


def tokenize(text: str) -> list[str]:
    """GloVe tokens of ``text`` (``glove.tokenize``), an AU code kept as one token: ``"AU 04"`` → ``["au4"]``.

    At most ``MAX_TOKENS`` tokens are kept.
    """
    out: list[str] = []
    for tok in glove.tokenize(text):
        if tok.isdigit() and out and out[-1] == "au":
            out[-1] = f"au{int(tok)}"
        else:
            out.append(tok)
    return out[:MAX_TOKENS]


def tokenize_batch(model: LSE, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor, list[list[str]]]:
    """Tokenize ``texts`` into a padded id batch for ``model``.

    Returns ``(ids (B, T) int64, lengths (B,) int64, tokens)``, tokens being each text's kept tokens (at most
    ``MAX_TOKENS``). Raises TextError naming the first text that holds no word.
    """
    tokens = _tokens(texts)
    return (*_id_batch(model, tokens), tokens)


def _tokens(texts: Sequence[str]) -> list[list[str]]:
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise TextError("the encoder expects a list of strings")
    tokens = [tokenize(t) for t in texts]
    for i, toks in enumerate(tokens):
        if not toks:
            raise TextError(f"text {i} is empty: the encoder needs at least one word")
    return tokens


def _id_batch(model: LSE, tokens: Sequence[list[str]]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(t) for t in tokens], dtype=torch.int64)
    ids = torch.zeros(len(tokens), int(lengths.max()) if tokens else 1, dtype=torch.int64)
    for i, toks in enumerate(tokens):
        ids[i, : len(toks)] = torch.tensor(model.ids(toks), dtype=torch.int64)
    return ids, lengths


def default_weights() -> Path:
    """Path of the shipped weights, ``facsynth/assets/lse.pt`` (``FACSYNTH_LSE`` overrides it)."""
    env = os.environ.get("FACSYNTH_LSE")
    return Path(env) if env else Path(str(resources.files("facsynth") / "assets" / "lse.pt"))


def save(model: LSE, path: str | os.PathLike, metrics: dict | None = None) -> None:
    """Write ``model`` (config, vocabulary with its GloVe rows, weights, optional metrics) to ``path`` atomically."""
    payload = {"config": model.config, "vocab": model.vocab, "state_dict": dict(model.state_dict()),
               "metrics": metrics or {}}
    save_checkpoint(path, payload, FORMAT)


def load(path: str | os.PathLike | None = None) -> LSE:
    """Load an encoder from ``path`` (default :func:`default_weights`; cached per path), ready for inference.

    Raises ModelError if the file is missing, corrupt or not an LSE checkpoint.
    """
    return _load(str(Path(path) if path is not None else default_weights()))


@functools.lru_cache(maxsize=4)
def _load(path: str) -> LSE:
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"LSE weights not found at {p}: run `facsynth train lse --out {p}` to create them")
    payload = load_checkpoint(p, FORMAT, "LSE")
    try:
        cfg, state = payload["config"], payload["state_dict"]
        model = LSE(payload["vocab"], state["emb"].numpy(), hidden=cfg["hidden"], aus=cfg["aus"],
                    att_dim=cfg["att_dim"], head_dim=cfg["head_dim"])
        model.load_state_dict(state)
    except (KeyError, TypeError, RuntimeError, ValueError, AttributeError) as e:
        raise ModelError(f"LSE weights at {p} do not fit the model: {e}") from None
    model.metrics = payload.get("metrics", {})
    return model.eval()


def _run(texts: Sequence[str], model: LSE | None, batch_size: int = 256):
    """Tokens of ``texts`` and the model's outputs, batched by similar length: yields (rows, outputs) pairs."""
    tokens = _tokens(texts)
    model = model or load()
    order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))  # less padding per batch

    def batches():
        with torch.no_grad():
            for start in range(0, len(order), batch_size):
                rows = order[start: start + batch_size]
                yield rows, model(*_id_batch(model, [tokens[i] for i in rows]))

    return model, tokens, batches()


def predict(texts: Sequence[str], model: LSE | None = None, threshold: float = 0.5) -> list[dict[int, float]]:
    """AU intensities the encoder reads in each text.

    texts : list of str
        Sentences describing faces.
    model : LSE, optional
        Default: the shipped weights (:func:`load`).
    threshold : float in (0, 1)
        An AU is active when its predicted probability exceeds this.

    Returns one dict per text mapping the active AU codes to intensities 0–5 (rounded to 0.01).
    """
    model, tokens, batches = _run(texts, model)
    out: list[dict[int, float]] = [{} for _ in tokens]
    for rows, res in batches:
        active = (torch.sigmoid(res["active_logit"]) > threshold).numpy()
        inten = res["intensity"].numpy()
        for i, row_active, row_inten in zip(rows, active, inten):
            out[i] = {a: round(float(v), 2) for a, on, v in zip(model.aus, row_active, row_inten) if on}
    return out


def explain(text: str, model: LSE | None = None, threshold: float = 0.5) -> dict[int, list[tuple[str, float]]]:
    """Which words drive which AU: per active AU, the words of ``text`` with their attention weights.

    Returns ``{au: [(word, weight), …]}`` for the AUs :func:`predict` finds active, words sorted by weight,
    heaviest first; the weights of one AU sum to 1 over the sentence.
    """
    if not isinstance(text, str):
        raise TextError("explain expects one string")
    model, tokens, batches = _run([text], model)
    _, res = next(batches)
    prob = torch.sigmoid(res["active_logit"][0]).numpy()
    att = res["attention"][0].numpy()
    toks = tokens[0]
    out: dict[int, list[tuple[str, float]]] = {}
    for j, au in enumerate(model.aus):
        if prob[j] > threshold:
            pairs = [(w, round(float(a), 4)) for w, a in zip(toks, att[j, : len(toks)])]
            out[au] = sorted(pairs, key=lambda p: -p[1])
    return out


def fesn_conditioning(sentence: str | None = None) -> Callable[[Mapping[int, float]], dict]:
    """The FESN's text condition per frame, for facsynth.render.gan.generator_renderer: a function from a frame's
    {AU: intensity} to ``{"word_features", "sentence_features"}`` of ``sentence`` (a still's own words) or, without
    one, of ``describe()`` of the frame's AUs (seed 0). Features of one sentence are computed once."""
    cache: dict[str, dict] = {}

    def condition(aus: Mapping[int, float]) -> dict:
        text = sentence or describe(dict(aus), seed=0)
        if text not in cache:
            cache.clear()
            words, sent, _ = encode([text])
            cache[text] = {"word_features": words, "sentence_features": sent}
        return cache[text]

    return condition


def encode(texts: Sequence[str], model: LSE | None = None) -> tuple[torch.Tensor, torch.Tensor, list[list[str]]]:
    """Word and sentence features for conditioning other models (e.g. GANs); no gradient flows into the encoder.

    texts : list of str
    model : LSE, optional
        Default: the shipped weights.

    Returns ``(word_features, sentence_features, tokens)``: word_features torch.Tensor [shape=(B, T, D)] float32,
    zeros after each text's last token (T = the longest text's token count); sentence_features torch.Tensor
    [shape=(B, D)] float32; tokens the list of each text's tokens. D is ``model.dim`` (256 for the shipped weights).
    """
    model, tokens, batches = _run(texts, model)
    words = torch.zeros(len(tokens), max((len(t) for t in tokens), default=1), model.dim)
    sentence = torch.zeros(len(tokens), model.dim)
    for rows, res in batches:
        words[rows, : res["words"].shape[1]] = res["words"]
        sentence[rows] = res["sentence"]
    return words, sentence, tokens
