"""One-sided AUs: AUTrack.sides from the parser through the track, the formats and the three renderers."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from facsynth.errors import TrackError
from facsynth.face.model import deform, default_face
from facsynth.face.morphs import face_mesh
from facsynth.formats.arkit import ARKIT_NAMES, arkit_weights, aus_from_arkit
from facsynth.formats.openface_csv import read_openface_csv, write_openface_csv
from facsynth.formats.track_json import read_track_json, track_from_json, track_to_json, write_track_json
from facsynth.language.parse import read
from facsynth.track import AUTrack

SMIRK = AUTrack.still({12: 3.0, 14: 2.0, 6: 1.0}, sides={12: "L", 14: "L"})


def _shape(weights: np.ndarray, name: str) -> float:
    return float(weights[0, ARKIT_NAMES.index(name)])


# ------------------------------------------------------------------------------------------ the track
def test_transformations_keep_sides():
    two = AUTrack(np.array([[3, 2, 1], [1, 1, 0]], np.float32), (12, 14, 6), 30, {12: "L", 14: "L"})
    assert dict(two.resample(60).sides) == {12: "L", 14: "L"}
    assert dict(two.smooth(0.05).sides) == dict(two.scaled(0.5).sides) == {12: "L", 14: "L"}
    assert dict(two.with_aus((12, 6)).sides) == {12: "L"}
    assert dict(two.concat(AUTrack.still({6: 2.0})).sides) == {12: "L", 14: "L"}  # no AU12 in the second
    assert two != two.bilateral() and not two.bilateral().sides
    assert hash(two) == hash(AUTrack(two.values, two.aus, 30, {14: "L", 12: "L"}))


def test_bad_sides_and_conflicting_joins_raise():
    with pytest.raises(TrackError, match="'L' or 'R'"):
        AUTrack.still({12: 3.0}, sides={12: "left"})
    with pytest.raises(TrackError, match="not a column"):
        AUTrack(np.zeros((1, 1), np.float32), (12,), 30.0, {14: "L"})
    with pytest.raises(TrackError, match="AU12 moves on the left side"):
        SMIRK.concat(AUTrack.still({12: 2.0}))


# ------------------------------------------------------------------------------------------ the parser
def test_parse_left_brow_gives_a_left_track():
    reading = read("She raises her left brow.")
    assert reading.sides == {1: "L", 2: "L"}
    track = reading.track()
    assert dict(track.sides) == {1: "L", 2: "L"} and track.frame(0) == {1: 3.0, 2: 3.0}


def test_one_side_unspecified_is_drawn_on_the_right_as_emfacs_writes_contempt():
    assert read("a lopsided smirk").sides == {12: "U", 14: "U"}
    assert dict(read("a lopsided smirk").track().sides) == {12: "R", 14: "R"}


# ------------------------------------------------------------------------------------------ the mesh
@pytest.mark.parametrize("au,side", [(12, "L"), (12, "R"), (2, "L"), (45, "R"), (15, "L")])
def test_one_sided_au_moves_one_half_of_the_mesh(au, side):
    neutral = default_face().vertices
    x = neutral[:, 0]  # the face frame's x points to the person's left
    own, other = (x > 0.2, x < -0.2) if side == "L" else (x < -0.2, x > 0.2)
    moved = np.linalg.norm(deform(None, AUTrack.still({au: 4.0}, sides={au: side}))[0] - neutral, axis=1)
    both = np.linalg.norm(deform(None, {au: 4.0}) - neutral, axis=1)
    assert moved[own].max() > 0.05 and moved[own].max() == pytest.approx(both[own].max(), rel=1e-4)
    assert moved[other].max() < 0.02 * moved[own].max()


def test_glb_targets_of_one_sided_aus_move_one_half():
    mesh = face_mesh(sides={12: "R"})
    x = mesh.vertices[:, 0]
    delta = np.linalg.norm(mesh.targets[12][0], axis=1)
    assert delta[x < -0.01].max() > 0.005 and delta[x > 0.01].max() < 1e-4  # metres
    assert np.linalg.norm(mesh.targets[6][0], axis=1)[x > 0.01].max() > 0.001  # AU6 stays on both sides


# ------------------------------------------------------------------------------------------ the photo
def test_photo_moves_one_side_of_the_face(rig):
    """"L" is the person's own left: the image's right half for a frontal photo."""
    from facsynth.render.photo import expressed_landmarks, side_movements

    still = rig.vertices[:478]
    image_x = still[:, 0] - still[[33, 263], 0].mean()  # from the midpoint of the eyes' outer corners
    half = abs(still[263, 0] - still[33, 0]) / 2
    moved = np.linalg.norm(expressed_landmarks(rig, *side_movements(rig, {12: 4.0}, {12: "L"}, relative=True))
                           - still, axis=1)
    assert moved[image_x > 0.3 * half].max() > 3.0  # pixels, on a 512-pixel portrait
    assert moved[image_x < -0.3 * half].max() < 0.3
    right = np.linalg.norm(expressed_landmarks(rig, *side_movements(rig, {12: 4.0}, {12: "R"}, relative=True))
                           - still, axis=1)
    assert right[image_x < -0.3 * half].max() > 3.0 and right[image_x > 0.3 * half].max() < 0.3


def test_photo_render_differs_from_bilateral_on_one_side_only(hopper, rig):
    from facsynth.render.photo import render_frame

    both = render_frame(hopper, rig, {12: 4.0}, relative=True, shading=False).astype(int)
    left = render_frame(hopper, rig, {12: 4.0}, relative=True, shading=False, sides={12: "L"}).astype(int)
    centre = int(rig.vertices[[33, 263], 0].mean())
    assert np.abs(both - left)[:, centre + 20:].sum() < 0.05 * np.abs(both - left)[:, :centre - 20].sum()


def test_one_sided_folds_are_shaded_on_their_side_only(hopper, rig):
    """A one-sided smile's nasolabial fold and a one-sided brow's forehead lines darken that half of the face;
    the other half keeps the pixels of the same render without shading."""
    from facsynth.render.photo import render_frame

    centre = int(rig.vertices[[33, 263], 0].mean())
    for aus in ({12: 4.0}, {1: 4.0, 2: 4.0}):
        sides = {au: "L" for au in aus}
        shaded = render_frame(hopper, rig, aus, relative=True, sides=sides).astype(int)
        plain = render_frame(hopper, rig, aus, relative=True, sides=sides, shading=False).astype(int)
        folds = np.abs(shaded - plain).sum(axis=2)
        both = np.abs(render_frame(hopper, rig, aus, relative=True).astype(int)
                      - render_frame(hopper, rig, aus, relative=True, shading=False).astype(int)).sum(axis=2)
        assert folds[:, centre + 15:].sum() > 0.3 * both[:, centre + 15:].sum() > 0   # the person's left: image right
        assert folds[:, :centre - 15].sum() == 0 < both[:, :centre - 15].sum()


# ------------------------------------------------------------------------------------------ formats
def test_track_json_round_trip_keeps_sides(tmp_path):
    write_track_json(SMIRK, tmp_path / "smirk.json")
    assert json.loads((tmp_path / "smirk.json").read_text())["sides"] == {"AU12": "L", "AU14": "L"}
    back = read_track_json(tmp_path / "smirk.json")
    assert back == SMIRK and dict(back.sides) == {12: "L", 14: "L"}
    assert "sides" not in track_to_json(SMIRK.bilateral())
    assert dict(track_from_json({"AU12": 2, "sides": {"AU12": "R"}}).sides) == {12: "R"}


def test_arkit_fills_one_side():
    w = arkit_weights(SMIRK)
    assert _shape(w, "mouthSmileLeft") == pytest.approx(0.6) and _shape(w, "mouthSmileRight") == 0.0
    assert _shape(w, "mouthDimpleLeft") == pytest.approx(0.4) and _shape(w, "mouthDimpleRight") == 0.0
    assert _shape(w, "cheekSquintLeft") == _shape(w, "cheekSquintRight") == pytest.approx(0.2)
    right = arkit_weights(AUTrack.still({2: 5.0, 1: 4.0}, sides={2: "R", 1: "R"}))
    assert _shape(right, "browOuterUpRight") == 1.0 and _shape(right, "browOuterUpLeft") == 0.0
    assert _shape(right, "browInnerUp") == pytest.approx(0.4)  # a middle shape at half gain
    back = aus_from_arkit(w)
    assert dict(back.sides) == {12: "L", 14: "L"} and back.frame(0) == pytest.approx({6: 1.0, 12: 3.0, 14: 2.0})


def test_openface_csv_writes_one_sided_aus_as_bilateral_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="AU12 \\(left\\), AU14 \\(left\\)"):
        write_openface_csv(SMIRK, tmp_path / "smirk.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = read_openface_csv(tmp_path / "smirk.csv")
    assert not back.sides and back.frame(0) == {6: 1.0, 12: 3.0, 14: 2.0}


def test_cli_parse_writes_the_sides(cli, tmp_path):
    out = cli("parse", "She raises her left brow and smiles.", "-o", tmp_path / "brow.json")
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "brow.json").read_text())["sides"] == {"AU01": "L", "AU02": "L"}
