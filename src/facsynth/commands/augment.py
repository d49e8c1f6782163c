"""``facsynth augment``: expression data sets at scale: photos × expressions → images + labels table, on Ray."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..augment import augment, parse_emotions, parse_spec
from ..augment.talking import augment_talking
from ..errors import AUSpecError, FormatError, LimitError

NAME = "augment"
HELP = "make an expression data set: photos × expressions → images + labels.parquet/.csv (Ray when installed)"
DESCRIPTION = """Give every photo of a folder (or manifest) the expressions of a spec, with exact AU labels.

  facsynth augment photos/ --emotions happiness:4,surprise:4 -o out/
  facsynth augment photos/ --spec spec.txt -o out/ --seed 1
  facsynth augment s3://bucket/faces/ --spec spec.txt -o s3://bucket/aug/ --address auto
  facsynth augment faces/ --talking clips/ -o videos/                 (faces × speech clips → talking videos)

A spec has one expression per line: an AU spec ("AU12=3,AU6=2"), an emotion ("happiness:4"), a sentence
("she raises her brows slightly"), or "random [N] [AU list]" (N expressions of 1-3 random AUs each, sampled from
--seed and the photo's name, so reproducible per photo); "#" starts a comment.
Output: OUT/images/<photo>_<k>.png and OUT/labels.parquet + OUT/labels.csv, one row per item with a status
("ok" or the error). The run resumes where a killed one stopped; running it again changes nothing.
Ray (pip install 'facsynth[ray]') runs one task per photo on a local cluster of --workers CPUs, or on the
cluster at --address; without Ray the photos are done in this process, with the same output.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("photos", help="folder of photos, or a manifest (one photo path or URL per line); "
                                  "paths or fsspec URLs")
    what = p.add_argument_group("what to render (one or both)")
    what.add_argument("--spec", type=Path, metavar="FILE", help="spec file, one expression per line")
    what.add_argument("--emotions", metavar="LIST", help='emotions with intensities: "happiness:4,surprise:4"')
    what.add_argument("--talking", metavar="CLIPS",
                      help="talking videos instead: a folder of speech clips; every face says every clip "
                           "(OUT/videos/*.mp4, OUT/tracks/<clip>.csv)")
    p.add_argument("-o", "--out", required=True, help="output folder (path or fsspec URL)")
    p.add_argument("--seed", type=int, default=0, help="seed of random expressions and sentences (default 0)")
    p.add_argument("--relative", action="store_true",
                   help="add the AUs to each photo's own expression (default: the AUs are the target state)")
    p.add_argument("--face-index", type=int, default=0, metavar="N", help="which face, by size (0 = largest)")
    p.add_argument("--no-identity", action="store_true", help="skip the identity distance (dlib) column")
    run = p.add_argument_group("where it runs")
    run.add_argument("--workers", type=int, metavar="N", help="CPUs of the local Ray cluster (default: all)")
    run.add_argument("--address", metavar="ADDR", help='join this Ray cluster ("auto", "127.0.0.1:6379", …)')
    run.add_argument("--no-ray", action="store_true", help="run in this process even if Ray is installed")


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise LimitError(f"--workers is {args.workers}: it must be at least 1")
    use_ray = False if args.no_ray else None
    if args.talking is not None:
        if args.spec is not None or args.emotions is not None:
            raise AUSpecError("--talking makes videos from speech: give it without --spec / --emotions")
        result = augment_talking(args.photos, args.talking, args.out, workers=args.workers, address=args.address,
                                 use_ray=use_ray, face_index=args.face_index)
        _report(result)
        return 0
    if args.spec is None and args.emotions is None:
        raise AUSpecError("say what to render: --spec FILE and/or --emotions happiness:4,surprise:4 "
                          "(or --talking CLIPS)")
    expressions = []
    if args.spec is not None:
        try:
            text = args.spec.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise FormatError(f"cannot read spec file {args.spec}: {e}") from None
        expressions += parse_spec(text, args.spec.name)
    if args.emotions is not None:
        expressions += parse_emotions(args.emotions)
    result = augment(args.photos, expressions, args.out, seed=args.seed, workers=args.workers,
                     address=args.address, use_ray=use_ray,
                     identity=not args.no_identity, relative=args.relative, face_index=args.face_index)
    if not result.identity and not args.no_identity:
        print("facsynth: note: identity_distance is empty: install the identity extra (pip install "
              "'facsynth[identity]') to measure it", file=sys.stderr)
    _report(result)
    return 0


def _report(result) -> None:
    """One line: the table, its rows, what this run did."""
    failed = result.rows - result.ok
    print(f"{result.labels}: {result.rows} rows, {result.ok} ok, {failed} failed; {result.rendered} photos done "
          f"now ({result.backend}), {result.skipped} already done")
