"""``facsynth mesh``: an expression on the 3D face mesh, as glTF (morph targets), ARKit weights or a preview."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..face.morphs import face_mesh
from ..face.person import person_from_photo
from ..facs import OPENFACE_AUS, emotion_aus
from ..formats.arkit import write_arkit_json
from ..formats.gltf import write_glb
from ..limits import MAX_IMAGE_SIDE, bounded_int, check_memory
from ..render.preview import render_preview
from ..track import AUTrack
from ._inputs import add_expression_arguments, track_from_args
from ._outputs import MEDIA_SUFFIXES, output_help, output_kind, write_track_output

NAME = "mesh"
HELP = "AUs → 3D face mesh: .glb with morph targets, ARKit .arkit.json/.arkit.csv, or a .png/.mp4 preview"
DESCRIPTION = """\
Put an expression on the muscle-based 3D face model and write it out.

  -o face.glb         glTF 2.0 binary: one morph target per AU (AU01, AU12, ...), animated when the track has
                      several frames (opens in Blender, three.js, Unity, Unreal)
  -o face.arkit.json  ARKit 52 blendshape weights (Audio2Face JSON layout); -o face.arkit.csv: Live Link Face CSV
  -o face.png         shaded preview of the most intense frame; -o face.mp4: every frame (with --audio's speech)

--face PHOTO uses the person's own face shape from the photo (MediaPipe landmarks); the .glb is textured
with the photo, and so is the preview.

examples:
  facsynth mesh --emotion happiness:4 -o happy.glb
  facsynth mesh --aus "AU1=3,AU2=3,AU5=2,AU26=4" -o surprise.png
  facsynth mesh --track aus.csv --face me.jpg -o me.glb
"""
DEMO_ORDER = 40


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_expression_arguments(p)
    p.add_argument("--face", type=Path, metavar="PHOTO", help="photo of the person whose face to use")
    p.add_argument("--face-index", type=int, default=0, metavar="N",
                   help="which face of the photo, 0 = largest (default 0)")
    p.add_argument("--size", type=int, default=512, help="preview width and height in pixels, 16–4096 (default 512)")
    p.add_argument("-o", "--out", type=Path, required=True,
                   help=output_help("output", media=True))


def run(args: argparse.Namespace) -> int:
    kind = output_kind(args.out)  # reject an unknown output type before any work
    if kind in MEDIA_SUFFIXES:
        bounded_int(args.size, "--size", 16, MAX_IMAGE_SIDE)
        check_memory(48 * args.size**2, f"a {args.size}×{args.size} preview")  # float32 image, depth, shading
    track = track_from_args(args)
    person = person_from_photo(args.face, args.face_index) if args.face is not None else {}
    if kind in MEDIA_SUFFIXES:
        audio = getattr(args, "audio", None) if kind == ".mp4" else None
        render_preview(track, args.out, audio=audio, neutral=person.get("neutral"), size=args.size,
                       texture=person.get("texture"), uv=person.get("uv"))
    else:
        write_track_output(track, args.out, neutral=person.get("neutral"), texture=person.get("texture"),
                           uv=person.get("uv"))
    print(f"wrote {args.out} ({track.n_frames} frame{'s' * (track.n_frames != 1)} at {track.fps:g} fps, "
          f"AUs {','.join(str(a) for a in track.aus)})")
    return 0


def demo(out: Path) -> list[Path]:
    """A happy face (.glb), a surprised face (.png), an emotion sweep (.mp4) and its ARKit weights (.json)."""

    files = [out / "face_happy.glb", out / "face_surprise.png", out / "face_emotions.mp4", out / "face.arkit.json"]
    write_glb(AUTrack.still(emotion_aus("happiness", 4)), files[0], mesh=face_mesh())
    render_preview(AUTrack.still(emotion_aus("surprise", 4)), files[1])
    sweep = emotion_sweep(("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "neutral"))
    render_preview(sweep, files[2], size=384)
    write_arkit_json(sweep, files[3])
    return files


def emotion_sweep(emotions: tuple[str, ...], seconds: float = 0.6, fps: float = 30.0, intensity: float = 4.0):
    """An AU track that eases from one emotion prototype to the next, ``seconds`` per step (smoothstep)."""
    aus = tuple(sorted(set(OPENFACE_AUS) | {a for e in emotions for a in emotion_aus(e, intensity)}))
    keys = np.array([[emotion_aus(e, intensity).get(a, 0.0) for a in aus] for e in emotions], np.float32)
    steps = int(round(seconds * fps))
    t = np.linspace(0, 1, steps, endpoint=False, dtype=np.float32)
    ease = (t * t * (3 - 2 * t))[:, None]
    rows = [keys[i] * (1 - ease) + keys[i + 1] * ease for i in range(len(keys) - 1)] + [keys[-1:]]
    return AUTrack(np.concatenate(rows), aus, fps)
