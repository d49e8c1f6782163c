"""Speech side of the waist: audio → features, phonemes, prosody → AU tracks."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from .._lazy import lazy_module
from ..errors import ModelError
from ..facs import OPENFACE_AUS
from ..track import DEFAULT_FPS, AUTrack
from .audio import SR, audio_info, iter_audio, load_audio
from .features import FEATURE_FPS

# ``facsynth --help`` loads this package (the commands import it); the pipeline's modules load when a track is made.
# Underscored so that they do not stand in for the submodules as attributes of the package.
_rules = lazy_module("facsynth.speech.rules")            # with phonemes and voice_emotion: ~40 ms of imports
_phonemes = lazy_module("facsynth.speech.phonemes")
_voice_emotion = lazy_module("facsynth.speech.voice_emotion")
_models = lazy_module("facsynth.speech.models")                      # torch
_voice_classifier = lazy_module("facsynth.speech.voice_classifier")  # torch
tqdm = lazy_module("tqdm")   # progress bars: 45 ms of imports

__all__ = ["speak", "speak_with_emotion", "MODELS", "EMOTION_SOURCES", "STREAM_SECONDS"]

#: Models ``speak`` knows: the rule-based default and the two learned ones (which need trained weights).
MODELS = ("default", "lstm", "blstm")
#: Where the default model's upper face takes its emotion from: the voice, the transcript, or both.
EMOTION_SOURCES = ("both", "voice", "text")
#: Files longer than this are processed as a stream of pause-cut chunks with bounded memory.
STREAM_SECONDS = 60.0


def speak(audio_path: str | os.PathLike, transcript: str | None = None, model: str = "default",
          weights: str | os.PathLike | None = None, fps: float = DEFAULT_FPS, seed: int = 0,
          emotion_from: str = "both", voice_model: str | os.PathLike | None = None,
          voice_baseline: str | os.PathLike | None = None) -> AUTrack:
    """Turn a speech recording into an AU track.

    Parameters
    ----------
    audio_path : wav, flac, ogg or mp3; any sample rate, mono or stereo, any length
    transcript : what is said; improves lip sync through forced alignment. If None, a ``.txt`` file beside the
        audio with the same stem is used when present, else phones are recognised.
    model : "default" (phonemes, prosody and emotion rules), "lstm" (MFCC-39 cascade) or "blstm" (Sadoughi &
        Busso); the learned models need ``weights``, a checkpoint from ``facsynth train speech``
    fps : frame rate of the track
    seed : seeds the blink timing
    emotion_from : where the default model takes the upper face's emotion from: "voice" (prosody, or
        ``voice_model``), "text" (the transcript) or "both" (per AU the stronger of the two)
    voice_model : checkpoint of ``facsynth train voice-emotion``, used instead of the prosody profiles
    voice_baseline : a neutral recording of the same speaker: the prosody profiles compare against it instead of
        population norms

    Returns
    -------
    track : AUTrack, as long as the audio; default model columns are OpenFace's 17 AUs + 18, 22, 24, 27, 28

    Raises AudioError for unreadable audio, ModelError for a learned model without (or with unsuitable) weights.
    Silent or noise-like audio gives a neutral track with a warning.

    Examples
    --------
    >>> track = speak("hello.wav", transcript="hello world")   # doctest: +SKIP
    """
    return speak_with_emotion(audio_path, transcript, model, weights, fps, seed, emotion_from, voice_model,
                              voice_baseline)[0]


def speak_with_emotion(audio_path: str | os.PathLike, transcript: str | None = None, model: str = "default",
                       weights: str | os.PathLike | None = None, fps: float = DEFAULT_FPS, seed: int = 0,
                       emotion_from: str = "both", voice_model: str | os.PathLike | None = None,
                       voice_baseline: str | os.PathLike | None = None) -> tuple[AUTrack, list]:
    """``speak``, also returning the voice's emotion per segment (a list of ``voice_emotion.EmotionSegment``,
    empty when ``emotion_from`` is "text" or a learned speech ``model`` drives the whole face)."""
    if model not in MODELS:
        raise ModelError(f"unknown speech model {model!r} (expected one of {', '.join(MODELS)})")
    if emotion_from not in EMOTION_SOURCES:
        raise ModelError(f"unknown emotion source {emotion_from!r} (expected one of {', '.join(EMOTION_SOURCES)})")
    info = audio_info(audio_path)
    if transcript is None:
        transcript = _phonemes.find_transcript(audio_path)
    if model != "default":
        if weights is None:
            kind = "lstm" if model == "lstm" else "blstm-joint"
            raise ModelError(f"the {model} speech model has no shipped weights: train one with "
                             f"'facsynth train speech --model {kind} DATA' and pass --weights CKPT, "
                             "or use --model default")
        ckpt = _models.load_for(Path(weights), model)
        return _speak_chunks(audio_path, info.duration, fps, OPENFACE_AUS,
                             lambda chunk, i, offset: _models.predict_curves(chunk, ckpt)), []
    voice = None
    if emotion_from != "text":
        learned = None
        if voice_model is not None:                       # torch loads only for a learned voice model
            learned = _voice_classifier.load_voice_model(voice_model)
        baseline = None if voice_baseline is None else _voice_emotion.load_baseline(voice_baseline)
        voice = _voice_emotion.VoiceSettings(baseline=baseline, model=learned)
    segments: list = []
    if info.duration <= STREAM_SECONDS:
        return _rules.rules_track(load_audio(audio_path), transcript, fps=fps, seed=seed,
                                  text_emotion=emotion_from != "voice", voice=voice, segments=segments), segments
    if transcript:
        warnings.warn(f"the audio is longer than {STREAM_SECONDS:g} s: it is streamed in chunks and the transcript "
                      "is used for its emotion only (phones are recognised)", stacklevel=2)
    emotion = _rules.emotion_targets(transcript) if emotion_from != "voice" else {}
    track = _speak_chunks(audio_path, info.duration, fps, _rules.SPEECH_AUS,
                          lambda chunk, i, offset: _rules.rules_curves(chunk, None, seed + i, emotion, voice,
                                                                       segments, offset / SR, streamed=True))
    if not track.values.any():  # every chunk was silent or noise (rules_curves leaves those at zero)
        warnings.warn("the audio is silent or sounds like noise, not speech: the face stays neutral", stacklevel=2)
    return track, segments


def _speak_chunks(audio_path, duration: float, fps: float, aus: tuple[int, ...], curves_of) -> AUTrack:
    """Stream the file in pause-cut chunks of ~30 s; ``curves_of(chunk, index, offset in samples)`` gives each
    chunk's 100 fps AU curves, which are resampled into one preallocated track (memory bounded by a chunk plus the
    track)."""
    n_frames = max(1, int(np.ceil(duration * fps - 1e-9)))
    values = np.zeros((n_frames, len(aus)), np.float32)
    with tqdm.tqdm(total=round(duration), unit="s", desc="speech", leave=False,
                   disable=duration <= STREAM_SECONDS) as bar:
        for i, (offset, chunk) in enumerate(_rules.split_at_pauses(iter_audio(audio_path))):
            curves = curves_of(chunk, i, offset)
            k0 = int(np.ceil(offset / SR * fps - 1e-9))
            k1 = min(n_frames, int(np.ceil((offset + len(chunk)) / SR * fps - 1e-9)))
            if k1 > k0:  # frame k0 sits (k0 / fps − offset) seconds into the chunk
                values[k0:k1] = AUTrack(curves, aus, FEATURE_FPS).resample(fps, frames=k1 - k0,
                                                                            start=k0 / fps - offset / SR).values
            bar.update(round((offset + len(chunk)) / SR) - bar.n)
    return AUTrack(values, aus, fps)
