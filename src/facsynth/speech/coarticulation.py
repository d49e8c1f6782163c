"""Coarticulation by dominance functions (Cohen & Massaro 1993): timed visemes → smooth lower-face AU curves."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .phonemes import Phone
from .visemes import DIPHTHONGS, LIP_AUS, OPENING_AUS, WIDENING_AUS, viseme_of

__all__ = ["lip_curves", "with_breaths", "split_diphthongs", "LEAD_SECONDS", "BREATH_SECONDS", "GLIDE_ONSET"]

#: The mouth moves a little before the sound it makes is heard; phone times are shifted earlier by this much.
LEAD_SECONDS = 0.03
#: Speakers part their lips to breathe in about this long before speaking after a pause.
BREATH_SECONDS = 0.6
#: Share of a diphthong's span held by its onset vowel; the offglide takes the rest.
GLIDE_ONSET = 0.6
# Decay rate (1/s) of a phone's dominance outside its own core, and the fraction of its span held at full strength.
_THETA = 20.0
_CORE = 0.9


def with_breaths(phones: Sequence[Phone], min_pause: float = 0.5) -> list[Phone]:
    """Mark the in-breath before each utterance: the last ``BREATH_SECONDS`` of every silence of at least
    ``min_pause`` seconds (or at the start of the audio) that precedes speech become a "BREATH" phone."""
    out: list[Phone] = []
    for i, p in enumerate(phones):
        follows = i + 1 < len(phones) and phones[i + 1].phone != "SIL"
        if p.phone == "SIL" and follows and (p.end - p.start >= min_pause or i == 0):
            cut = max(p.start, p.end - BREATH_SECONDS)
            if cut > p.start:
                out.append(Phone("SIL", p.start, cut, p.word))
            out.append(Phone("BREATH", cut, p.end, p.word))
        else:
            out.append(p)
    return out


def split_diphthongs(phones: Sequence[Phone], scales: np.ndarray) -> tuple[list[Phone], np.ndarray]:
    """Split each diphthong (AY AW OY EY) into its onset vowel (the first ``GLIDE_ONSET`` of its span) and its
    offglide vowel (the rest); ``scales`` (one per phone; ValueError if the lengths differ) are repeated for the
    two halves.

    Returns the new phones and their scales, np.ndarray [shape=(len(new phones),)].
    """
    out: list[Phone] = []
    keep: list[float] = []
    for p, k in zip(phones, scales, strict=True):
        parts = DIPHTHONGS.get(p.phone.rstrip("012").upper())
        if parts is None:
            out.append(p)
            keep.append(k)
            continue
        cut = p.start + GLIDE_ONSET * (p.end - p.start)
        out += [Phone(parts[0], p.start, cut, p.word), Phone(parts[1], cut, p.end, p.word)]
        keep += [k, k]
    return out, np.asarray(keep, np.float64)


def lip_curves(phones: Sequence[Phone], times: np.ndarray, lead: float = LEAD_SECONDS,
               opening_scale: Sequence[float] | None = None) -> np.ndarray:
    """Blend the viseme targets of ``phones`` into AU curves sampled at ``times``.

    Each phone i has a dominance D_i(t) = α_i · exp(−θ · max(0, |t − c_i| − κ·w_i)) around its centre c_i (half
    width w_i); each AU at time t is the dominance-weighted mean of all phones' targets. Opening AUs (23–28) use the
    phone's opening dominance, lip-shape AUs (10, 12, 18, 20, 22) its shape dominance, so /m/ closes the lips whatever
    surrounds it while its lip rounding is borrowed from the neighbouring vowels. Diphthongs glide from their onset
    to their offglide vowel (``split_diphthongs``). Pass phones through ``with_breaths`` first to have the lips part
    for the in-breath before each utterance.

    Parameters
    ----------
    phones : sequence of Phone, times in seconds
    times : np.ndarray [shape=(frames,)], seconds
    lead : float, seconds the mouth moves ahead of the sound
    opening_scale : one factor per phone for its opening targets (AU25–27; stress and reduction, see
        ``stress.opening_scales``); None: 1 for all

    Returns
    -------
    curves : np.ndarray [shape=(frames, len(LIP_AUS))], float32, FACS intensity 0–5, columns in ``LIP_AUS`` order
    """
    times = np.asarray(times, dtype=np.float64)
    out = np.zeros((len(times), len(LIP_AUS)), np.float32)
    if not len(phones) or not len(times):
        return out
    scale = np.ones(len(phones)) if opening_scale is None else np.asarray(opening_scale, np.float64)
    phones, scale = split_diphthongs(phones, scale)
    starts = np.array([p.start for p in phones]) - lead
    ends = np.array([p.end for p in phones]) - lead
    centres, halves = (starts + ends) / 2, np.maximum((ends - starts) / 2, 0.005)
    visemes = [viseme_of(p.phone) for p in phones]
    targets = np.array([[v.targets.get(a, 0.0) for a in LIP_AUS] for v in visemes], np.float64)  # (N, A)
    widening = np.array([a in WIDENING_AUS for a in LIP_AUS])
    targets[:, widening] *= scale[:, None]
    alpha_open = np.array([v.open_dominance for v in visemes])
    alpha_shape = np.array([v.shape_dominance for v in visemes])
    is_open = np.array([a in OPENING_AUS for a in LIP_AUS])
    # Phones far from a frame have negligible weight: evaluate in blocks of frames against nearby phones only.
    block = 2000
    for b0 in range(0, len(times), block):
        t = times[b0:b0 + block]
        near = np.nonzero((ends > t[0] - 0.5) & (starts < t[-1] + 0.5))[0]
        if not len(near):
            continue
        dist = np.maximum(0.0, np.abs(t[None, :] - centres[near, None]) - _CORE * halves[near, None])
        shape = np.exp(-_THETA * dist)  # (n, T)
        for alpha, cols in ((alpha_open, is_open), (alpha_shape, ~is_open)):
            d = alpha[near, None] * shape + 1e-9
            out[b0:b0 + block, cols] = (d.T @ targets[near][:, cols]) / d.sum(axis=0)[:, None]
    return out
