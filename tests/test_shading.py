"""Fold shading: strokes too faint to change a pixel are skipped without changing the output."""

import numpy as np

from facsynth.face.model import default_face
from facsynth.render import shading


def test_faint_strokes_skipped_without_changing_pixels(monkeypatch):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    image[::7] = 255                                                # bright rows: the truncation's worst case
    face = default_face().vertices[:, :2] * (100.0, -100.0) + 256.0  # model face, 100 px between the eyes
    skipped = []
    for trial in range(6):
        points = face + rng.normal(0, 2.0, face.shape)
        aus = {1: 3.0, 4: 0.004, 6: 0.005, 9: 2.0, 12: 0.003, 17: 4.0, 2: 0.002}
        fast = image.copy()
        faint = shading._faint
        monkeypatch.setattr(shading, "_faint", lambda *a: skipped.append(faint(*a)) or skipped[-1])
        shading.shade_folds(fast, points, aus, 100.0)
        slow = image.copy()
        monkeypatch.setattr(shading, "_faint", lambda dark, lo, hi, blur: np.zeros(len(dark), bool))
        shading.shade_folds(slow, points, aus, 100.0)
        assert np.array_equal(fast, slow)
        assert not np.array_equal(fast, image)                      # the strong folds are drawn
    assert sum(int(s.sum()) for s in skipped) > 0                   # and some faint strokes were left out


def _model_face() -> np.ndarray:
    return default_face().vertices[:, :2] * (100.0, -100.0) + 256.0     # 100 px between the eyes


def test_nose_wrinkles_are_separate_creases_in_the_skins_own_colour():
    skin = np.array([200, 150, 120], np.uint8)
    image = np.tile(skin, (512, 512, 1))
    points = _model_face()
    out = image.copy()
    shading.shade_folds(out, points, {9: 4.0}, 100.0)
    changed = np.abs(out.astype(int) - image).sum(axis=2) > 6
    assert changed.any()
    # along the bridge, down from the root: the creases across it are separate dips, with lighter skin between
    top, mid = points[168], points[195]
    t = np.linspace(0.0, 0.2 * 100 / np.linalg.norm(mid - top), 80)
    line = top + (mid - top) * t[:, None]
    light = out[line[:, 1].round().astype(int), line[:, 0].round().astype(int)].astype(float).sum(axis=1)
    light = light[np.r_[True, np.diff(light) != 0]]                  # each pixel once
    dips = [i for i in range(1, len(light) - 1) if light[i] < light[i - 1] and light[i] <= light[i + 1]
            and light[i] < skin.sum() - 15]
    assert len(dips) >= 3
    assert all(light[a:b].max() > light[a] + 8 for a, b in zip(dips, dips[1:]))
    # darker, not greyer: the darkened pixels keep the skin's hue and gain chroma (red over blue grows)
    dark = out[changed & (out.astype(int).sum(axis=2) < int(skin.sum()) - 30)].astype(float)
    assert len(dark)
    assert (dark[:, 0] / dark[:, 2]).min() >= skin[0] / skin[2] - 0.02


def test_nose_wrinkles_leave_the_other_folds_as_they_were():
    rng = np.random.default_rng(1)
    image = rng.integers(60, 220, (512, 512, 3), dtype=np.uint8)
    points = _model_face()
    others = {4: 3.0, 12: 3.0, 17: 2.0}
    plain, wrinkled, nose_only = image.copy(), image.copy(), image.copy()
    shading.shade_folds(plain, points, others, 100.0)
    shading.shade_folds(wrinkled, points, {**others, 9: 4.0}, 100.0)
    shading.shade_folds(nose_only, points, {9: 4.0}, 100.0)
    untouched = (nose_only == image).all(axis=2)
    assert np.array_equal(wrinkled[untouched], plain[untouched])
    assert not untouched.all()


def _folds_on_whole_image(image: np.ndarray, points: np.ndarray, aus: dict, scale: float) -> np.ndarray:
    """The reference for shade_folds without AU9: every stroke drawn on an image-sized layer at its own place, the
    darkest winning, the whole layer blurred and every pixel blended (no faint-stroke skip, no boxes)."""
    import cv2

    shade = np.zeros(image.shape[:2], np.float32)
    for line, dark in shading.fold_strokes(points, aus, scale):
        layer = np.zeros_like(shade)
        cv2.polylines(layer, [np.round(line * 16).astype(np.int32)], False, 1.0, max(1, int(round(0.025 * scale))),
                      cv2.LINE_AA, shift=4)
        np.maximum(shade, layer * np.float32(dark), out=shade)
    shade = cv2.GaussianBlur(shade, (0, 0), max(0.6, 0.02 * scale))
    return np.clip(image.astype(np.float32) * (1.0 - shade)[..., None] + 0.5, 0, 255).astype(np.uint8)


def test_folds_drawn_in_boxes_equal_the_whole_image_reference():
    # shade_folds draws each stroke in its own box, skips faint ones, blurs and blends only the region the drawn
    # strokes reach: all of it must leave the pixels the plain whole-image drawing gives, bit for bit
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    image[::5] = 255
    talking = {1: 0.74, 2: 0.59, 4: 0.5, 6: 0.013, 10: 1e-9, 12: 0.008}       # a speech frame: faint AU6, AU12
    strong = {1: 3.0, 2: 2.0, 4: 2.5, 6: 3.0, 10: 1.0, 12: 4.0, 17: 3.0}
    for aus, shift, scale in ((talking, 0.0, 100.0), (strong, 0.0, 100.0), (talking, 0.0, 60.0),
                              (strong, -190.0, 100.0), (talking, 180.0, 120.0)):   # folds cut by the image's edge
        points = _model_face() * (scale / 100.0) + 256.0 * (1 - scale / 100.0) + shift + rng.normal(0, 1.0, (478, 2))
        fast = image.copy()
        shading.shade_folds(fast, points, aus, scale)
        assert not np.array_equal(fast, image)
        assert np.array_equal(fast, _folds_on_whole_image(image, points, aus, scale))


def test_forehead_lines_lie_across_the_forehead_for_1_2_and_in_its_centre_for_1_alone_or_with_4():
    """The FACS manual's forehead: AU1's wrinkles in the centre, 1 + 2's across, 1 + 2 + 4's (fear) held to the
    centre, so fear's forehead is not surprise's."""
    points = _model_face()

    furrows = shading.glabella_lines(points, 100.0)

    def width(aus: dict[int, float]) -> float:
        lines = [line for line, _ in shading.fold_strokes(points, aus, 100.0)
                 if len(line) == 3 and not any(np.array_equal(line, f) for f in furrows)]
        return float(np.mean([np.linalg.norm(line[2] - line[0]) for line in lines]))

    across, centre = width({1: 4.0, 2: 4.0}), width({1: 4.0})
    fear, sadness = width({1: 4.0, 2: 2.7, 4: 2.0}), width({1: 4.0, 4: 2.7})
    assert width({2: 4.0}) == across and centre < 0.5 * across
    assert centre < fear < 0.8 * across and abs(sadness - centre) < 1e-9


def test_brow_furrows_run_up_between_the_brows_not_down_into_the_nose_root():
    """AU4's furrows (FACS: vertical, between the brows) are two upright lines between the inner brows that reach
    above them; they leave the nose's root below the brows as it was (they once met there in a grey blot)."""
    skin = np.array([200, 150, 120], np.uint8)
    image = np.tile(skin, (512, 512, 1))
    points = _model_face()
    out = image.copy()
    shading.shade_folds(out, points, {4: 4.0}, 100.0)
    darker = image.astype(int).sum(axis=2) - out.astype(int).sum(axis=2)
    ys, xs = np.nonzero(darker > 6)
    inner = points[[55, 285]]                                        # the inner brows' lower edge
    assert inner[0, 0] < xs.min() and xs.max() < inner[1, 0]
    assert ys.min() < inner[:, 1].min() - 15                        # up the forehead, 0.15 IOD above the brows
    root = points[168].round().astype(int)
    assert darker[root[1] - 1:root[1] + 2, root[0] - 1:root[0] + 2].max() <= 2
    mid = points[168, 0]
    for side in (xs < mid, xs > mid):                               # each furrow upright: taller than wide
        assert np.ptp(ys[side]) > 2 * np.ptp(xs[side])
