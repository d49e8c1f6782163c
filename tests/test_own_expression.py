"""Absolute targets: the expression a photo already wears is read, and taken away where the target says so."""

from __future__ import annotations

import numpy as np
import pytest

from facsynth.face.landmarks import detect_faces, to_face_frame
from facsynth.face.model import basis_for, default_face
from facsynth.face.own_expression import DEAD_ZONE, expression_measures, own_expression
from facsynth.facs import emotion_aus
from facsynth.formats.image import read_image
from facsynth.render.photo import expressed_landmarks, movement, render_frame, rig_photo

NEUTRAL = ("grace_hopper_512x512.jpg", "grid_bbaf2n_rest.png")


def _measures(image: np.ndarray) -> np.ndarray:
    """Lip gap, mouth width, corner height above the mouth's centre, eye opening of the re-detected face (IOD)."""
    p = detect_faces(image)[0].normalised()
    m = expression_measures(p)
    m[2] = (p[61, 1] + p[291, 1]) / 2 - (p[13, 1] + p[14, 1]) / 2
    return m


@pytest.fixture(scope="module")
def obama(shared_data):
    image = read_image(shared_data / "faces" / "obama_official_portrait.jpg")
    return image, rig_photo(image)


@pytest.fixture(scope="module")
def parted(shared_data):
    image = read_image(shared_data / "faces" / "grid_id2_vcd_swwp2s_rest.png")   # lips parted at rest
    return image, rig_photo(image)


@pytest.mark.parametrize("name", NEUTRAL)
def test_a_neutral_photo_wears_no_expression(shared_data, name):
    shape = detect_faces(read_image(shared_data / "faces" / name))[0].normalised()
    assert own_expression(shape, basis_for(shape), default_face().vertices) == {}


def test_a_smiling_photo_reads_as_a_smile_with_parted_lips(obama):
    own = obama[1].own
    assert own.get(12, 0) >= 2.0 and own.get(25, 0) + own.get(26, 0) >= 2.0, own


def test_the_muscle_model_own_smile_is_read_back():
    """A smile the face model itself makes on the neutral face is read as AU12 of about that strength."""
    ref = default_face().vertices
    smiling = basis_for(ref).apply(np.array([[4.0, 3.0]], np.float32), (12, 25))[0]
    own = own_expression(smiling, basis_for(smiling), ref)
    assert 2.5 <= own.get(12, 0) <= 5.0, own


def test_a_smiling_photo_asked_for_sadness_does_not_smile(obama):
    image, rig = obama
    before = _measures(image)
    sad = _measures(render_frame(image, rig, emotion_aus("sadness", 4)))
    relative = _measures(render_frame(image, rig, emotion_aus("sadness", 4), relative=True))
    assert sad[1] < before[1] - 0.15            # the mouth is no longer stretched wide
    assert sad[2] < before[2] - 0.05            # the corners are lower than in the smile
    assert sad[0] < 0.05                        # the lips close
    assert sad[1] < relative[1] - 0.1           # the additive mode keeps the photo's smile


def test_a_smile_taken_away_leaves_the_corners_where_a_neutral_face_has_them(obama):
    """The neutral target of a smiling portrait takes the smile away without pulling the lip corners below the
    mouth's centre further than a neutral face has them (shipped face −0.013 IOD, neutral faces down to −0.055):
    a gain of 1.5 on the read smile put them at −0.085 (face model landmarks, no detector). Heights from the
    middle of the mouth (between the inner lips' centres): the photo's lips part, the target's meet, and where they
    meet is not where the photo's upper lip is."""
    image, rig = obama
    points = np.array(rig.face.landmarks, np.float64)
    points[:, :2] = expressed_landmarks(rig, movement(rig, {}))
    corners = _corner_height(to_face_frame(points.astype(np.float32), rig.face.pose))
    assert _corner_height(rig.face.normalised()) - corners > 0.03, corners   # the smile went
    assert corners > _corner_height(default_face().vertices) - 2 * DEAD_ZONE[2], corners


def _corner_height(p: np.ndarray) -> float:
    """How far the lip corners lie above the middle of the mouth (face frame, y up; IOD)."""
    return float((p[61, 1] + p[291, 1]) / 2 - (p[13, 1] + p[14, 1]) / 2)


def test_parted_lips_close_for_a_neutral_target(parted):
    image, rig = parted
    assert _measures(image)[0] > 0.1
    assert _measures(render_frame(image, rig, {}))[0] < 0.04
    assert _measures(render_frame(image, rig, {}, relative=True))[0] > 0.1   # --relative keeps today's face


def test_the_mouth_opens_the_same_from_parted_and_closed_rest(parted, shared_data):
    """A talking track opens the mouth by about as much whatever the first frame's lips did."""
    closed = read_image(shared_data / "faces" / "grid_bbaf2n_rest.png")
    gaps = []
    for image, rig in (parted, (closed, rig_photo(closed))):
        gaps.append([_measures(render_frame(image, rig, aus))[0] for aus in ({}, {25: 3.0, 26: 3.0})])
    (p0, p3), (c0, c3) = gaps
    assert p0 < 0.05 and c0 < 0.05
    assert p3 > 0.08 and c3 > 0.08
    assert abs(p3 - c3) < 0.5 * max(p3, c3)


def test_lip_closure_closes_every_pair_without_pressing(parted):
    """Taking the photo's own opening away and adding the closure leaves every inner-lip pair just touching:
    no pair stays open (the sides of an open mouth) and the basis was not pushed past first contact."""
    from facsynth.face.own_expression import lip_closure
    from facsynth.face.topology import LOWER_LIP_INNER, UPPER_LIP_INNER

    rig = parted[1]
    aus = tuple(rig.own)
    p = rig.basis.apply(-np.array([[rig.own[a] for a in aus]], np.float32), aus)[0] + rig.closure
    gap = p[list(UPPER_LIP_INNER[1:-1]), 1] - p[list(LOWER_LIP_INNER[1:-1]), 1]
    assert np.all(np.abs(gap) < 0.006), gap
    again, fix = lip_closure(rig.basis, dict(rig.own))
    assert all(abs(again[a] - rig.own[a]) < 0.05 for a in rig.own)               # a fixed point, up to rounding
    assert np.allclose(fix, rig.closure, atol=2e-3)


@pytest.mark.parametrize("opening", [1.0, 2.0, 3.0])
def test_the_asked_gap_is_the_same_from_parted_and_closed_rest(parted, shared_data, opening):
    """The lip gap a track asks for (face model, before any re-detection) is the same function of AU25/26 on a
    face whose first frame shows parted lips as on one whose lips are closed: within 15 %."""
    from facsynth.render.photo import expressed_landmarks, movement

    closed = read_image(shared_data / "faces" / "grid_bbaf2n_rest.png")
    gaps = []
    for rig in (parted[1], rig_photo(closed)):
        lm = expressed_landmarks(rig, movement(rig, {25: opening, 26: opening / 2}))
        gaps.append(np.linalg.norm(lm[13] - lm[14]) / np.linalg.norm(lm[33] - lm[263]))
    assert gaps[1] > 0.02 * opening
    assert abs(gaps[0] - gaps[1]) < 0.15 * gaps[1], gaps


def test_bounded_lstsq_matches_scipy():
    """The small exact bounded least squares gives scipy's optimum (cost) on random 4×4 problems."""
    from scipy.optimize import lsq_linear

    from facsynth.face.own_expression import bounded_lstsq

    rng = np.random.default_rng(1)
    for _ in range(50):
        a, b = rng.normal(size=(4, 4)), rng.normal(size=4) * 3
        x = bounded_lstsq(a, b, 0.0, 5.0)
        assert np.all(x >= 0) and np.all(x <= 5)
        ref = lsq_linear(a, b, bounds=(0.0, 5.0)).x
        assert np.sum((a @ x - b) ** 2) <= np.sum((a @ ref - b) ** 2) + 1e-9


def test_parted_lips_close_over_the_photos_jaw(parted):
    """A neutral target closes id2's parted lips (0.20 IOD at rest) mostly by the lips, not by raising the jaw: the
    chin and the jaw line stay within 0.03 IOD of where the photo has them (taking the AU26 read from the gap away
    raised them 0.073 IOD and shortened the face; dlib put that neutral render 0.25 from the photo), the lower lip
    rises more than the upper lip comes down, and the red of each lip keeps the photo's height."""
    from facsynth.face.topology import LOWER_LIP_INNER, LOWER_LIP_OUTER, UPPER_LIP_INNER, UPPER_LIP_OUTER

    image, rig = parted
    iod = float(np.linalg.norm(rig.vertices[33] - rig.vertices[263]))
    moved = expressed_landmarks(rig, movement(rig, {}))
    photo = rig.vertices[:len(moved)]
    jaw = [152, 148, 377, 176, 400, 150, 379]                      # chin and the jaw line beside it
    assert np.abs(moved[jaw] - photo[jaw]).max() / iod < 0.03
    mid = slice(3, -3)
    up_in, lo_in = np.asarray(UPPER_LIP_INNER[mid]), np.asarray(LOWER_LIP_INNER[mid])
    assert np.abs(moved[up_in, 1] - moved[lo_in, 1]).max() / iod < 0.01           # the lips meet
    lower_rise = np.mean(photo[lo_in, 1] - moved[lo_in, 1])
    upper_drop = np.mean(moved[up_in, 1] - photo[up_in, 1])
    assert lower_rise > 2 * upper_drop > 0
    for inner, outer in ((UPPER_LIP_INNER, UPPER_LIP_OUTER), (LOWER_LIP_INNER, LOWER_LIP_OUTER)):
        i, o = np.asarray(inner[mid]), np.asarray(outer[mid])
        assert np.abs(moved[i, 1] - moved[o, 1]).mean() > np.abs(photo[i, 1] - photo[o, 1]).mean() - 0.005 * iod
