"""AUTrack core: OpenFace CSV round trip and resampling of a 60 s track."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from facsynth.formats import read_track, write_track
from facsynth.track import AUTrack


def run():
    rng = np.random.default_rng(0)
    track = AUTrack(rng.uniform(0, 5, (1800, 17)).astype(np.float32), fps=30)
    out = []
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t.csv"
        t0 = time.perf_counter()
        write_track(track, path)
        back = read_track(path)
        out.append(("OpenFace CSV write+read, 60 s at 30 fps", time.perf_counter() - t0, "s", "-"))
        assert back.n_frames == track.n_frames
    t0 = time.perf_counter()
    track.resample(60).smooth(0.05)
    out.append(("resample 30→60 fps + smooth, 60 s track", (time.perf_counter() - t0) * 1e3, "ms", "-"))
    return out
