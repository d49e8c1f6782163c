"""The muscle-based AU basis: per-AU directions on several real faces, monotonicity, locality, constraints."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from facsynth.errors import AUSpecError, TrackError
from facsynth.face.landmarks import detect_faces
from facsynth.face.model import basis_for, default_face, deform
from facsynth.face.topology import (LEFT_LOWER_LID, LEFT_UPPER_LID, LOWER_LIP_INNER, RIGHT_LOWER_LID,
                                    RIGHT_UPPER_LID, UPPER_LIP_INNER, boundary_loops)
from facsynth.facs import ALL_AUS
from facsynth.track import AUTrack

PHOTOS = ("grace_hopper_512x512.jpg", "grid_bbaf2n_rest.png", "grid_lbbc2a_rest.png", "obama_official_portrait.jpg")


@pytest.fixture(scope="module")
def faces(shared_data):
    """Neutral shapes in the face frame: the shipped default and the landmarks of real photos."""
    out = {"default": default_face().vertices}
    for name in PHOTOS:
        img = np.array(Image.open(shared_data / "faces" / name).convert("RGB"))
        out[name] = detect_faces(img)[0].normalised()
    return out


def _y(v, i):
    return v[..., i, 1]


def _width(v):
    return np.abs(v[..., 291, 0] - v[..., 61, 0])


# AU → measure of the expected movement; it must be > 0 and grow with intensity
EXPECT = {
    1: lambda v, n: (_y(v, 107) - _y(n, 107)) + (_y(v, 336) - _y(n, 336)),          # inner brows up
    2: lambda v, n: (_y(v, 70) - _y(n, 70)) + (_y(v, 300) - _y(n, 300)),            # outer brows up
    4: lambda v, n: np.minimum(_y(n, 107) - _y(v, 107),                               # inner brows down …
                               np.abs(n[..., 336, 0] - n[..., 107, 0]) - np.abs(v[..., 336, 0] - v[..., 107, 0])),
    5: lambda v, n: (_y(v, 159) - _y(n, 159)) + (_y(v, 386) - _y(n, 386)),          # upper lids up
    6: lambda v, n: np.minimum(_y(v, 50) - _y(n, 50), _y(v, 145) - _y(n, 145)),     # cheeks and lower lids up
    7: lambda v, n: (_y(v, 145) - _y(n, 145)) + (_y(v, 374) - _y(n, 374)),          # lower lids up
    9: lambda v, n: (_y(v, 129) - _y(n, 129)) + (_y(v, 358) - _y(n, 358)),          # nose wings up
    10: lambda v, n: np.minimum(_y(v, 0) - _y(n, 0), _y(v, 37) - _y(n, 37)),        # upper lip up
    12: lambda v, n: np.minimum(_y(v, 61) - _y(n, 61), _width(v) - _width(n)),      # corners up and out
    14: lambda v, n: np.minimum(_width(v) - _width(n), n[..., 61, 2] - v[..., 61, 2]),  # corners out and back
    15: lambda v, n: (_y(n, 61) - _y(v, 61)) + (_y(n, 291) - _y(v, 291)),           # corners down
    16: lambda v, n: (_y(n, 84) - _y(v, 84)) + (_y(n, 314) - _y(v, 314)),           # lower lip down
    17: lambda v, n: np.minimum(_y(v, 200) - _y(n, 200), _y(v, 17) - _y(n, 17)),    # chin boss and lower lip up
    18: lambda v, n: np.minimum(_width(n) - _width(v), v[..., 0, 2] - n[..., 0, 2]),  # narrower, forward
    20: lambda v, n: _width(v) - _width(n),                                           # stretched sideways
    22: lambda v, n: np.minimum(v[..., 0, 2] - n[..., 0, 2],                          # forward and flared
                                (_y(v, 0) - _y(v, 17)) - (_y(n, 0) - _y(n, 17))),
    23: lambda v, n: (_y(n, 0) - _y(n, 17)) - (_y(v, 0) - _y(v, 17)),               # thinner lips
    24: lambda v, n: (_y(n, 0) - _y(n, 17)) - (_y(v, 0) - _y(v, 17)),               # lips pressed
    25: lambda v, n: (_y(v, 13) - _y(v, 14)) - (_y(n, 13) - _y(n, 14)),             # lips apart
    26: lambda v, n: np.minimum(_y(n, 152) - _y(v, 152), (_y(v, 13) - _y(v, 14)) - (_y(n, 13) - _y(n, 14))),
    27: lambda v, n: _y(n, 152) - _y(v, 152),                                         # chin far down
    28: lambda v, n: (n[..., 0, 2] - v[..., 0, 2]) + (n[..., 17, 2] - v[..., 17, 2]),  # lips drawn in
    43: lambda v, n: (_y(n, 159) - _y(v, 159)) + (_y(n, 386) - _y(v, 386)),         # upper lids down
    45: lambda v, n: (_y(n, 159) - _y(v, 159)) + (_y(n, 386) - _y(v, 386)),
}
UPPER = {1, 2, 4, 5, 7, 43, 45}
LOWER = {10, 12, 14, 15, 16, 17, 18, 20, 22, 23, 24, 25, 26, 27, 28}


def _far(au: int, n: np.ndarray) -> np.ndarray:
    """Vertices far from the AU's region, in the face frame (y up, eyes at y = 0, mouth near y = -1)."""
    y = n[:468, 1]
    mouth_y = n[[61, 291], 1].mean()
    if au in UPPER:
        return np.nonzero(y < mouth_y + 0.2)[0]                 # mouth and chin
    if au in LOWER:
        return np.nonzero(y > 0.05)[0]                          # eyes, brows, forehead
    if au == 6:
        return np.nonzero((y > 0.45) | (y < mouth_y - 0.35))[0]  # forehead and chin
    return np.nonzero(y < mouth_y - 0.25)[0]                    # AU9: chin


def test_every_catalogue_au_is_covered():
    assert set(EXPECT) == set(ALL_AUS)


@pytest.mark.parametrize("au", ALL_AUS)
def test_au_moves_expected_landmarks_monotonically_and_locally(faces, au):
    for name, n in faces.items():
        levels = np.array([[0.0], [1], [2], [3], [4], [5]], np.float32)
        v = deform(n, levels, (au,))
        m = EXPECT[au](v, n)
        assert m[1] > 0, f"AU{au} on {name}: no movement in the expected direction at intensity 1"
        assert np.all(np.diff(m) > -1e-6), f"AU{au} on {name}: not monotone in intensity: {m}"
        assert m[5] > 2 * m[1] - 1e-6, f"AU{au} on {name}: intensity barely matters: {m}"
        disp = np.linalg.norm(v[5] - n, axis=1)
        far = _far(au, n)
        assert disp[far].max() <= 0.10 * disp.max(), (
            f"AU{au} on {name}: far region moves {disp[far].max():.3f} vs {disp.max():.3f} inside")


def _lid_gaps(v):
    """Upper minus lower lid margin height at the middle of each eye, (frames, 2)."""
    return np.stack([v[..., RIGHT_UPPER_LID[4], 1] - v[..., RIGHT_LOWER_LID[4], 1],
                     v[..., LEFT_UPPER_LID[4], 1] - v[..., LEFT_LOWER_LID[4], 1]], axis=-1)


def test_blink_closes_the_eyes_and_lids_never_cross(faces):
    for name, n in faces.items():
        closed = deform(n, {45: 5})
        assert np.abs(_lid_gaps(closed)).max() < 0.01, name
        base = basis_for(n)
        worst = deform(n, {43: 5, 45: 5, 7: 5, 6: 5, 4: 5})
        gap = np.matmul(base.lid_gap_margin, worst)[:, 1]  # lower minus upper margin, along the eye
        assert gap.max() <= 1e-5, f"{name}: upper lid below lower lid by {gap.max():.4f}"
        assert np.all(_lid_gaps(deform(n, {5: 5})) > _lid_gaps(n[None])), name  # AU5 widens the eyes


def test_lips_never_cross_under_random_combinations(faces):
    rng = np.random.default_rng(1)
    vals = rng.uniform(0, 5, (200, len(ALL_AUS))).astype(np.float32)
    vals[rng.uniform(size=vals.shape) < 0.6] = 0
    up, lo = np.array(UPPER_LIP_INNER[1:-1]), np.array(LOWER_LIP_INNER[1:-1])
    for name, n in faces.items():
        v = deform(n, vals, ALL_AUS)
        slack = np.maximum(n[lo, 1] - n[up, 1], 0)
        assert np.all(v[:, up, 1] >= v[:, lo, 1] - slack - 1e-5), name
        pressed = deform(n, {17: 5, 24: 5, 28: 5, 23: 5})
        assert np.all(pressed[up, 1] >= pressed[lo, 1] - slack - 1e-5), name
        assert np.isfinite(v).all()


def test_jaw_and_lip_parting_compose(faces):
    n = faces["default"]
    gap = lambda v: v[13, 1] - v[14, 1]  # noqa: E731
    g25, g26, both = gap(deform(n, {25: 3})), gap(deform(n, {26: 3})), gap(deform(n, {25: 3, 26: 3}))
    assert both > g26 > gap(n) and both > g25 > gap(n)
    assert both == pytest.approx(g25 + g26 - gap(n), rel=0.25)


def test_deform_api_shapes_and_errors():
    n = default_face().vertices
    assert np.array_equal(deform(None, {}), n)
    assert np.array_equal(deform(n, {12: 0.0}), n)
    track = AUTrack.still({12: 4, 6: 3}).concat(AUTrack.still({26: 2}))
    frames = deform(n, track)
    assert frames.shape == (2, 478, 3) and frames.dtype == np.float32
    assert np.allclose(frames[0], deform(n, {12: 4, 6: 3}), atol=1e-6)
    assert np.allclose(deform(n, np.array([4.0, 3.0]), (12, 6)), frames[0], atol=1e-6)
    assert deform(n, np.zeros((5, 2)), (12, 6)).shape == (5, 478, 3)
    with pytest.raises(TrackError):
        deform(n, {12: 6})
    with pytest.raises(TrackError):
        deform(n, {12: float("nan")})
    with pytest.raises(TrackError):
        deform(n, np.zeros(3), (12, 6))
    with pytest.raises(TrackError):
        deform(n, np.zeros(2))
    with pytest.raises(TrackError):
        deform(np.zeros((10, 3)), {12: 1})
    with pytest.raises(AUSpecError):
        deform(n, {99: 1})
    assert np.array_equal(n, default_face().vertices)  # never modified


def test_default_face_topology():
    face = default_face()
    assert face.vertices.shape == (478, 3) and face.triangles.shape == (852, 3)
    v = face.vertices.astype(np.float64)
    t = face.triangles
    normals = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])
    assert (normals[:, 2] > 0).mean() > 0.97  # wound towards the viewer
    loops = boundary_loops(t)
    assert [len(lp) for lp in loops] == [36, 20, 16, 16]  # outline, mouth, two eyes
    assert set(loops[1]) == set(UPPER_LIP_INNER) | set(LOWER_LIP_INNER)
    assert np.allclose(v[face.mirror] * [-1, 1, 1], v, atol=1e-6)  # symmetric
