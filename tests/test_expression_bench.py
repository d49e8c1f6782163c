"""The expression benchmark's measures (benchmarks/bench_expressions.py) and the contact sheet (render.sheet)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from facsynth.errors import ImageError
from facsynth.face.model import default_face
from facsynth.render.sheet import contact_sheet, face_crop

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_expressions as bench  # noqa: E402
from bench_speech_quality import opening_ratio  # noqa: E402


@pytest.fixture(scope="module")
def neutral() -> np.ndarray:
    """The default face's landmarks in the face frame (x to the subject's left, y up, inter-ocular units)."""
    return default_face().vertices.astype(np.float64)


def _moved(shape: np.ndarray, points, dx=0.0, dy=0.0, dz=0.0, outward=0.0) -> np.ndarray:
    """``shape`` with ``points`` shifted by (dx, dy, dz), plus ``outward`` away from the midline (x = 0)."""
    out = shape.copy()
    idx = list(points)
    out[idx] += (dx, dy, dz)
    out[idx, 0] += np.sign(shape[idx, 0]) * outward
    return out


def _hand_made(n: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """AU → (a shape moved the FACS way, a shape moved the opposite way), by 0.05 inter-ocular units."""
    s = 0.05
    lip = np.asarray([b for _, b in bench.VERMILION])  # inner contour points: the red of the lips grows/shrinks
    thinner = n.copy()
    thinner[lip, 1] += np.sign(n[[a for a, _ in bench.VERMILION], 1] - n[lip, 1]) * s
    thicker = n.copy()
    thicker[lip, 1] -= np.sign(n[[a for a, _ in bench.VERMILION], 1] - n[lip, 1]) * s
    return {
        1: (_moved(n, bench.INNER_BROW, dy=s), _moved(n, bench.INNER_BROW, dy=-s)),
        2: (_moved(n, bench.OUTER_BROW, dy=s), _moved(n, bench.OUTER_BROW, dy=-s)),
        4: (_moved(n, bench.INNER_BROW, dy=-s, outward=-s), _moved(n, bench.INNER_BROW, dy=s, outward=s)),
        5: (_moved(n, bench.UPPER_LID, dy=s), _moved(n, bench.UPPER_LID, dy=-s)),
        6: (_moved(n, bench.CHEEK + bench.LOWER_LID, dy=s), _moved(n, bench.CHEEK + bench.LOWER_LID, dy=-s)),
        7: (_moved(n, bench.LOWER_LID, dy=s), _moved(n, bench.LOWER_LID, dy=-s)),
        9: (_moved(n, bench.NOSE_WING, dy=s), _moved(n, bench.NOSE_WING, dy=-s)),
        10: (_moved(n, bench.UPPER_LIP, dy=s), _moved(n, bench.UPPER_LIP, dy=-s)),
        12: (_moved(n, bench.CORNERS, dy=s, outward=s), _moved(n, bench.CORNERS, dy=-s, outward=-s)),
        14: (_moved(n, bench.CORNERS, dz=-s), _moved(n, bench.CORNERS, dz=s)),
        15: (_moved(n, bench.CORNERS, dy=-s), _moved(n, bench.CORNERS, dy=s)),
        17: (_moved(n, bench.LOWER_LIP_CHIN, dy=s), _moved(n, bench.LOWER_LIP_CHIN, dy=-s)),
        20: (_moved(n, bench.CORNERS, outward=s), _moved(n, bench.CORNERS, outward=-s)),
        23: (thinner, thicker),
        24: (thinner, thicker),
        25: (_moved(n, (14,), dy=-s), _moved(n, (13,), dy=-s)),
        26: (_moved(n, bench.CHIN, dy=-s), _moved(n, bench.CHIN, dy=s)),
    }


def test_every_au_has_a_facs_direction():
    assert set(bench.SINGLE_AUS) <= set(bench.FACS_DIRECTIONS)


def test_direction_signs_on_hand_made_landmarks(neutral):
    for au, (facs_way, other_way) in _hand_made(neutral).items():
        assert bench.au_displacement(au, neutral, neutral) == pytest.approx(0.0, abs=1e-12), au
        assert bench.au_displacement(au, neutral, facs_way) > 0.02, au
        assert bench.au_displacement(au, neutral, other_way) < -0.02, au


def test_direction_magnitudes_are_in_interocular_units(neutral):
    up = _moved(neutral, bench.INNER_BROW, dy=0.05)
    assert bench.au_displacement(1, neutral, up) == pytest.approx(0.05)
    # a head-shift of every point is no AU: only the brows' own motion counts, never the outer brow for AU1
    assert bench.au_displacement(2, neutral, up) == pytest.approx(0.0)
    smile = _moved(neutral, bench.CORNERS, dy=0.03, outward=0.04)
    assert bench.au_displacement(12, neutral, smile) == pytest.approx(0.07 / np.sqrt(2))
    assert bench.au_displacement(20, neutral, smile) == pytest.approx(0.04)
    assert bench.au_displacement(15, neutral, smile) == pytest.approx(-0.03)
    assert bench.corner_lift(smile) == pytest.approx(bench.corner_lift(neutral) + 0.03)
    assert bench.corner_lift(_moved(neutral, (13, 14), dy=0.02)) == pytest.approx(bench.corner_lift(neutral) - 0.02)


def test_a_rendered_jaw_drop_opens_the_redetected_mouth(hopper, rig):
    from facsynth.face.landmarks import detect_faces
    from facsynth.render.photo import render_frame

    rest = render_frame(hopper, rig, {})
    open_ = render_frame(hopper, rig, {25: 4.0, 26: 4.0})
    rest_face, open_face = detect_faces(rest, 1)[0], detect_faces(open_, 1)[0]
    assert opening_ratio(open_face.landmarks) > opening_ratio(rest_face.landmarks) + 0.05
    base = bench.detected_shape(rest, rig.face.pose)
    moved = bench.detected_shape(open_, rig.face.pose)
    assert bench.au_displacement(26, base, moved) > bench.PASS_IOD
    assert bench.au_displacement(25, base, moved) > bench.PASS_IOD
    assert bench.outside_box_change(hopper, open_, rig.face.box) == 0


def test_measure_face_on_a_grid_frame(shared_data):
    from facsynth.face.identity import available
    from facsynth.formats.image import read_image

    res = bench.measure_face("bbaf2n", read_image(shared_data / "faces" / "grid_bbaf2n_rest.png"), au_cells=True)
    assert set(res.au) == set(bench.SINGLE_AUS) and np.isfinite(list(res.au.values())).all()
    assert res.au[26] > bench.PASS_IOD and res.au[12] > bench.PASS_IOD  # the two largest movements show
    assert set(res.identity) == set(bench.EMOTIONS)
    if available():  # dlib is the optional 'identity' extra; without it the benchmark reports no distance
        assert all(0 < d < 0.6 for d in res.identity.values())
    else:
        assert np.isnan(list(res.identity.values())).all()
    assert res.background == 0
    assert len(res.cells) == 2 + len(bench.EMOTIONS) and res.cells[0].shape == (bench.CELL, bench.CELL, 3)
    assert len(res.au_cells) == 1 + len(bench.SINGLE_AUS) + len(bench.COMBINATIONS)
    assert all(12 not in aus or 15 not in aus for aus in res.shown.values())  # conflicting AUs left out
    assert res.rest["sadness"][1] < res.rest["photo"][1] + 0.05  # no smile appears when sadness is asked


def test_outside_box_change_sees_only_the_background():
    a = np.zeros((100, 120, 3), np.uint8)
    box = (40.0, 30.0, 80.0, 70.0)  # grown 1.5×: x 30–90, y 20–80
    inside = a.copy()
    inside[25:75, 35:85] = 200
    assert bench.outside_box_change(a, inside, box) == 0
    outside = a.copy()
    outside[5, 5] = (0, 17, 3)
    assert bench.outside_box_change(a, outside, box) == 17


def test_fit_line_recovers_slope_and_intercept():
    asked = np.linspace(0, 0.3, 50)
    a, b, r = bench.fit_line(asked, 0.02 + 0.8 * asked)
    assert (a, b, r) == pytest.approx((0.02, 0.8, 1.0), abs=1e-9)
    noisy = 0.02 + 0.8 * asked + np.random.default_rng(0).normal(0, 0.15, asked.size)
    assert 0.1 < bench.fit_line(asked, noisy)[2] < 0.8
    assert bench._spread([1.0, 1.0, 1.0]) == pytest.approx(0.0)
    assert bench._spread([0.5, 1.5]) == pytest.approx(0.5)


def test_clip_scores_compare_rendered_with_real():
    t = np.linspace(0, 6, 75)
    real = 0.1 + 0.05 * np.sin(t)
    same = bench.ClipResult("x", real, real.copy(), real)
    assert same.scores == pytest.approx((1.0, 1.0))
    flat = bench.ClipResult("x", real, 0.1 + 0.01 * np.sin(t), real)  # right shape, too small: r high, CCC low
    r, c = flat.scores
    assert r == pytest.approx(1.0) and c < 0.6


def test_small_face_shrinks_and_pads():
    img = np.zeros((200, 200, 3), np.uint8)
    img[80:120, 80:120] = 255
    out = bench.small_face(img, factor=4, side=90)
    assert out.shape == (90, 90, 3)
    white = out[..., 0] > 127
    assert white.sum() == pytest.approx(100, abs=12) and white[45, 45]  # 40 px square → 10 px, centred


def test_face_crop_centres_and_zooms_on_the_box():
    img = np.zeros((300, 400, 3), np.uint8)
    img[100:160, 250:310] = 255  # the "face" box
    crop = face_crop(img, (250, 100, 310, 160), 90, zoom=1.5)
    assert crop.shape == (90, 90, 3)
    assert crop[45, 45].min() == 255 and crop[2, 2].max() == 0
    white = crop[..., 0] > 127
    assert white.sum() == pytest.approx(60 * 60 / (60 * 1.5 / 90) ** 2, rel=0.1)  # 60 px at 90/90 px per px
    big = np.zeros((1200, 1200, 3), np.uint8)
    big[400:800, 400:800] = 255
    assert face_crop(big, (400, 400, 800, 800), 64, zoom=2.0)[32, 32].min() == 255  # shrinking path
    with pytest.raises(ImageError):
        face_crop(img, (10, 10, 10, 50), 90)


def test_contact_sheet_layout_and_errors():
    red = np.zeros((80, 80, 3), np.uint8)
    red[..., 0] = 200
    sheet = contact_sheet([[red, red, red], [red]], [["a", "b", ""], ["c"]], ["row", ""], title="t")
    top = sheet.shape[0] - 2 * 80
    assert sheet.shape == (top + 160, 240, 3) and top > 0
    assert tuple(sheet[top + 5, 5]) == (200, 0, 0)
    assert tuple(sheet[top + 85, 85]) == (235, 235, 235)  # no cell there
    assert sheet[top + 78, 2:78, 0].max() < 200  # label band darkened
    assert tuple(sheet[top + 78, 160 + 40]) == (200, 0, 0)  # "" leaves the cell as it is
    with pytest.raises(ImageError):
        contact_sheet([[red, np.zeros((30, 30, 3), np.uint8)]], [["a", "b"]])
    with pytest.raises(ImageError):
        contact_sheet([[red]], [["a", "b"]])
