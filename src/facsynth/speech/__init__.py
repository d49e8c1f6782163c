"""Speech side of the waist: audio → features, phonemes, prosody → AU tracks."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..errors import ModelError
from ..track import DEFAULT_FPS, AUTrack

__all__ = ["speak", "MODELS", "STREAM_SECONDS"]

#: Models ``speak`` knows: the rule-based default and the two learned ones (which need trained weights).
MODELS = ("default", "lstm", "blstm")
#: Files longer than this are processed as a stream of pause-cut chunks with bounded memory.
STREAM_SECONDS = 60.0


def speak(audio_path: str | os.PathLike, transcript: str | None = None, model: str = "default",
          weights: str | os.PathLike | None = None, fps: float = DEFAULT_FPS, seed: int = 0) -> AUTrack:
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

    Returns
    -------
    track : AUTrack, as long as the audio; default model columns are OpenFace's 17 AUs + 18, 22, 24, 27, 28

    Raises AudioError for unreadable audio, ModelError for a learned model without weights. Silent audio gives
    a neutral track with a warning.

    Examples
    --------
    >>> track = speak("hello.wav", transcript="hello world")   # doctest: +SKIP
    """
    from .audio import audio_info, iter_audio, load_audio
    from .phonemes import find_transcript

    if model not in MODELS:
        raise ModelError(f"unknown speech model {model!r} (expected one of {', '.join(MODELS)})")
    info = audio_info(audio_path)
    if transcript is None:
        transcript = find_transcript(audio_path)
    if model != "default":
        from .models import predict_track

        if weights is None:
            raise ModelError(f"the {model} speech model has no shipped weights: train one with "
                             f"'facsynth train speech --model {model} DATA' and pass --weights CKPT, "
                             "or use --model default")
        samples, sr = load_audio(audio_path)
        return predict_track(samples, Path(weights), model=model, fps=fps)
    if info.duration <= STREAM_SECONDS:
        from .rules import rules_track

        samples, sr = load_audio(audio_path)
        return rules_track(samples, transcript, sr, fps, seed)
    return _speak_stream(audio_path, transcript, info.duration, fps, seed)


def _speak_stream(audio_path, transcript, duration: float, fps: float, seed: int) -> AUTrack:
    """Long files: pause-cut chunks of ~30 s, each through the rules, written into one preallocated track."""
    import numpy as np
    from tqdm import tqdm

    from .audio import SR, iter_audio
    from .rules import SPEECH_AUS, emotion_targets, resample_curves, rules_curves, split_at_pauses

    if transcript:
        warnings.warn(f"the audio is longer than {STREAM_SECONDS:g} s: it is streamed in chunks and the transcript "
                      "is used for its emotion only (phones are recognised)", stacklevel=3)
    emotion = emotion_targets(transcript)
    n_frames = max(1, int(np.ceil(duration * fps - 1e-9)))
    values = np.zeros((n_frames, len(SPEECH_AUS)), np.float32)
    with tqdm(total=round(duration), unit="s", desc="speech", leave=False) as bar:
        for i, (offset, chunk) in enumerate(split_at_pauses(iter_audio(audio_path, SR), SR)):
            curves = rules_curves(chunk, None, SR, seed + i, emotion)
            part = resample_curves(curves, len(chunk) / SR, fps, offset / SR)
            k0 = int(np.ceil(offset / SR * fps - 1e-9))
            k1 = min(n_frames, k0 + part.n_frames)
            values[k0:k1] = part.values[: k1 - k0]
            bar.update(round((offset + len(chunk)) / SR) - bar.n)
    return AUTrack(values, SPEECH_AUS, fps)
