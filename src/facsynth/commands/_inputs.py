"""Shared CLI options that say which expression to make: --aus, --text, --emotion, --track, --audio."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import AUSpecError
from ..facs import emotion_aus, parse_au_spec
from ..formats import read_track
from ..language.parse import read
from ..speech import speak
from ..track import AUTrack

__all__ = ["add_expression_arguments", "track_from_args"]


def add_expression_arguments(parser: argparse.ArgumentParser, *, required: bool = True,
                             audio_in_group: bool = True) -> argparse._MutuallyExclusiveGroup:
    """Add the expression sources to ``parser`` as one mutually exclusive group, and return the group.

    With ``audio_in_group=False``, ``--audio`` is an ordinary option beside the group, so it can drive the face alone
    or be muxed under a ``--track`` (the caller then checks that some source was given).
    """
    src = parser.add_mutually_exclusive_group(required=required)
    src.add_argument("--aus", metavar="SPEC", help='AU intensities, e.g. "AU1=2,AU12=D"')
    src.add_argument("--text", metavar="TEXT", help='a sentence, e.g. "she smiles slightly"')
    src.add_argument("--emotion", metavar="NAME[:INTENSITY]", help="an emotion prototype, e.g. happiness:4")
    src.add_argument("--track", metavar="FILE", type=Path, help="an AU track (OpenFace CSV or JSON)")
    (src if audio_in_group else parser).add_argument(
        "--audio", metavar="FILE", type=Path, help="speech audio that drives the face (muxed into MP4 output)")
    parser.add_argument("--transcript", metavar="TEXT", help="what is said in --audio (improves lip sync)")
    return src


def parse_emotion_spec(spec: str) -> dict[int, float]:
    """``"happiness:4"`` → the happiness prototype at intensity 4 (default 3)."""
    name, _, level = spec.partition(":")
    try:
        intensity = float(level) if level else 3.0
    except ValueError:
        raise AUSpecError(f"cannot read emotion intensity {level!r} (expected a number 0–5)") from None
    return emotion_aus(name, intensity)


def track_from_args(args: argparse.Namespace) -> AUTrack:
    """Build the AU track the expression options of ``args`` ask for."""
    if args.aus is not None:
        return AUTrack.still(parse_au_spec(args.aus))
    if args.text is not None:
        return read(args.text).track()
    if args.emotion is not None:
        return AUTrack.still(parse_emotion_spec(args.emotion))
    if args.track is not None:
        return read_track(args.track)

    return speak(args.audio, transcript=args.transcript)
