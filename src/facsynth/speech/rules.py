"""The default speech → AU track pipeline, no training data needed: phonemes → visemes → coarticulated lower face,
syllable loudness and vowel duration → how wide each syllable opens (``stress``), prosody → brows and blinks,
transcript emotion × voice arousal and the voice's own emotion (``voice_emotion``) → upper and middle face."""

from __future__ import annotations

import warnings
from typing import Iterator

import numpy as np

from .._lazy import lazy_module
from ..errors import ModelError, TextError
from ..facs import OPENFACE_AUS, region_of
from ..track import AUTrack, DEFAULT_FPS
from .audio import SR, check_sample_rate, clipping_fraction, is_noise, is_silent
from .coarticulation import lip_curves, with_breaths
from .features import FEATURE_FPS, energy_db, pitch
from .phonemes import phonemes
from .prosody import arousal, blink_curve, blink_times, brow_curve, pauses, pitch_accents
from .stress import loudness_gain, opening_scales
from .visemes import LIP_AUS, WIDENING_AUS
from .voice_emotion import EmotionSegment, VoiceSettings, emotion_curves, estimate_segments

# Read only for a transcript (9 ms of imports, and its models load on first use): speech without one does without.
language_emotion = lazy_module("facsynth.language.emotion")

__all__ = ["SPEECH_AUS", "rules_track", "rules_curves", "resample_curves", "split_at_pauses", "emotion_targets"]

#: Columns of a speech track: OpenFace's 17 AUs plus the lip AUs OpenFace lacks (18, 22, 24, 27, 28).
SPEECH_AUS: tuple[int, ...] = OPENFACE_AUS + tuple(sorted(set(LIP_AUS) - set(OPENFACE_AUS)))


def emotion_targets(transcript: str | None) -> dict[int, float]:
    """Upper- and middle-face AUs of the transcript's emotion (lip corners at half strength), or {} if none.

    Uses ``facsynth.language.emotion.emotion_track``; returns {} when the text carries no readable emotion, and
    {} with a warning when the emotion model cannot be loaded.
    """
    if not transcript or not transcript.strip():
        return {}
    try:
        mean = language_emotion.emotion_track(transcript).mean()
    except ModelError as e:
        warnings.warn(f"no text emotion ({e}): the upper face follows the voice only", stacklevel=2)
        return {}
    except TextError:  # a transcript the emotion models cannot read (no words, not English): no emotion
        return {}
    out = {}
    for au, v in mean.items():
        if au in (12, 15):
            out[au] = 0.5 * v
        elif region_of(au) in ("upper", "middle") and au not in (43, 45):
            out[au] = v
    return {a: v for a, v in out.items() if v > 0}


def rules_curves(samples: np.ndarray, transcript: str | None = None, seed: int = 0,
                 emotion: dict[int, float] | None = None, voice: VoiceSettings | None = None,
                 segments: list[EmotionSegment] | None = None, offset: float = 0.0,
                 streamed: bool = False) -> np.ndarray:
    """AU curves of one utterance at 100 frames/s, columns ``SPEECH_AUS``.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,)], float32 in [-1, 1], mono 16 kHz
    transcript : what is said; forced alignment when given, phone recognition otherwise
    seed : seeds the blink timing (same input and seed → same track)
    emotion : {AU: intensity} for the upper and middle face (see ``emotion_targets``); scaled by voice arousal
    voice : read the voice's emotion (``voice_emotion.estimate_segments``) with these settings and add its upper-
        and middle-face AUs (the larger of text and voice per AU); None: no voice emotion
    segments : when a list, the voice's emotion segments are appended to it (times + ``offset`` seconds)
    streamed : a chunk of a long file (``split_at_pauses``): YIN's FFTs by scipy.fft in float32, whose import (0.2 s
        of CPU, once) a long file repays many times over; F0 within 1e-4 relative of numpy's float64 FFT

    Returns
    -------
    curves : np.ndarray [shape=(n // 160 + 1, len(SPEECH_AUS))], float32, FACS 0–5; all zero for silent or
        noise-like audio
    """
    n = len(samples) // 160 + 1
    out = np.zeros((n, len(SPEECH_AUS)), np.float32)
    col = {a: i for i, a in enumerate(SPEECH_AUS)}
    if is_silent(samples) or is_noise(samples):
        return out
    times = np.arange(n) / FEATURE_FPS
    energy = energy_db(samples)
    f0 = pitch(samples, energy=energy, scipy_fft=streamed)
    phones = with_breaths(phonemes(samples, transcript))
    # Vowel height and undershoot set each vowel's opening; the loudness of each syllable scales it (stress.py).
    lips = lip_curves(phones, times, opening_scale=opening_scales(phones))
    gain = loudness_gain(energy, phones)
    for j, a in enumerate(LIP_AUS):
        out[:, col[a]] = lips[:, j] * (gain if a in WIDENING_AUS else 1.0)
    lively = arousal(f0, energy)
    brows = brow_curve(pitch_accents(f0, energy), times, peak=1.5 * lively)
    out[:, col[1]] = brows
    out[:, col[2]] = 0.8 * brows
    rng = np.random.default_rng(seed)
    out[:, col[45]] = blink_curve(blink_times(n / FEATURE_FPS, pauses(phones), rng), times)
    for au, v in (emotion or {}).items():
        if au in col:
            out[:, col[au]] = np.maximum(out[:, col[au]], min(5.0, v * lively))
    if voice is not None:
        found = estimate_segments(samples, voice, f0, energy, offset)
        if segments is not None:
            segments.extend(found)
        out = np.maximum(out, emotion_curves(found, SPEECH_AUS, times + offset))
    return np.clip(out, 0, 5)


def split_at_pauses(blocks: Iterator[np.ndarray], target_seconds: float = 30.0) -> Iterator[tuple[int, np.ndarray]]:
    """Regroup streamed audio blocks into utterance-sized chunks cut at the quietest 100 ms near ``target_seconds``.

    Yields (offset in samples, chunk) with chunks of ``target_seconds`` ± 5 s (the last may be shorter); memory
    stays bounded by about two chunks.
    """
    target, slack, win = int(target_seconds * SR), int(5 * SR), SR // 10
    buf = np.zeros(0, np.float32)
    offset = 0
    for block in blocks:
        buf = np.concatenate([buf, block])
        while len(buf) >= target + slack:
            # energy of the 100 ms windows starting every 10 ms, from a running sum (a convolution over every
            # sample cost 0.7 s of CPU on a 10-minute file)
            energy = np.concatenate([[0.0], np.cumsum(buf[target - slack: target + slack].astype(np.float64) ** 2)])
            starts = np.arange(0, 2 * slack - win + 1, 160)
            cut = target - slack + int(np.argmin(energy[starts + win] - energy[starts])) * 160 + win // 2
            yield offset, buf[:cut]
            offset += cut
            buf = buf[cut:]
    if len(buf):
        yield offset, buf


def rules_track(samples: np.ndarray, transcript: str | None = None, sr: int = SR, fps: float = DEFAULT_FPS,
                seed: int = 0, text_emotion: bool = True, voice: VoiceSettings | None = VoiceSettings(),
                segments: list[EmotionSegment] | None = None) -> AUTrack:
    """The default speech → AU track for audio already in memory (see ``facsynth.speech.speak`` for files).

    ``text_emotion``: the transcript's emotion sets the upper face; ``voice``: so does the voice's (None: not);
    ``segments``: a list that receives the voice's emotion segments; ``sr``: the rate of ``samples``, which must be
    16 kHz (AudioError otherwise: ``load_audio`` resamples files). Returns an AUTrack over ``SPEECH_AUS`` at
    ``fps``, as long as the audio. Silent or noise-like audio gives a neutral track with a warning; clipped audio a
    warning.
    """
    check_sample_rate(sr)
    if is_silent(samples):
        warnings.warn("the audio is silent: the face stays neutral", stacklevel=2)
    elif is_noise(samples):
        warnings.warn("the audio sounds like noise, not speech: the face stays neutral", stacklevel=2)
    elif clipping_fraction(samples) > 0.01:
        warnings.warn("the audio is clipped (over 1 % of samples at full scale): lip sync may suffer", stacklevel=2)
    emotion = emotion_targets(transcript) if text_emotion else {}
    curves = rules_curves(samples, transcript, seed, emotion, voice, segments)
    return resample_curves(curves, len(samples) / SR, fps)


def resample_curves(curves: np.ndarray, duration: float, fps: float) -> AUTrack:
    """100 fps curves (frames, len(SPEECH_AUS)), FACS 0–5 → an AUTrack at ``fps``, ceil(duration · fps) frames."""
    frames = max(1, int(np.ceil(duration * fps - 1e-9)))
    return AUTrack(curves, SPEECH_AUS, FEATURE_FPS).resample(fps, frames=frames)
