"""CMUdict, the pronouncing dictionary pocketsphinx ships, read a few words at a time: a binary search of the sorted
file instead of pocketsphinx loading all 135,000 entries (0.1–0.2 s of every ``speak`` with a transcript)."""

from __future__ import annotations

import functools
import mmap
import re
from pathlib import Path

from .._lazy import lazy_module
from ..errors import ModelError

pocketsphinx = lazy_module("pocketsphinx")

__all__ = ["dictionary_path", "pronunciations"]

_VARIANT = re.compile(rb"\(\d+\)$")


@functools.lru_cache(maxsize=1)
def dictionary_path() -> Path:
    """pocketsphinx's en-us CMUdict: one ``word PH ON ES`` line per pronunciation, alternatives named ``word(2)``…,
    sorted by word (bytewise)."""
    return Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"


def pronunciations(words: list[str] | set[str], path: Path | None = None) -> dict[str, list[tuple[str, str]]]:
    """Every pronunciation of each of ``words`` (lower case): word → [(entry name, "PH ON ES"), …], the first
    entry named as the word, alternatives ``word(2)``… as the dictionary names them; [] for a word it lacks.

    ``path``: a dictionary in the same format (default ``dictionary_path()``); its lines must be sorted by word.
    Raises ModelError when it cannot be read.
    """
    path = dictionary_path() if path is None else path
    out: dict[str, list[tuple[str, str]]] = {}
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as text:
            for word in words:
                out[word] = list(_entries(text, word.encode("utf-8")))
    except (OSError, ValueError, UnicodeDecodeError) as e:       # missing, empty (mmap: ValueError) or not UTF-8
        raise ModelError(f"cannot read the pronouncing dictionary {path}: {e}") from None
    return out


def _entries(text: mmap.mmap, key: bytes):
    """The (name, phones) lines of ``key`` in the sorted dictionary ``text``: binary search for its first line."""
    lo, hi = 0, len(text)
    while lo < hi:                                   # lo, hi: line starts; the first line of ``key`` lies in [lo, hi]
        mid = (lo + hi) // 2
        start = text.rfind(b"\n", 0, mid) + 1          # the line that holds mid
        if _word(text, start) < key:
            end = text.find(b"\n", start)
            lo = len(text) if end < 0 else end + 1
        else:
            hi = start
    while lo < len(text):
        end = text.find(b"\n", lo)
        end = len(text) if end < 0 else end
        name, _, phones = text[lo:end].decode("utf-8").partition(" ")
        if _VARIANT.sub(b"", name.encode("utf-8")) != key:
            return
        yield name, phones.strip()
        lo = end + 1


def _word(text: mmap.mmap, start: int) -> bytes:
    """The word of the line starting at ``start``, without its ``(n)`` variant suffix."""
    end = text.find(b" ", start)
    return _VARIANT.sub(b"", text[start:end if end >= 0 else len(text)])
