"""Frames to files, for every renderer: a still image (.png/.jpg) or an MP4 with the speech muxed in.

A renderer is any function from an AUTrack to its frames (``Callable[[AUTrack], Iterator[np.ndarray]]``, one
(H, W, 3) uint8 RGB frame per track frame): the photo warp, the mesh preview, a trained generator. What happens
after the frames — which frame a still shows, how long a still video lasts, the audio, atomic writing — is the
same for all of them and lives here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..errors import FormatError
from ..formats.audio import audio_info
from ..formats.image import IMAGE_SUFFIXES, write_image
from ..track import AUTrack
from .video import write_mp4

__all__ = ["Renderer", "write_rendered", "apex_frame", "OUTPUT_SUFFIXES"]

#: Turns a track into its frames, one (H, W, 3) uint8 RGB image per track frame.
Renderer = Callable[[AUTrack], Iterator[np.ndarray]]
OUTPUT_SUFFIXES = (*IMAGE_SUFFIXES, ".mp4")


def apex_frame(track: AUTrack) -> AUTrack:
    """The one-frame track of ``track``'s most intense frame (largest summed intensity)."""
    apex = int(np.argmax(track.values.sum(axis=1)))
    return AUTrack(track.values[apex:apex + 1], track.aus, track.fps)


def write_rendered(render: Renderer, track: AUTrack, path: str | os.PathLike,
                   audio: str | os.PathLike | None = None, *, still: str = "refuse") -> Path:
    """Render ``track`` with ``render`` into ``path``: an image for a still, an H.264 MP4 for a track.

    render : the renderer, called once with the track to draw (see Renderer)
    path : .png / .jpg / … (one frame) or .mp4; written atomically, so it appears only when rendering succeeded
    audio : speech muxed into an MP4 as AAC; a one-frame track written to .mp4 is held for the audio's length
        (1 s without audio)
    still : what an image output does with a multi-frame track: "refuse" (FormatError: write an .mp4) or
        "apex" (its most intense frame)

    Raises FormatError for an unknown suffix, a track without frames, or a refused multi-frame still.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise FormatError(f"cannot render to {target.suffix or 'extension-less'} files "
                          f"(use {', '.join(OUTPUT_SUFFIXES)})")
    if track.n_frames == 0:
        raise FormatError("the track has no frames to render")
    if suffix == ".mp4":
        if track.n_frames == 1:
            seconds = audio_info(audio).duration if audio is not None else 1.0
            frame = next(render(track))
            n = max(1, int(round(seconds * track.fps)))
            frames: Iterator[np.ndarray] = (frame for _ in range(n))
        else:
            n, frames = track.n_frames, render(track)
        return write_mp4(frames, target, track.fps, audio, n_frames=n)
    if track.n_frames != 1:
        if still != "apex":
            raise FormatError(f"the track has {track.n_frames} frames: write it to an .mp4, not {target.name}")
        track = apex_frame(track)
    return write_image(next(render(track)), target)
