"""Face model: mesh evaluation per frame, 60 s track → .glb, preview rendering speed, landmark detection."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from facsynth.face.model import basis_for, default_face, deform
from facsynth.facs import ALL_AUS
from facsynth.track import AUTrack


def _best(fn, repeat: int, rounds: int = 5) -> tuple[float, float]:
    """(best wall seconds per call, CPU seconds per call of that round) over ``rounds`` rounds."""
    best = (float("inf"), float("inf"))
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(repeat):
            fn()
        wall, cpu = (time.perf_counter() - t0) / repeat, (time.process_time() - c0) / repeat
        best = min(best, (wall, cpu))
    return best


def run():
    out = []
    rng = np.random.default_rng(0)
    neutral = default_face().vertices
    basis = basis_for(neutral)
    one = rng.uniform(0, 5, (1, len(ALL_AUS))).astype(np.float32)
    wall, cpu = _best(lambda: basis.apply(one, ALL_AUS), 500)
    out.append(("mesh eval, 1 frame, all 24 AUs (AUBasis.apply), wall", wall * 1e3, "ms/frame", "<= 0.2"))
    out.append(("mesh eval, 1 frame, all 24 AUs (AUBasis.apply), CPU", cpu * 1e3, "ms/frame", "<= 0.2"))
    wall, _ = _best(lambda: deform(neutral, one[0], ALL_AUS), 500)
    out.append(("mesh eval, 1 frame, all 24 AUs (deform, checks incl.)", wall * 1e3, "ms/frame", "-"))
    batch = rng.uniform(0, 5, (1800, len(ALL_AUS))).astype(np.float32)
    wall, _ = _best(lambda: basis.apply(batch, ALL_AUS), 1, rounds=3)
    out.append(("mesh eval, 60 s track at 30 fps in one call", wall / 1800 * 1e3, "ms/frame", "<= 0.2"))

    from facsynth.face.morphs import face_mesh
    from facsynth.formats.gltf import write_glb

    track = AUTrack(rng.uniform(0, 5, (1800, 17)).astype(np.float32), fps=30)
    with tempfile.TemporaryDirectory() as d:  # the mesh (24 AU targets) is built inside the timing, as the CLI does
        wall, _ = _best(lambda: write_glb(track, Path(d) / "t.glb", mesh=face_mesh()), 1, rounds=3)
        out.append(("60 s track at 30 fps → .glb (17 morph targets)", wall, "s", "<= 2"))
        out.append((".glb size", (Path(d) / "t.glb").stat().st_size / 1e6, "MB", "-"))

    from facsynth.render.preview import Rasterizer

    raster = Rasterizer(size=512)
    verts = deform(neutral, {1: 3, 2: 3, 5: 2, 12: 3, 26: 3})
    wall, cpu = _best(lambda: raster.render(verts), 20)
    out.append(("preview render 512×512, one core (wall clock)", 1 / wall, "frames/s", ">= 30"))
    out.append(("preview render 512×512, one core (CPU time)", 1 / cpu, "frames/s", ">= 30"))

    from facsynth.render.preview import render_frames
    from facsynth.render.video import write_mp4

    clip = AUTrack(np.linspace(0, 4, 90, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32), (1, 12, 26))
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        write_mp4(render_frames(clip, size=512), Path(d) / "c.mp4", fps=30)
        out.append(("3 s preview → MP4 512×512 (render + H.264)", time.perf_counter() - t0, "s", "-"))

    import skimage.data

    from facsynth.face.landmarks import detect_faces

    img = skimage.data.astronaut()
    detect_faces(img)
    wall, _ = _best(lambda: detect_faces(img), 5, rounds=3)
    out.append(("MediaPipe landmarks, 512×512 photo", wall * 1e3, "ms", "-"))
    return out
