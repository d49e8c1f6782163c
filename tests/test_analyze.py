"""AU analysis from landmarks: round trip through the photo renderer, videos, and the neutral reference."""

from __future__ import annotations

import numpy as np
import pytest

from facsynth.errors import NoFaceError
from facsynth.face.analyze import align_to, analyze, analyze_file, fit_aus
from facsynth.face.model import deform
from facsynth.facs import OPENFACE_AUS
from facsynth.render.photo import expression_renderer, reexpress, render_frame
from facsynth.track import AUTrack


def test_fit_recovers_model_intensities_without_detection(rig):
    neutral = rig.face.normalised()
    truth = {12: 3.0, 6: 2.0, 1: 1.5, 26: 2.5, 15: 0.0}
    moved = deform(neutral, truth)
    rot = np.array([[0.98, -0.2, 0], [0.2, 0.98, 0], [0, 0, 1]])
    est = fit_aus(moved @ rot.T * 1.1 + 0.3, neutral)                      # pose and scale are removed first
    err = [abs(e - truth.get(au, 0.0)) for au, e in zip(OPENFACE_AUS, est)]
    assert max(err) < 0.6 and np.mean(err) < 0.15, dict(zip(OPENFACE_AUS, err))


def test_align_to_undoes_a_similarity():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(478, 3))
    c, s = np.cos(0.3), np.sin(0.3)
    moved = ref @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T * 2.0 + 5.0
    assert np.abs(align_to(moved, ref) - ref).max() < 1e-9


def test_round_trip_edit_then_analyze(hopper, rig):
    cases = [{12: 3.0, 6: 2.0}, {1: 3.0, 2: 3.0, 5: 2.0}, {26: 3.0, 25: 2.0}, {4: 3.0, 15: 2.5}, {20: 3.0, 17: 2.0}]
    errors = []
    for aus in cases:
        est = analyze(render_frame(hopper, rig, aus), neutral=hopper, render=expression_renderer).frame(0, nonzero=False)
        errors.append(np.mean([abs(est[a] - aus.get(a, 0.0)) for a in OPENFACE_AUS]))
    assert np.mean(errors) <= 0.75, errors


def test_video_track_follows_the_expression(hopper, rig, tmp_path):
    from facsynth.render.video import write_mp4

    ramp = np.r_[np.zeros(3), np.linspace(0, 4, 5), np.full(3, 4.0), np.linspace(4, 0, 4)].astype(np.float32)
    track = AUTrack(np.stack([ramp, ramp * 0.8], axis=1), (26, 25), 15)
    path = write_mp4(reexpress(hopper, track, rig=rig), tmp_path / "clip.mp4", track.fps)
    got = analyze_file(path, neutral=0)
    assert got.n_frames == track.n_frames and abs(got.fps - 15) < 0.01
    jaw = got.curve(26) + got.curve(25)
    assert np.corrcoef(jaw, ramp)[0, 1] > 0.85
    assert jaw[8] > jaw[0] + 1.5


def test_no_face_anywhere_raises(tmp_path):
    with pytest.raises(NoFaceError):
        analyze(np.full((128, 128, 3), 90, np.uint8))


def test_round_trip_reads_the_asked_for_aus(hopper, rig):
    """Over only the AUs asked for, the analyser must beat answering zeros by far (mean target 2.6 here).

    Before the detector's own AU response was measured on the neutral photo, the muscle model's basis was fitted
    to MediaPipe landmarks that move about half as far: mean 1.38 on these mixes (now ≈ 1.0).
    """
    cases = [{12: 3.0, 6: 2.0}, {1: 3.0, 2: 3.0, 5: 2.0}, {26: 3.0, 25: 2.0}, {4: 3.0, 15: 2.5}, {20: 3.0, 17: 2.0}]
    active, target = [], []
    for aus in cases:
        est = analyze(render_frame(hopper, rig, aus), neutral=hopper, render=expression_renderer).frame(0, nonzero=False)
        active.append(np.mean([abs(est[a] - v) for a, v in aus.items()]))
        target.append(np.mean(list(aus.values())))
    assert np.mean(active) <= 1.2 and np.mean(active) < 0.5 * np.mean(target), (active, target)
