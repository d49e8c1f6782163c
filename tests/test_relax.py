"""A smiling photo's smile taken away with its skin and lips: folds lightened, lips relaxed evenly and repainted."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from facsynth.face.landmarks import detect_faces
from facsynth.face.model import default_face
from facsynth.face.topology import LOWER_LIP_OUTER, UPPER_LIP_OUTER
from facsynth.facs import emotion_aus
from facsynth.formats.image import read_image
from facsynth.render.mouth import LUMA
from facsynth.render.photo import (expressed_landmarks, fold_kept, movement, render_frame, rig_photo, share_removed,
                                   side_movements)
from facsynth.render.relax import fold_relief, relieve_folds
from facsynth.render.shading import nasolabial_lines



@pytest.fixture(scope="module")
def obama(shared_data):
    image = read_image(shared_data / "faces" / "obama_official_portrait.jpg")
    return image, rig_photo(image)


def _synthetic_fold(seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Skin-coloured noise with a dark crease painted along the nasolabial lines of the default face drawn at
    100 px between the eyes: (image (400, 400, 3) uint8, landmarks (478, 2) px, scale)."""
    v = default_face().vertices
    points = np.stack([200 + 100 * v[:, 0], 200 - 100 * v[:, 1]], axis=1).astype(np.float64)
    rng = np.random.default_rng(seed)
    image = np.clip(np.array([190, 140, 110]) + rng.normal(0, 6, (400, 400, 1)), 0, 255).astype(np.uint8)
    for line in nasolabial_lines(points, 100.0):
        cv2.polylines(image, [np.round(line * 16).astype(np.int32)], False, (110, 70, 50), 3, cv2.LINE_AA, shift=4)
    return image, points, 100.0


def _crease_contrast(image: np.ndarray, points: np.ndarray, scale: float) -> float:
    """Mean luma 6 px beside the fold lines minus the mean luma on them."""
    on, near = np.zeros(image.shape[:2], np.uint8), np.zeros(image.shape[:2], np.uint8)
    for line in nasolabial_lines(points, scale):
        cv2.polylines(on, [np.round(line).astype(np.int32)], False, 1, 1)
        for dx in (-6, 6):
            cv2.polylines(near, [np.round(line + (dx, 0)).astype(np.int32)], False, 1, 1)
    luma = image.astype(np.float32) @ LUMA
    return float(luma[(near > 0) & (on == 0)].mean() - luma[on > 0].mean())


@pytest.mark.parametrize("seed", [0, 1])
def test_fold_relief_takes_a_painted_crease_away_in_proportion(seed):
    image, points, scale = _synthetic_fold(seed)
    relief = fold_relief(image, points, scale)
    before = _crease_contrast(image, points, scale)
    half = _crease_contrast(relieve_folds(image, [(relief, 0.5)]), points, scale)
    whole = _crease_contrast(relieve_folds(image, [(relief, 1.0)]), points, scale)
    assert before > 40
    assert whole < 0.3 * before and whole < half < before
    assert relieve_folds(image, [(relief, 0.0)]) is image                      # nothing removed: the photo itself
    x0, y0, x1, y1 = relief.box
    outside = np.ones(image.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(relieve_folds(image, [(relief, 1.0)])[outside], image[outside])


def test_only_a_target_that_removes_the_smile_changes_the_skin_and_lips(obama):
    image, rig = obama
    plain = dataclasses.replace(rig, relax=None, folds=None, lips=None)          # the renderer without it
    happy = emotion_aus("happiness", 4)                                         # as much smile as the photo's
    assert share_removed(rig, 12, movement(rig, happy)) == 0.0
    assert share_removed(rig, 12, movement(rig, {})) == 1.0
    assert np.array_equal(render_frame(image, rig, happy, shading=False), render_frame(image, plain, happy, shading=False))
    assert np.array_equal(render_frame(image, rig, {}, relative=True), render_frame(image, plain, {}, relative=True))
    assert not np.array_equal(render_frame(image, rig, {}), render_frame(image, plain, {}))


def test_relaxed_lips_do_not_fold_over(obama):
    """Each outer lip contour runs corner to corner without turning back once the smile is taken away."""
    _, rig = obama
    for aus in ({}, emotion_aus("sadness", 4)):
        p = expressed_landmarks(rig, *side_movements(rig, aus))
        for contour in (UPPER_LIP_OUTER, LOWER_LIP_OUTER):
            assert np.all(np.diff(p[list(contour), 0]) > 0), contour


def test_a_smiling_photo_asked_for_sadness_turns_its_corners_down(obama):
    """Re-detected by MediaPipe: the lip corners of the sadness render lie below those of the neutral render, as
    they do on neutral photos (0.08–0.14 IOD there); the texture of the smile no longer holds them up."""
    image, rig = obama

    def lift(frame):
        p = detect_faces(frame)[0].normalised()
        return (p[61, 1] + p[291, 1]) / 2 - (p[13, 1] + p[14, 1]) / 2

    assert lift(render_frame(image, rig, emotion_aus("sadness", 4))) < lift(render_frame(image, rig, {})) - 0.05


def test_a_target_that_asks_for_a_nasolabial_fold_keeps_the_photos_own(obama):
    """AU10 or AU12 in the target ask for a nasolabial fold: the smiling photo's real fold stays as deep as asked
    (not lightened away and drawn again), so a disgust-like AU10 keeps more of the crease than a neutral target."""
    image, rig = obama
    own = rig.own[12]
    assert fold_kept(rig, {}) == 0.0 and fold_kept(rig, {10: own}) == 1.0 and fold_kept(rig, {12: own / 2}) == 0.5
    assert fold_kept(dataclasses.replace(rig, own={}), {10: 3.0}) == 0.0          # a photo without a smile

    def contrast(target):
        frame = render_frame(image, rig, target, shading=False)
        return _crease_contrast(frame, expressed_landmarks(rig, *side_movements(rig, target)), rig.face.pose.scale)

    assert contrast({10: own}) > contrast({10: 0.01}) + 5.0
