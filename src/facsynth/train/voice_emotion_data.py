"""Emotional speech corpora by their file-name conventions: RAVDESS, CREMA-D and TESS → labelled clips.

- RAVDESS (Livingstone & Russo 2018): ``03-01-05-01-02-01-12.wav`` = modality (03 audio-only, 01 audio-video) -
  vocal channel (01 speech, 02 song) - emotion (01 neutral, 02 calm, 03 happy, 04 sad, 05 angry, 06 fearful,
  07 disgust, 08 surprised) - intensity - statement - repetition - actor (01–24). Speech only; calm counts as
  neutral (its face is the neutral one).
- CREMA-D (Cao et al. 2014): ``1001_DFA_ANG_XX.wav`` = actor (1001–1091) _ sentence _ emotion (ANG, DIS, FEA, HAP,
  NEU, SAD) _ level (LO, MD, HI, XX, X).
- TESS (Dupuis & Pichora-Fuller 2010): ``OAF_back_angry.wav`` = speaker (OAF, YAF) _ word _ emotion (angry,
  disgust, fear, happy, neutral, ps / pleasant_surprise(d), sad).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import FormatError

__all__ = ["Clip", "LAYOUTS", "parse_ravdess", "parse_crema_d", "parse_tess", "parse_clip_name", "find_clips"]

_AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3"}


@dataclass(frozen=True)
class Clip:
    """One labelled recording: its path, emotion (a name of ``speech.voice_emotion.VOICE_EMOTIONS``), speaker id
    (for speaker-independent splits) and corpus layout."""

    path: Path
    emotion: str
    speaker: str
    corpus: str


_RAVDESS = re.compile(r"(0[13])-(0[12])-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d{2})")
_RAVDESS_EMOTIONS = {"01": "neutral", "02": "neutral", "03": "happiness", "04": "sadness", "05": "anger",
                     "06": "fear", "07": "disgust", "08": "surprise"}
_CREMA = re.compile(r"(1\d{3})_([A-Z]{3})_(ANG|DIS|FEA|HAP|NEU|SAD)_(LO|MD|HI|XX|X)", re.IGNORECASE)
_CREMA_EMOTIONS = {"ANG": "anger", "DIS": "disgust", "FEA": "fear", "HAP": "happiness", "NEU": "neutral",
                   "SAD": "sadness"}
_TESS = re.compile(r"(OAF|YAF)_([A-Za-z]+)_(angry|disgust|fear|happy|neutral|ps|pleasant_surprised?|sad)",
                   re.IGNORECASE)
_TESS_EMOTIONS = {"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness",
                  "neutral": "neutral", "ps": "surprise", "pleasant_surprise": "surprise",
                  "pleasant_surprised": "surprise", "sad": "sadness"}


def parse_ravdess(stem: str) -> tuple[str, str] | None:
    """(emotion, speaker) of a RAVDESS audio file stem (speech only), or None if the stem is not one."""
    m = _RAVDESS.fullmatch(stem)
    if not m or m.group(2) != "01":
        return None
    return _RAVDESS_EMOTIONS[m.group(3)], f"ravdess-{m.group(7)}"


def parse_crema_d(stem: str) -> tuple[str, str] | None:
    """(emotion, speaker) of a CREMA-D file stem, or None."""
    m = _CREMA.fullmatch(stem)
    return (_CREMA_EMOTIONS[m.group(3).upper()], f"crema-{m.group(1)}") if m else None


def parse_tess(stem: str) -> tuple[str, str] | None:
    """(emotion, speaker) of a TESS file stem, or None."""
    m = _TESS.fullmatch(stem)
    return (_TESS_EMOTIONS[m.group(3).lower()], f"tess-{m.group(1).upper()}") if m else None


#: Layout name → file-stem parser.
LAYOUTS = {"ravdess": parse_ravdess, "crema-d": parse_crema_d, "tess": parse_tess}


def parse_clip_name(stem: str) -> tuple[str, str, str] | None:
    """(emotion, speaker, layout) of a file stem in any known layout, or None."""
    for layout, parse in LAYOUTS.items():
        found = parse(stem)
        if found:
            return found[0], found[1], layout
    return None


def find_clips(root: str | os.PathLike) -> list[Clip]:
    """Every audio file below ``root`` whose name follows RAVDESS, CREMA-D or TESS, sorted by path (others are
    skipped). Raises FormatError when ``root`` is not a folder or holds no such file."""
    root = Path(root)
    if not root.is_dir():
        raise FormatError(f"{root}: not a folder of emotional speech")
    clips = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in _AUDIO_SUFFIXES or not path.is_file():
            continue
        found = parse_clip_name(path.stem)
        if found:
            clips.append(Clip(path, *found))
    if not clips:
        raise FormatError(f"{root}: no audio files named as in RAVDESS (03-01-05-01-02-01-12.wav), CREMA-D "
                          "(1001_DFA_ANG_XX.wav) or TESS (OAF_back_angry.wav)")
    return clips
