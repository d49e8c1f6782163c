"""Training data for the speech models: (audio, AU labels) pairs from RAVDESS-style names with OpenFace CSVs, any
folder of audio + OpenFace CSV pairs, or talking-face videos self-labelled by ``facsynth.face.analyze``."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AudioError, FormatError, ImageError, LimitError, TrackError
from ..facs import OPENFACE_AUS
from .._lazy import lazy_module
from ..face.analyze import VIDEO_SUFFIXES, analyze_file  # the videos analyze can read
from ..formats import read_track, write_track
from ..speech.audio import SR, load_audio
from ..speech.features import feature_set

imageio_ffmpeg = lazy_module("imageio_ffmpeg")
tqdm = lazy_module("tqdm")   # progress bars: 45 ms of imports that --help does without

__all__ = ["AUDIO_SUFFIXES", "VIDEO_SUFFIXES", "Example", "find_examples", "ravdess_audio_name", "ravdess_fields",
           "load_example", "load_examples"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
_RAVDESS = re.compile(r"^(0[123])-(\d\d-\d\d-\d\d-\d\d-\d\d-\d\d)$")


@dataclass(frozen=True)
class Example:
    """One training utterance: where its sound is (audio file or video), and its labels (OpenFace CSV, or None
    to self-label the video with ``facsynth.face.analyze``)."""

    sound: Path
    labels: Path | None

    @property
    def needs_analysis(self) -> bool:
        """True when the AU labels must be measured on the video itself."""
        return self.labels is None

    @property
    def speaker(self) -> str:
        """Who speaks: the RAVDESS actor ("actor12") for RAVDESS names, else the name of the sound's folder."""
        fields = ravdess_fields(self.sound.stem)
        return f"actor{fields['actor']:02d}" if fields else self.sound.parent.name


def ravdess_fields(stem: str) -> dict[str, int] | None:
    """The seven RAVDESS name fields of ``stem`` ("03-01-05-01-02-01-12": modality, vocal channel (1 speech,
    2 song), emotion, intensity, statement, repetition, actor), or None when ``stem`` is not a RAVDESS name."""
    parts = stem.split("-")
    if len(parts) != 7 or not all(len(p) == 2 and p.isdigit() for p in parts):
        return None
    names = ("modality", "vocal_channel", "emotion", "intensity", "statement", "repetition", "actor")
    return dict(zip(names, map(int, parts)))


def ravdess_audio_name(stem: str) -> str | None:
    """The audio-only RAVDESS name (modality 03) of a RAVDESS video or CSV stem, e.g. "01-01-05-…" → "03-01-05-…".

    Returns None when ``stem`` is not a RAVDESS name.
    """
    m = _RAVDESS.match(stem)
    return f"03-{m.group(2)}" if m else None


def find_examples(root: str | os.PathLike, self_label: bool = True) -> list[Example]:
    """Every usable utterance under ``root`` (searched recursively).

    - an audio file with an OpenFace CSV of the same stem beside it;
    - RAVDESS: an OpenFace CSV named after a video ("01-…" / "02-…") paired with the audio-only file "03-…" of the
      same actor, statement and take (anywhere under ``root``), else with the video of its own stem;
    - a video with an OpenFace CSV of the same stem (its sound track is used);
    - a video without a CSV, when ``self_label``: labels measured on its frames by ``facsynth.face.analyze``.

    RAVDESS songs (vocal channel 02) are left out: the cascade's Model B trains on the 1,440 speech clips.

    Raises FormatError when ``root`` is not a folder or holds nothing usable.
    """
    root = Path(root)
    if not root.is_dir():
        raise FormatError(f"{root}: not a folder of training data")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    by_stem: dict[str, list[Path]] = {}
    for p in files:
        by_stem.setdefault(p.stem, []).append(p)
    examples, used = [], set()
    files = [p for p in files if (ravdess_fields(p.stem) or {}).get("vocal_channel", 1) == 1]
    for csv in (p for p in files if p.suffix.lower() == ".csv"):
        sound = _sound_for(csv.stem, by_stem, csv.parent)
        if sound is not None:
            examples.append(Example(sound, csv))
            used.add(sound)
    if self_label:
        for video in (p for p in files if p.suffix.lower() in VIDEO_SUFFIXES and p not in used):
            if not any(q.suffix.lower() == ".csv" for q in by_stem.get(video.stem, [])):
                examples.append(Example(video, None))
    if not examples:
        raise FormatError(f"{root}: found no (audio, OpenFace CSV) pairs or talking-face videos")
    return examples


def _sound_for(stem: str, by_stem: dict[str, list[Path]], folder: Path) -> Path | None:
    candidates = by_stem.get(stem, [])
    audio_name = ravdess_audio_name(stem)
    if audio_name is not None:
        candidates = by_stem.get(audio_name, []) + candidates
    audio = [p for p in candidates if p.suffix.lower() in AUDIO_SUFFIXES]
    video = [p for p in candidates if p.suffix.lower() in VIDEO_SUFFIXES]
    pick = sorted(audio, key=lambda p: p.parent != folder) or sorted(video, key=lambda p: p.parent != folder)
    return pick[0] if pick else None


def _video_sound(video: Path) -> np.ndarray:
    """The sound track of a video as float32 mono 16 kHz (decoded by imageio-ffmpeg's bundled ffmpeg)."""
    with tempfile.TemporaryDirectory() as d:
        wav = Path(d) / "sound.wav"
        res = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(video), "-vn",
                              "-ac", "1", "-ar", str(SR), str(wav)], capture_output=True, text=True)
        if res.returncode != 0 or not wav.is_file():
            raise AudioError(f"{video}: has no readable sound track")
        return load_audio(wav)


def load_example(example: Example, features: str, label_cache: Path | None = None,
                 hop: int = 160) -> tuple[np.ndarray, np.ndarray]:
    """Features and frame-aligned AU labels of one utterance, both every ``hop`` samples at 16 kHz (100 frames/s).

    Returns
    -------
    x : np.ndarray [shape=(frames, n_features)], float32 (see ``facsynth.speech.features.feature_set``)
    y : np.ndarray [shape=(frames, 17)], float32, OpenFace AUs, FACS 0–5 (labels resampled, edge-padded)

    Self-labelled videos are analysed once; with ``label_cache`` their tracks are kept there as OpenFace CSVs.
    """
    is_video = example.sound.suffix.lower() in VIDEO_SUFFIXES
    samples = _video_sound(example.sound) if is_video else load_audio(example.sound)
    x = feature_set(samples, features, hop=hop)
    if example.labels is not None:
        track = read_track(example.labels)
    else:
        cached = label_cache / f"{example.sound.stem}.csv" if label_cache else None
        if cached is not None and cached.is_file():
            track = read_track(cached)
        else:
            track = analyze_file(example.sound)
            if cached is not None:
                write_track(track, cached)
    track = track.with_aus(OPENFACE_AUS).resample(SR / hop)
    y = track.values
    if len(y) < len(x):
        y = np.concatenate([y, np.repeat(y[-1:], len(x) - len(y), axis=0)])
    return x, np.ascontiguousarray(y[: len(x)], dtype=np.float32)


def load_examples(examples: list[Example], features: str, label_cache: Path | None = None,
                  progress: bool = True, hop: int = 160) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[str]]:
    """``load_example`` over many utterances with a progress bar; unusable ones are skipped with a warning.

    Returns the (features, labels) pairs and the speaker of each (``Example.speaker``).
    """
    out, speakers = [], []
    for ex in tqdm.tqdm(examples, desc="features", unit="utt", disable=not progress, leave=False):
        try:
            out.append(load_example(ex, features, label_cache, hop))
            speakers.append(ex.speaker)
        except (AudioError, FormatError, TrackError, ImageError, LimitError) as e:  # this utterance is unusable
            warnings.warn(f"skipped {ex.sound.name}: {e}", stacklevel=2)
    if not out:
        raise FormatError("none of the training utterances could be read")
    return out, speakers
