"""``facsynth track``: inspect, convert, resample and smooth AU track files."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..facs import emotion_aus, format_au_spec
from ..formats import read_track, write_track
from ..track import AUTrack
from ._outputs import input_help, output_help, write_track_output

NAME = "track"
HELP = "convert, resample or smooth an AU track file (OpenFace CSV, JSON, ARKit JSON / Live Link CSV, long CSV)"
DEMO_ORDER = 10


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", type=Path, help=input_help())
    p.add_argument("-o", "--out", type=Path, help=output_help())
    p.add_argument("--fps", type=float, help="resample to this frame rate")
    p.add_argument("--smooth", type=float, metavar="SECONDS", help="Gaussian smoothing over time (std in s)")
    p.add_argument("--scale", type=float, help="multiply intensities (clamped to 0–5)")


def run(args: argparse.Namespace) -> int:
    track = read_track(args.input)
    if args.fps is not None:
        track = track.resample(args.fps)
    if args.smooth is not None:
        track = track.smooth(args.smooth)
    if args.scale is not None:
        track = track.scaled(args.scale)
    if args.out:
        write_track_output(track, args.out)
    print(f"{track.n_frames} frames at {track.fps:g} fps ({track.duration:.2f} s), AUs {','.join(track.labels)}")
    print(f"mean: {format_au_spec({a: round(v, 2) for a, v in track.mean().items()}) or 'neutral'}")
    return 0


def demo(out: Path) -> list[Path]:
    """Write the happiness → surprise blend as a 2 s OpenFace CSV and JSON track."""
    a, b = AUTrack.still(emotion_aus("happiness", 4)), AUTrack.still(emotion_aus("surprise", 4))
    a, b = a.with_aus(sorted(set(a.aus) | set(b.aus))), b.with_aus(sorted(set(a.aus) | set(b.aus)))
    w = np.linspace(0, 1, 60)[:, None]
    track = AUTrack((1 - w) * a.values + w * b.values, a.aus, 30)
    files = [out / "happy_to_surprised.csv", out / "happy_to_surprised.json"]
    for f in files:
        write_track(track, f)
    return files
