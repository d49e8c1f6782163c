"""``facsynth analyze``: AU intensities of the face in a photo or video, as an OpenFace-style CSV (or JSON)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .._lazy import lazy_module
from ..face.analyze import analyze, analyze_file
from ..facs import emotion_aus, format_au_spec
from ..formats import write_track
from ..render.photo import expression_renderer, reexpress
from ..track import AUTrack
from ._outputs import output_help, output_kind, write_track_output

skimage_data = lazy_module("skimage.data")

NAME = "analyze"
HELP = "estimate AU intensities of a face photo or video against a neutral reference (OpenFace-style CSV)"
DESCRIPTION = """Estimate FACS AU intensities from face landmarks (the inverse of facsynth edit).

  facsynth analyze smile.png --neutral face.jpg -o aus.csv
  facsynth analyze talking.mp4 -o aus.csv                 (neutral: median face of the clip)
  facsynth analyze talking.mp4 --neutral 0 -o aus.json     (neutral: frame 0)

Without --neutral a single photo is compared with facsynth's default neutral face, so the person's own
features count as expression: give a neutral photo of the same person when you can.
"""
DEMO_ORDER = 55


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", type=Path, help="face photo (.png, .jpg, …) or video (.mp4, .avi, …)")
    p.add_argument("--neutral", metavar="N", help="neutral reference: an image of the same person, or a frame number")
    p.add_argument("-o", "--out", type=Path, required=True,
                   help=output_help("AU track file"))


def run(args: argparse.Namespace) -> int:
    output_kind(args.out)
    track = analyze_file(args.input, args.neutral, render=expression_renderer)
    write_track_output(track, args.out)
    mean = {a: round(v, 1) for a, v in track.mean().items() if v >= 0.5}
    print(f"wrote {args.out}: {track.n_frames} frame(s), mean {format_au_spec(mean) or 'neutral'}")
    return 0


def demo(out: Path) -> list[Path]:
    """Round trip on the demo photo: re-express it with happiness, then estimate its AUs back."""
    image = np.ascontiguousarray(skimage_data.astronaut())
    edited = next(reexpress(image, AUTrack.still(emotion_aus("happiness", 4))))
    path = out / "photo_happiness_analyzed.csv"
    write_track(analyze(edited, neutral=image, render=expression_renderer), path)
    return [path]
