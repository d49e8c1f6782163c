"""facsynth augment throughput: images/s in one process vs a local Ray cluster of 1 and 2 workers, per-image cost.

The same 8 photos (256 px, made from ../shared/data/faces) × 4 expressions (32 images) each way, identity distance
off (dlib would double the cost; it is measured separately as one descriptor's time). Ray: the local cluster is
started and its workers warmed on 2 photos first (reported as the start-up cost), then the 8 photos are timed.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from facsynth.augment import augment, parse_emotions

FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"
N_PHOTOS = 8
SPEC = "happiness:4,surprise:4,sadness:4,anger:4"


def _photos(folder: Path) -> Path:
    """N_PHOTOS photos (the public faces and their mirror images, longest side 256 px) in ``folder``."""
    from PIL import Image, ImageOps

    folder.mkdir(parents=True, exist_ok=True)
    made = 0
    for flip in (False, True):
        for f in sorted(FACES.iterdir()):
            if made == N_PHOTOS:
                return folder
            im = Image.open(f).convert("RGB")
            im = ImageOps.mirror(im) if flip else im
            im.thumbnail((256, 256))
            im.save(folder / f"{f.stem}_{int(flip)}.png")
            made += 1
    return folder


def _timed(photos: Path, out: Path, **kw) -> float:
    t = time.perf_counter()
    r = augment(photos, parse_emotions(SPEC), out, identity=False, progress=False, **kw)
    assert r.ok == r.rows, r
    return time.perf_counter() - t


def _ray_rates(photos: Path, tmp: Path, workers: int) -> tuple[float, float, float]:
    """(seconds to start a local cluster and warm its workers on 2 photos, images/s on the 8 photos once warm,
    images/s of the whole cold run as a user sees it)."""
    import ray

    t = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        warm = tmp / f"warm{workers}"
        warm.mkdir()
        for p in sorted(photos.iterdir())[:2]:
            (warm / p.name).write_bytes(p.read_bytes())
        augment(warm, parse_emotions(SPEC), tmp / f"warm{workers}_out", identity=False, progress=False)
        start = time.perf_counter() - t
        steady = _timed(photos, tmp / f"ray{workers}")
    finally:
        ray.shutdown()
    n = N_PHOTOS * 4
    return start, n / steady, (n + 8) / (start + steady)


def run() -> list[tuple[str, float, str, str]]:
    from facsynth.face.identity import available, face_descriptor
    from facsynth.formats.image import read_image

    n = N_PHOTOS * 4
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photos = _photos(tmp / "photos")
        _timed(photos, tmp / "warm", use_ray=False)                    # models loaded, caches warm
        single = _timed(photos, tmp / "single", use_ray=False)
        start1, rate1, cold1 = _ray_rates(photos, tmp, 1)
        start2, rate2, cold2 = _ray_rates(photos, tmp, 2)
        dlib = float("nan")
        if available():
            img = read_image(next(photos.iterdir()))
            face_descriptor(img)
            t = time.perf_counter()
            for _ in range(5):
                face_descriptor(img)
            dlib = (time.perf_counter() - t) / 5
    return [
        ("augment, one process (8 photos x 4, 256 px)", n / single, "images/s", "baseline"),
        ("augment, one process: cost per image (rig shared)", single / n, "s/image", "paper calc in docs"),
        ("augment, Ray local 1 worker, warm", rate1, "images/s", "~ one process"),
        ("augment, Ray local 2 workers, warm", rate2, "images/s", "> 1 worker"),
        ("augment, Ray 2 workers / 1 worker (warm)", rate2 / rate1, "ratio", "-> 2 on 2 free cores"),
        ("augment, Ray 2 workers / one process (warm)", rate2 * single / n, "ratio", "> 1 when cores are free"),
        ("Ray local cluster start + worker warm-up, 1 worker", start1, "s", "once per run"),
        ("Ray local cluster start + worker warm-up, 2 workers", start2, "s", "once per run"),
        ("augment, Ray 2 workers, cold run incl. start (40 images)", cold2, "images/s", "startup-bound"),
        ("identity distance: one dlib descriptor (256 px)", dlib, "s", "1 per image + 1 per photo"),
    ]
