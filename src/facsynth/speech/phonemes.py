"""Phonemes with times from pocketsphinx's en-us model: forced alignment to a transcript, or phone recognition."""

from __future__ import annotations

import functools
import os
import re
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._lazy import lazy_module
from ..errors import AudioError, ModelError
from .phone_lm import BIGRAM_LM, trigram_lm
from .pronouncing import pronunciations

pocketsphinx = lazy_module("pocketsphinx")

__all__ = ["Phone", "FRAME_SECONDS", "PhoneDecoder", "PHONE_DECODERS", "align", "recognize", "phonemes",
           "normalise_transcript", "find_transcript"]

#: pocketsphinx's frame step: 10 ms.
FRAME_SECONDS = 0.01


class Phone(NamedTuple):
    """One phone: ARPAbet symbol without stress ("AA", "M", … or "SIL"), start and end in seconds, its word."""

    phone: str
    start: float
    end: float
    word: str = ""


class PhoneDecoder(NamedTuple):
    """Settings of pocketsphinx's phone loop (``allphone`` search).

    lm : "bigram" (``phone_lm.BIGRAM_LM``) or "trigram" (pocketsphinx's en-us phone LM); ds : the acoustic model's
    Gaussians are all scored on every ``ds``-th frame, only the ``topn`` best of the frame before on the others;
    topn : Gaussians kept per codebook.
    """

    lm: str
    ds: int
    topn: int


#: Phone-loop settings by name (docs/speech.md, "Phone recognition"): "fast", the default, takes about half the
#: CPU time of "full" (pocketsphinx's trigram phone LM, every frame scored in full) at the same lip-sync quality.
PHONE_DECODERS: dict[str, PhoneDecoder] = {
    "fast": PhoneDecoder("bigram", ds=2, topn=8),
    "full": PhoneDecoder("trigram", ds=1, topn=4),
}


@functools.lru_cache(maxsize=1)
def _align_decoder():
    """The aligner, with an empty dictionary: ``_known_words`` adds each transcript's words (pocketsphinx loading
    all of CMUdict costs 0.1–0.2 s; alignments are the same)."""
    return pocketsphinx.Decoder(lm=None, dict=os.devnull, loglevel="FATAL")


def _known_words(words: list[str]) -> set[str]:
    """Those of ``words`` CMUdict knows, each with all its pronunciations added to the aligner's dictionary (those
    it lacks: entries ``word``, ``word(2)``…)."""
    entries = pronunciations(set(words))
    dec = _align_decoder()
    new = [(name, phones) for found in entries.values() for name, phones in found if dec.lookup_word(name) is None]
    for k, (name, phones) in enumerate(new):
        dec.add_word(name, phones, k == len(new) - 1)       # the search is rebuilt once, after the last word
    return {w for w, found in entries.items() if found}


@functools.lru_cache(maxsize=None)
def _phone_decoder(name: str):
    if name not in PHONE_DECODERS:
        raise ModelError(f"unknown phone decoder {name!r} (expected one of {', '.join(PHONE_DECODERS)})")
    settings = PHONE_DECODERS[name]
    lm = BIGRAM_LM if settings.lm == "bigram" else trigram_lm()
    # the phone loop needs no words: an empty dictionary spares loading CMUdict (0.1–0.2 s), phones the same
    return pocketsphinx.Decoder(allphone=str(lm), lm=None, dict=os.devnull, loglevel="FATAL", backtrace=False,
                                ds=settings.ds, topn=settings.topn)


def _pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def normalise_transcript(text: str) -> tuple[list[str], list[str]]:
    """Words of ``text`` the pronouncing dictionary knows (lower case, punctuation dropped), and those it lacks.

    >>> normalise_transcript("Go forward, ten meters!")[0]
    ['go', 'forward', 'ten', 'meters']
    """
    words = re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower().replace("’", "'"))
    known = _known_words(words)
    return [w for w in words if w in known], [w for w in words if w not in known]


def align(samples: np.ndarray, transcript: str) -> list[Phone]:
    """Force-align ``transcript`` to speech: every phone with its start and end time.

    pocketsphinx aligns the words; each word's span is shared among its CMUdict phones by typical phone durations
    (pocketsphinx 5.1.1's sub-word second pass cannot be reused on one decoder, and a fresh decoder per call would
    cost more than the alignment itself).

    Parameters
    ----------
    samples : np.ndarray [shape=(n,)], float32 in [-1, 1], mono 16 kHz (``audio.SR``)
    transcript : str, what is said (English; words missing from CMUdict are skipped with a warning)

    Returns
    -------
    phones : list of Phone, contiguous, covering the audio; silences are "SIL"

    Raises AudioError if no transcript word is known or the decoder cannot fit the words to the audio.
    """
    words, unknown = normalise_transcript(transcript)
    if unknown:
        warnings.warn(f"transcript words not in the pronouncing dictionary, skipped: {' '.join(unknown)}",
                      stacklevel=2)
    if not words:
        raise AudioError(f"the transcript {transcript!r} has no word the pronouncing dictionary knows")
    dec = _align_decoder()
    try:
        dec.reinit_feat()  # fresh cepstral mean: the result must not depend on the audio decoded before
        dec.set_align_text(" ".join(words))
        dec.start_utt()
        dec.process_raw(_pcm16(samples), full_utt=True)
        dec.end_utt()
        segments = [(s.word, s.start_frame, s.end_frame + 1) for s in dec.seg() or ()]
    except RuntimeError as e:
        raise AudioError(f"the transcript could not be aligned to the audio ({e})") from None
    out = []
    for word, f0, f1 in segments:
        start, end = f0 * FRAME_SECONDS, f1 * FRAME_SECONDS
        pron = None if word.startswith("<") else dec.lookup_word(word)
        if not pron:
            if end > start:
                out.append(Phone("SIL", start, end))
            continue
        out += _split_word(re.sub(r"\(\d+\)$", "", word), pron.split(), start, end)
    if not any(p.phone != "SIL" for p in out):
        raise AudioError("the transcript could not be aligned to the audio")
    return _merge_silences(out)


def _merge_silences(phones: list[Phone]) -> list[Phone]:
    """Join consecutive silences into one; drop empty phones."""
    out: list[Phone] = []
    for p in phones:
        if p.end <= p.start:
            continue
        if out and p.phone == "SIL" and out[-1].phone == "SIL":
            out[-1] = out[-1]._replace(end=p.end)
        else:
            out.append(p)
    return out


def _split_word(word: str, pron: list[str], start: float, end: float) -> list[Phone]:
    """Share a word's time among its phones in proportion to typical phone durations (vowels longest)."""
    weights = np.array([_DURATION.get(p, 1.0) for p in pron])
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    return [Phone(p, float(a), float(b), word) for p, a, b in zip(pron, edges[:-1], edges[1:])]


# Relative phone durations (vowels and diphthongs ~2× a stop), after mean durations in read American English.
_DURATION = {**{v: 2.0 for v in ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH",
                                  "UW")},
             "AW": 2.5, "AY": 2.5, "OY": 2.5, "EY": 2.2, "OW": 2.2, "IH": 1.5, "AH": 1.5, "UH": 1.5,
             "S": 1.4, "Z": 1.2, "SH": 1.5, "F": 1.3, "TH": 1.2, "CH": 1.4, "JH": 1.2,
             "B": 0.8, "D": 0.8, "G": 0.9, "P": 1.0, "T": 0.9, "K": 1.0, "DH": 0.6, "HH": 0.8,
             "W": 1.5, "Y": 1.3, "R": 1.2, "L": 1.2}


def recognize(samples: np.ndarray, decoder: str = "fast") -> list[Phone]:
    """Recognise phones without a transcript (pocketsphinx phone-loop decoding with an en-us phone LM).

    Same input and output as ``align``; words are unknown (""). Noise-like sounds ("+NSN+" …) become "SIL".
    ``decoder`` names the phone loop's settings in ``PHONE_DECODERS`` (ModelError for another name).
    """
    dec = _phone_decoder(decoder)
    dec.reinit_feat()  # fresh cepstral mean (live CMN would carry over from the audio decoded before)
    dec.start_utt()
    dec.process_raw(_pcm16(samples), full_utt=True)
    dec.end_utt()
    out = []
    for seg in dec.seg() or ():
        start = seg.start_frame * FRAME_SECONDS
        out.append(Phone(_base(seg.word), start, (seg.end_frame + 1) * FRAME_SECONDS))
    return _merge_silences(_drop_blips(_merge_silences(out)))


def _drop_blips(phones: list[Phone], longest: float = 0.15, quiet: float = 0.2) -> list[Phone]:
    """Silence the isolated short "phones" the phone loop finds in breaths and clicks: a single phone shorter
    than ``longest`` seconds between silences of at least ``quiet`` seconds (or the file's edge)."""
    out = list(phones)
    for i, p in enumerate(phones):
        before = phones[i - 1] if i > 0 else None
        after = phones[i + 1] if i + 1 < len(phones) else None
        if (p.phone != "SIL" and p.end - p.start < longest
                and all(q is None or (q.phone == "SIL" and q.end - q.start >= quiet) for q in (before, after))):
            out[i] = p._replace(phone="SIL")
    return out


def phonemes(samples: np.ndarray, transcript: str | None = None, decoder: str = "fast") -> list[Phone]:
    """Aligned phones when ``transcript`` is given (falling back to recognition with a warning), else recognised
    with the phone loop ``decoder`` (a name in ``PHONE_DECODERS``)."""
    if transcript and transcript.strip():
        try:
            return align(samples, transcript)
        except AudioError as e:
            warnings.warn(f"{e}; using phone recognition instead", stacklevel=2)
    return recognize(samples, decoder)


def find_transcript(audio_path: str | os.PathLike) -> str | None:
    """The text of a ``.txt`` file beside ``audio_path`` with the same stem, if there is one."""
    txt = Path(audio_path).with_suffix(".txt")
    if txt.is_file():
        text = txt.read_text(encoding="utf-8", errors="replace").strip()
        return text or None
    return None


def _base(name: str) -> str:
    if name.startswith(("+", "<")) or name.upper() in ("SIL", "SP"):
        return "SIL"
    return re.sub(r"\d", "", name).upper()
