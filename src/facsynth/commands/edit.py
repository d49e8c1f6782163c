"""``facsynth edit``: a face photo re-expressed by a sentence, AUs, an emotion, a track or speech; photo data sets."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from .._lazy import lazy_module
from ..atomic import atomic_write
from ..augment.spec import Expression, parse_spec
from ..errors import AUSpecError, FormatError, ImageError, ModelError, NoFaceError, OutputError
from ..facs import emotion_aus, format_au_spec
from ..formats.image import IMAGE_SUFFIXES, read_image, write_image
from ..language.describe import describe
from ..language.parse import parse
from ..render.output import write_rendered
from ..render.photo import reexpress, rig_photo
from ..render.rig_cache import cached_photo_renderer
from ..render.video import write_mp4
from ..track import AUTrack
from ._inputs import add_expression_arguments, track_from_args

encoder = lazy_module("facsynth.language.encoder")   # torch
gan = lazy_module("facsynth.render.gan")              # torch
skimage_data = lazy_module("skimage.data")
tqdm = lazy_module("tqdm")   # progress bars: 45 ms of imports that --help does without

NAME = "edit"
HELP = "re-express a face photo (PNG/JPEG, or MP4 for a track or speech), or a folder of photos × expressions"
DESCRIPTION = """Re-express the face in a photo.

  facsynth edit face.jpg --text "she smiles slightly" -o smile.png
  facsynth edit face.jpg --aus "AU12=3,AU6=2" -o smile.jpg
  facsynth edit face.jpg --emotion surprise:4 -o surprised.png
  facsynth edit face.jpg --track aus.csv --audio speech.wav -o talking.mp4
  facsynth edit face.jpg --audio speech.wav -o talking.mp4          (the face follows the speech)
  facsynth edit photos/ --expressions expressions.txt -o dataset/   (photos × expressions + manifest.csv)

An expressions file has one expression per line: an AU spec ("AU12=3,AU6=2"), an emotion ("happiness:4"),
or a sentence ("she raises her brows slightly"); "#" starts a comment. The batch is resumable: rows already in
OUTDIR/manifest.csv are skipped.
"""
DEMO_ORDER = 50

RENDERERS = ("geometric", "ganimation", "fesn")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("photo", type=Path, help="face photo, or a folder of photos with --expressions")
    src = add_expression_arguments(p, required=False, audio_in_group=False)
    src.add_argument("--expressions", metavar="LIST", type=Path,
                     help="batch: a text file of expressions, one per line (PHOTO is then a folder)")
    p.add_argument("-o", "--out", type=Path, required=True, help="output .png/.jpg/.mp4 (a folder for a batch)")
    p.add_argument("--face-index", type=int, default=0, metavar="N", help="which face, by size (0 = largest)")
    p.add_argument("--renderer", choices=RENDERERS, default="geometric",
                   help="geometric warp (default, no weights) or a trained generator")
    p.add_argument("--weights", type=Path, metavar="CKPT", help="generator checkpoint for ganimation / fesn")
    p.add_argument("--overwrite", action="store_true", help="allow -o to name the input photo itself")
    p.add_argument("--relative", action="store_true",
                   help="add the AUs to the expression the photo already wears (default: the AUs are the face's "
                        "target state, so a smiling photo asked for sadness stops smiling)")


def run(args: argparse.Namespace) -> int:
    if args.renderer != "geometric" and args.weights is None:
        raise ModelError(f"--renderer {args.renderer} needs --weights CKPT (train one with facsynth train "
                         f"{args.renderer})")
    if args.expressions is not None:
        return _run_batch(args)
    if not any(getattr(args, k) is not None for k in ("aus", "text", "emotion", "track", "audio")):
        raise AUSpecError("say which expression to make: --text, --aus, --emotion, --track or --audio "
                          "(or --expressions for a folder)")
    if not args.overwrite and args.out.exists() and args.photo.exists() and args.out.samefile(args.photo):
        raise OutputError(f"-o {args.out} is the input photo: write elsewhere, or pass --overwrite to replace it")
    image = read_image(args.photo)
    track = track_from_args(args)
    sentence = args.text
    path = _render(image, track, args.out, args, sentence, photo_name=args.photo.name)
    print(f"wrote {path} ({track.n_frames} frame{'s' if track.n_frames > 1 else ''})")
    return 0


def _render(image, track, out: Path, args: argparse.Namespace, sentence: str | None, *, photo_name: str,
            rig=None) -> Path:
    """Render ``track`` on ``image`` to ``out`` with the renderer ``args`` asks for."""
    try:
        if args.renderer == "geometric":
            if rig is not None:
                return _render_rigged(image, track, out, rig, args.relative)
            # one photo: its detected face is cached, so editing it again skips MediaPipe
            renderer = cached_photo_renderer(image, args.face_index, relative=args.relative)
            return write_rendered(renderer, track, out, args.audio)
        if args.face_index != 0:
            raise ImageError("--face-index works with the geometric renderer only (generators take the largest face)")
        return _render_generator(image, track, out, args, sentence)
    except NoFaceError:
        raise NoFaceError(f"no face found in {photo_name}") from None


def _render_rigged(image, track, out: Path, rig, relative: bool) -> Path:
    """A batch image: the first frame of ``track`` on ``image`` with its ready rig, written to ``out``."""
    return write_image(next(reexpress(image, track, rig=rig, relative=relative)), out)


def _render_generator(image, track, out: Path, args: argparse.Namespace, sentence: str | None) -> Path:
    """GANimation / FESN: one generator pass per distinct frame; FESN is conditioned on the sentence's features
    (a still's own words, or describe() of each frame's AUs)."""
    condition = None
    if args.renderer == "fesn":
        condition = encoder.fesn_conditioning(sentence if track.n_frames == 1 else None)
    return write_rendered(gan.generator_renderer(image, args.renderer, args.weights, condition), track, out,
                          args.audio)


# ------------------------------------------------------------------------------------------------ batch
def read_expressions(path: Path) -> list[Expression]:
    """Lines of an expressions file → their Expressions (label, AUs, one-sided AUs, sentence or None).

    A line is an AU spec ("AU12=3,AU6=2"), an emotion ("happiness" or "happiness:4"), or a sentence read by
    ``facsynth.language.parse.parse`` (facsynth.augment.spec.parse_spec, less its random lines, which need
    ``facsynth augment``). Blank lines and "#" comments are skipped.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise FormatError(f"cannot read expressions file {path}: {e}") from None
    spec = parse_spec(text, path.name)
    if any(e.pool for e in spec):
        raise AUSpecError(f"{path.name}: random expressions are drawn per photo by facsynth augment, not edit")
    return spec


def _run_batch(args: argparse.Namespace) -> int:
    """Photos of a folder × expressions of a list → images in OUTDIR and OUTDIR/manifest.csv (resumable)."""
    folder: Path = args.photo
    if not folder.is_dir():
        raise ImageError(f"{folder} is not a folder (--expressions makes a data set from a folder of photos)")
    photos = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    if not photos:
        raise ImageError(f"no photos ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    expressions = read_expressions(args.expressions)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.csv"
    header = ["file", "photo", "expression", "aus", "sentence"]
    kept: list[dict] = []
    if manifest.is_file():
        with open(manifest, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        kept = [r for r in rows if r.get("file") and (out / r["file"]).is_file()]
        if len(kept) != len(rows):                                   # drop rows whose image is gone
            with atomic_write(manifest, newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, header, extrasaction="ignore")
                w.writeheader()
                w.writerows(kept)
    done = {r["file"] for r in kept}
    new = not manifest.is_file() or manifest.stat().st_size == 0
    skipped, written = [], 0
    with open(manifest, "a", newline="", encoding="utf-8") as fh, \
            tqdm.tqdm(total=len(photos) * len(expressions), desc="edit", unit="image") as bar:
        writer = csv.writer(fh)
        if new:
            writer.writerow(header)
        for photo in photos:
            names = [f"{photo.stem}_{j:03d}.png" for j in range(len(expressions))]
            if all(n in done for n in names):
                bar.update(len(names))
                continue
            try:
                image = read_image(photo)
                rig = rig_photo(image, args.face_index) if args.renderer == "geometric" else None
            except (NoFaceError, ImageError) as e:
                skipped.append(f"{photo.name}: {e}")
                bar.update(len(names))
                continue
            for name, expression in zip(names, expressions):
                if name not in done:
                    line, aus = expression.label, dict(expression.aus)
                    sentence = expression.sentence or describe(aus, seed=0)
                    still = AUTrack.still(aus, sides=expression.sides)
                    try:
                        _render(image, still, out / name, args, sentence, photo_name=photo.name, rig=rig)
                    except (ImageError, ModelError) as e:  # no face here, or an AU the generator was not taught
                        skipped.append(f"{photo.name} × {line!r}: {e}")
                        bar.update(1)
                        continue
                    writer.writerow([name, photo.name, line, format_au_spec(aus), sentence])
                    fh.flush()
                    written += 1
                bar.update(1)
    for msg in skipped:
        print(f"skipped {msg}", file=sys.stderr)
    print(f"wrote {written} images to {out}/ ({len(done)} already there); manifest {manifest}")
    return 0


# ------------------------------------------------------------------------------------------------ demo
def demo(out: Path) -> list[Path]:
    """A sentence and two emotions on NASA's portrait of Eileen Collins (skimage.data.astronaut), and a 2 s MP4."""
    image = np.ascontiguousarray(skimage_data.astronaut())
    rig = rig_photo(image)
    stills = {
        "sentence": parse("She raises her eyebrows slightly and opens her mouth wide."),
        "happiness": emotion_aus("happiness", 4),
        "surprise": emotion_aus("surprise", 4),
        "sadness": emotion_aus("sadness", 4),
    }
    files = []
    for name, aus in stills.items():
        files.append(write_image(next(reexpress(image, AUTrack.still(aus), rig=rig)), out / f"photo_{name}.png"))
    a, b = AUTrack.still(stills["happiness"]), AUTrack.still(stills["surprise"])
    cols = sorted(set(a.aus) | set(b.aus))
    a, b = a.with_aus(cols).values, b.with_aus(cols).values
    ramp = np.concatenate([np.linspace(0, 1, 20), np.ones(10), np.linspace(1, 0, 15)])[:, None]
    frames = np.concatenate([ramp * a, ramp * b])
    track = AUTrack(frames.astype(np.float32), tuple(cols), 30)
    files.append(write_mp4(reexpress(image, track, rig=rig), out / "photo_expressions.mp4", track.fps))
    return files
