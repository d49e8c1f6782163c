"""The rendered lip gap, re-detected, follows the asked one on faces whose lips part at rest and on closed ones."""

from __future__ import annotations

import numpy as np
import pytest

from facsynth.face.landmarks import detect_faces
from facsynth.formats.image import read_image
from facsynth.render.photo import expressed_landmarks, movement, render_frame, rig_photo

OPENINGS = (0.5, 1.0, 2.0, 3.0)           # AU25 = AU26 = this, the range a talking track uses


def _gap(points: np.ndarray) -> float:
    """Inner-lip gap (points 13–14) over the outer eye-corner distance (33–263), as the talking benchmark reads
    it."""
    p = np.asarray(points, np.float64)[:, :2]
    return float(np.linalg.norm(p[13] - p[14]) / np.linalg.norm(p[33] - p[263]))


@pytest.fixture(scope="module", params=("grid_lbbc2a_rest.png", "grid_bbaf2n_rest.png"))
def face(request, shared_data):
    image = read_image(shared_data / "faces" / request.param)
    return request.param, image, rig_photo(image)


def test_asked_closed_reads_closed_on_a_face_with_parted_lips(shared_data):
    """lbbc2a's first frame parts its lips (0.08 IOD); closed by the target, the teeth and dark inside squeezed
    onto the red of the lips read as a gap of 0.028 until the line where they meet was mended (0.005 after)."""
    image = read_image(shared_data / "faces" / "grid_lbbc2a_rest.png")
    rig = rig_photo(image)
    assert _gap(detect_faces(image)[0].landmarks) > 0.05
    assert _gap(detect_faces(render_frame(image, rig, {}))[0].landmarks) < 0.012


def test_the_gap_grows_with_the_jaw_and_reads_as_drawn(face):
    """Re-detected gap rises with AU25/26 and, once the teeth show (AU25/26 ≥ 2), stays within 20 % of the gap
    the landmarks were moved to."""
    name, image, rig = face
    seen, drawn = [], []
    for v in OPENINGS:
        aus = {25: v, 26: v}
        seen.append(_gap(detect_faces(render_frame(image, rig, aus))[0].landmarks))
        drawn.append(_gap(expressed_landmarks(rig, movement(rig, aus))))
    assert np.all(np.diff(seen) > 0), (name, seen)
    assert np.all(np.abs(np.array(seen[2:]) / np.array(drawn[2:]) - 1) < 0.2), (name, seen, drawn)
