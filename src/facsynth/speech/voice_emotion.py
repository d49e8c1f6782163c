"""Emotion from the voice without training data: acoustic cues (``voice_cues``) relative to a neutral baseline →
emotion probabilities, arousal and valence per ~2 s segment → upper- and middle-face AUs.

The estimator is a nearest-profile classifier whose emotion profiles are written down from the literature, not fitted:
each emotion is a point in a space of standardised cues (F0 level and range, loudness, speaking rate, spectral tilt,
HNR, jitter, shimmer) placed where Murray & Arnott (1993), Banse & Scherer (1996) and Juslin & Laukka (2003) put
its acoustic profile relative to neutral speech, and neutral speech is the origin. See docs/speech.md for the table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from .._lazy import lazy_module
from ..errors import AudioError
from ..facs import emotion_aus, region_of
from .audio import load_audio
from .features import FEATURE_FPS
from .voice_cues import CUES, FrameCues, formant_spacing, frame_cues, window_cues

# The learned classifier (torch), used only when VoiceSettings holds one; it imports this module's windows and labels.
voice_classifier = lazy_module("facsynth.speech.voice_classifier")

__all__ = [
    "VOICE_EMOTIONS",
    "PROFILES",
    "CIRCUMPLEX",
    "EmotionSegment",
    "VoiceSettings",
    "baseline_cues",
    "standardise",
    "profile_probabilities",
    "estimate_segments",
    "segment_windows",
    "emotion_curves",
    "WINDOW_SECONDS",
    "HOP_SECONDS",
    "load_baseline",
    "summarise",
]

#: Emotions the voice can tell (the six basic ones and neutral; contempt has no agreed vocal profile).
VOICE_EMOTIONS: tuple[str, ...] = ("neutral", "happiness", "sadness", "surprise", "fear", "anger", "disgust")
#: Segment length and spacing, seconds.
WINDOW_SECONDS = 2.0
HOP_SECONDS = 1.0

# Neutral read speech, population norms (measured on the 20 neutral utterances of ../shared/data/speech, 3 male
# and 1 female readers, with the register split as in ``_register``): value of each cue, and the cue's unit of
# standardisation (about one between-speaker standard deviation). F0 level and HNR differ by register.
_NORM = {"f0_level": (2.0, 13.5), "f0_range": 5.9, "loudness": -17.0, "rate": 4.0, "tilt": -12.0,
         "hnr": (5.0, 12.0), "jitter": 1.3, "shimmer": 0.18}
_UNIT = np.array([2.5, 2.0, 5.0, 0.8, 3.5, 3.0, 1.5, 0.08])
# How much each cue counts: gain-dependent loudness and the noisy frame-level jitter and shimmer count least.
_WEIGHT = np.array([1.0, 0.8, 0.4, 0.7, 0.8, 0.4, 0.2, 0.2])
# With the speaker's own neutral recording as the baseline, loudness is comparable (same microphone): full weight.
_WEIGHT_BASELINE = np.array([1.0, 0.8, 1.0, 0.7, 0.8, 0.4, 0.2, 0.2])

#: Each emotion's acoustic profile: standardised cue values (order ``CUES``) relative to neutral speech.
#: Sources: Murray & Arnott 1993 (Table 1), Banse & Scherer 1996, Juslin & Laukka 2003 (Table 7); surprise, which
#: these leave out, after Scherer 2003's review (high F0, wide range, little change in loudness and rate).
PROFILES: dict[str, np.ndarray] = {
    #                        f0    range  loud   rate   tilt   hnr    jitter shimmer
    "neutral":   np.array([0.0,  0.0,   0.0,   0.0,   0.0,   0.0,   0.0,   0.0]),
    "happiness": np.array([1.5,  1.5,   1.0,   0.5,   0.5,   0.5,  -0.5,   0.0]),
    "sadness":   np.array([-0.5, -1.0, -1.5,  -1.0,  -1.5,  -0.5,   0.5,   0.5]),
    "surprise":  np.array([1.5,  2.5,   0.5,   0.0,   0.5,   0.0,   0.0,   0.0]),
    "fear":      np.array([2.5,  0.0,   0.5,   1.5,   0.5,  -0.5,   1.0,   0.5]),
    "anger":     np.array([2.0,  1.5,   2.0,   0.5,   2.0,  -0.5,   0.5,   0.5]),
    "disgust":   np.array([-1.0, 0.5,  -1.0,  -1.5,  -0.5,   0.0,   0.0,   0.0]),
}
#: Log prior of each emotion. Listeners recognise vocal disgust barely above chance (Banse & Scherer 1996; Juslin &
#: Laukka 2003 leave it out), and its profile (low, slow, soft) is that of a calm low-voiced reader: neutral GRID
#: and LibriVox speakers read as disgust without it. Its likelihood is weighed down by e⁻¹.
_LOG_PRIOR = np.array([-1.0 if e == "disgust" else 0.0 for e in VOICE_EMOTIONS])
#: (arousal, valence) of each emotion on Russell's (1980) circumplex, both in [-1, 1].
CIRCUMPLEX: dict[str, tuple[float, float]] = {
    "neutral": (0.0, 0.0), "happiness": (0.5, 0.8), "sadness": (-0.6, -0.7), "surprise": (0.7, 0.2),
    "fear": (0.7, -0.6), "anger": (0.8, -0.6), "disgust": (0.2, -0.7),
}
# Arousal index: the cues that carry activation (Scherer 2003), standardised, weighted and squashed by tanh.
_AROUSAL_WEIGHT = np.array([0.35, 0.15, 0.15, 0.15, 0.2, 0.0, 0.0, 0.0])


@dataclass(frozen=True)
class EmotionSegment:
    """The voice's emotion over [start, end) seconds.

    probabilities : {emotion: probability} over VOICE_EMOTIONS, summing to 1; arousal, valence : −1 … 1;
    cues : the standardised cue vector (order ``CUES``; NaN where not measurable), empty for a learned model.
    """

    start: float
    end: float
    probabilities: dict[str, float]
    arousal: float
    valence: float
    cues: tuple[float, ...] = field(default=())

    @property
    def emotion(self) -> str:
        """The most probable emotion."""
        return max(self.probabilities, key=self.probabilities.get)

    def as_dict(self) -> dict:
        """Plain JSON-ready form (rounded)."""
        out = {"start": round(self.start, 3), "end": round(self.end, 3), "emotion": self.emotion,
               "confidence": round(self.probabilities[self.emotion], 3),
               "arousal": round(self.arousal, 3), "valence": round(self.valence, 3),
               "probabilities": {k: round(v, 3) for k, v in self.probabilities.items()}}
        if self.cues:
            out["cues"] = {k: (None if np.isnan(v) else round(float(v), 2)) for k, v in zip(CUES, self.cues)}
        return out


@dataclass(frozen=True)
class VoiceSettings:
    """How ``estimate_segments`` reads the voice: the prosody profiles against population norms (default), against
    the speaker's own neutral cues (``baseline``, from ``baseline_cues``), or a trained classifier (``model``, a
    checkpoint loaded by ``facsynth.speech.voice_classifier.load_voice_model``)."""

    baseline: np.ndarray | None = None
    model: dict | None = None


def _register(fc: FrameCues, spacing: float) -> int:
    """0 for a low (typically adult male) voice, 1 for a high one, from two cues that emotion moves little:
    the formant spacing (``voice_cues.formant_spacing``; men about 1000 Hz, women 1150–1250 Hz) and the 10th
    percentile of voiced F0 (the floor rises less with arousal than the median): high when
    (ΔF − 1120 Hz) / 50 Hz + (F0 floor − 140 Hz in semitones) / 4 > 0, on F0 alone when ΔF is not measurable."""
    v = fc.f0[fc.f0 > 0]
    if len(v) < 10:
        return 0
    score = 12 * np.log2(np.percentile(v, 10) / 140.0) / 4.0
    if np.isfinite(spacing):
        score += (spacing - 1120.0) / 50.0
    return int(score > 0)


def _norm_vector(register: int) -> np.ndarray:
    return np.array([v[register] if isinstance(v, tuple) else v for v in (_NORM[c] for c in CUES)])


def baseline_cues(samples: np.ndarray) -> np.ndarray:
    """The cue vector of a speaker's neutral recording (mono 16 kHz float32), the baseline for ``standardise``.

    Raises AudioError when the recording holds too little voiced speech to measure F0 (about 0.1 s).
    """
    cues = window_cues(frame_cues(samples))
    if np.isnan(cues[0]):
        raise AudioError("the baseline recording has too little voiced speech to measure its pitch")
    return cues


def standardise(cues: np.ndarray, register: int = 0, baseline: np.ndarray | None = None) -> np.ndarray:
    """Cue vector (order ``CUES``) → standardised deviations from neutral speech: from ``baseline`` (the speaker's
    own neutral cues) where given and measured, else from the population norms of the voice's ``register``."""
    norm = _norm_vector(register)
    if baseline is not None:
        norm = np.where(np.isnan(baseline), norm, baseline)
    return (np.asarray(cues, np.float64) - norm) / _UNIT


def profile_probabilities(z: np.ndarray, weight: np.ndarray = _WEIGHT) -> np.ndarray:
    """Probabilities of VOICE_EMOTIONS for standardised cues ``z`` (NaN = not measured, ignored):
    softmax of −½ Σ weight·(z − profile)² + log prior, a Gaussian likelihood around each literature profile."""
    ok = ~np.isnan(z)
    scores = np.array([-0.5 * np.sum(weight[ok] * (z[ok] - PROFILES[e][ok]) ** 2) for e in VOICE_EMOTIONS])
    scores += _LOG_PRIOR
    p = np.exp(scores - scores.max())
    return p / p.sum()


def _arousal_index(z: np.ndarray) -> float:
    ok = ~np.isnan(z)
    if not ok.any():
        return 0.0
    return float(np.tanh(np.sum(_AROUSAL_WEIGHT[ok] * z[ok]) / max(_AROUSAL_WEIGHT[ok].sum(), 1e-6)))


def _valence(p: np.ndarray) -> float:
    return float(sum(pi * CIRCUMPLEX[e][1] for pi, e in zip(p, VOICE_EMOTIONS)))


def segment_windows(n_frames: int, fps: float = FEATURE_FPS) -> list[tuple[int, int]]:
    """Frame ranges of the analysis windows: WINDOW_SECONDS long every HOP_SECONDS (one window for short audio).

    Returns [(start, stop)] frame indices covering 0 … n_frames.
    """
    win, hop = int(WINDOW_SECONDS * fps), int(HOP_SECONDS * fps)
    if n_frames <= win:
        return [(0, n_frames)]
    starts = list(range(0, n_frames - win + 1, hop))
    if starts[-1] + win < n_frames:
        starts.append(n_frames - win)
    return [(s, s + win) for s in starts]


def estimate_segments(samples: np.ndarray, settings: VoiceSettings | None = None,
                      f0: np.ndarray | None = None, energy: np.ndarray | None = None,
                      offset: float = 0.0) -> list[EmotionSegment]:
    """The voice's emotion per segment (``segment_windows``) of one utterance.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,)], float32 mono 16 kHz
    settings : prosody profiles against population norms (default), against a speaker baseline, or a learned model
    f0, energy : the utterance's F0 (Hz) and energy (dBFS) at 100 frames/s, when already computed
    offset : seconds added to the segment times (for chunks of a longer file)

    Returns
    -------
    segments : list of EmotionSegment, in time order. With the prosody profiles each window's standardised cues are
        shrunk halfway to the utterance's (a 2 s window alone is a noisy estimate); the learned model classifies
        each window on its own.
    """
    settings = settings or VoiceSettings()
    fc = frame_cues(samples, f0, energy)
    n = len(fc.f0)
    windows = segment_windows(n)
    if settings.model is not None:
        probs = voice_classifier.window_probabilities(samples, fc, windows, settings.model)
        out = []
        for (a, b), p in zip(windows, probs):
            arousal = float(sum(pi * CIRCUMPLEX[e][0] for pi, e in zip(p, VOICE_EMOTIONS)))
            out.append(EmotionSegment(offset + a / FEATURE_FPS, offset + b / FEATURE_FPS,
                                      dict(zip(VOICE_EMOTIONS, map(float, p))), arousal, _valence(p)))
        return out
    register = _register(fc, formant_spacing(samples, fc))
    weight = _WEIGHT if settings.baseline is None else _WEIGHT_BASELINE
    whole = standardise(window_cues(fc), register, settings.baseline)
    out = []
    for a, b in windows:
        z = standardise(window_cues(fc, a, b), register, settings.baseline)
        z = np.where(np.isnan(z), whole, 0.5 * z + 0.5 * np.where(np.isnan(whole), z, whole))
        p = profile_probabilities(z, weight)
        out.append(EmotionSegment(offset + a / FEATURE_FPS, offset + b / FEATURE_FPS,
                                  dict(zip(VOICE_EMOTIONS, map(float, p))), _arousal_index(z), _valence(p),
                                  tuple(float(v) for v in z)))
    return out


#: AUs the voice's emotion leaves alone: the lids blink on their own, and AU10 lifts the upper lip off the teeth,
#: which would open the mouth between the words that the articulation closes (a disgust reading of a neutral
#: voice gave talking videos a mouth open 2.6x as wide as the speaker's at rest).
_SPEECH_OWNS = (10, 43, 45)


def _face_aus(probabilities: dict[str, float], intensity: float) -> dict[int, float]:
    """Upper- and middle-face AUs (lip corners 12 and 15 at half strength) of an emotion mixture.

    The non-neutral emotions' EMFACS prototypes at ``intensity`` are blended in proportion to their probabilities,
    and the blend is scaled by how clearly the voice is not neutral: 0 while P(neutral) ≥ 0.65, full strength once
    P(neutral) ≤ 0.25, linear between (so a mostly-neutral voice keeps a still face instead of a faint mixture).
    """
    rest = {e: p for e, p in probabilities.items() if e != "neutral" and p > 0}
    total = sum(rest.values())
    strength = float(np.clip((0.65 - probabilities.get("neutral", 0.0)) / 0.4, 0.0, 1.0))
    out: dict[int, float] = {}
    if total <= 0 or strength <= 0:
        return out
    for emo, p in rest.items():
        for au, v in emotion_aus(emo, intensity).items():
            if au in (12, 15):
                v *= 0.5
            elif region_of(au) not in ("upper", "middle") or au in _SPEECH_OWNS:
                continue
            out[au] = out.get(au, 0.0) + strength * p / total * v
    return out


def emotion_curves(segments: list[EmotionSegment], aus: tuple[int, ...], times: np.ndarray,
                   intensity: float = 3.0) -> np.ndarray:
    """AU curves of the voice's emotion over ``times`` (seconds): each segment's AUs (``_face_aus``) at its centre,
    linearly interpolated between centres and held before the first and after the last.

    Returns np.ndarray [shape=(len(times), len(aus))], float32, FACS 0–5.
    """
    out = np.zeros((len(times), len(aus)), np.float32)
    if not segments:
        return out
    centres = np.array([(s.start + s.end) / 2 for s in segments])
    table = [_face_aus(s.probabilities, intensity) for s in segments]
    for j, au in enumerate(aus):
        vals = np.array([t.get(au, 0.0) for t in table])
        if vals.any():
            out[:, j] = np.interp(times, centres, vals)
    return np.clip(out, 0, 5)


def summarise(segments: list[EmotionSegment]) -> dict | None:
    """The voice's emotion over the whole recording: segment probabilities, arousal and valence averaged (each
    segment weighted by its length); None without segments."""
    if not segments:
        return None
    w = [s.end - s.start for s in segments]
    total = sum(w) or 1.0
    probs = {e: sum(s.probabilities[e] * wi for s, wi in zip(segments, w)) / total for e in segments[0].probabilities}
    top = max(probs, key=probs.get)
    return {"emotion": top, "confidence": round(probs[top], 3),
            "arousal": round(sum(s.arousal * wi for s, wi in zip(segments, w)) / total, 3),
            "valence": round(sum(s.valence * wi for s, wi in zip(segments, w)) / total, 3),
            "probabilities": {e: round(p, 3) for e, p in probs.items()}}


def load_baseline(path: str | os.PathLike) -> np.ndarray:
    """``baseline_cues`` of an audio file (any format ``load_audio`` reads)."""
    return baseline_cues(load_audio(path))
