"""Audio files: the header probe (sample rate, channels, length) that the speech side and the renderers share.

Reading the samples themselves (resampled to 16 kHz mono) is facsynth.speech.audio's job; this module only opens
the header, so that a renderer can hold a still for the length of the speech without knowing the speech side.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from .._lazy import lazy_module
from ..errors import AudioError

__all__ = ["AudioInfo", "audio_info", "VIDEO_SUFFIXES"]

soundfile = lazy_module("soundfile")

#: Suffixes of video containers: an audio reader refuses them with advice instead of a decoder error.
VIDEO_SUFFIXES = frozenset({".mp4", ".mpg", ".mpeg", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".wmv", ".flv",
                            ".3gp"})
# Leading bytes of video containers: MPEG-PS pack header, Matroska/WebM EBML, AVI RIFF, ISO-BMFF "ftyp" at offset 4.
_VIDEO_MAGIC = (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3", b"\x1a\x45\xdf\xa3")


class AudioInfo(NamedTuple):
    """Header facts of an audio file: sample rate (Hz), channel count and length in samples."""

    samplerate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.samplerate


def _looks_like_video(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head[4:8] == b"ftyp" or head.startswith(_VIDEO_MAGIC):
        return True
    return head[:4] == b"RIFF" and head[8:12] == b"AVI "


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Sample rate, channels and length of the audio file ``path`` without reading its samples.

    Raises AudioError for a missing or empty file, a video file, or anything that is not a readable audio format.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty (0 bytes)")
    if path.suffix.lower() in VIDEO_SUFFIXES or _looks_like_video(path):
        raise AudioError(f"{path}: this is a video file, not audio; extract its sound first "
                         f"(e.g. ffmpeg -i {path.name} -vn {path.stem}.wav)")
    try:
        info = soundfile.info(str(path))
    except Exception:  # soundfile raises its own error types (and RuntimeError) for unreadable files
        raise AudioError(f"{path}: not a readable audio file (expected wav, flac, ogg or mp3)") from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioError(f"{path}: the audio holds no samples")
    return AudioInfo(int(info.samplerate), int(info.channels), int(info.frames))
