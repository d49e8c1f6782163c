"""render.eyes: the eyeball stays behind moving lids; a raised lid uncovers sclera above a round iris."""

from __future__ import annotations

import numpy as np

from facsynth.face.topology import LEFT_LOWER_LID, LEFT_UPPER_LID, RIGHT_LOWER_LID, RIGHT_UPPER_LID
from facsynth.render.eyes import paint_eyeballs
from facsynth.render.mouth import LUMA

SKIN, SCLERA, IRIS, LASH = (200, 150, 120), (235, 230, 225), (60, 80, 40), (40, 30, 30)
IRIS_C, IRIS_R = np.array([100.0, 52.0]), 12.0


def _eye(iris_c: np.ndarray = IRIS_C) -> tuple[np.ndarray, np.ndarray]:
    """A 100×200 photo with the person's right eye open 16 px (lids at y 40 and 56 in the middle, corners at x 60
    and 140), an iris of radius 12 centred at y 52 whose top the upper lid hides, and lashes along the upper lid;
    and its 478 landmarks (the eye's lids and iris; the left eye's far away, unmoved)."""
    img = np.full((100, 200, 3), SKIN, np.uint8)
    xs = np.linspace(60, 140, 9)
    bulge = np.sin(np.linspace(0, np.pi, 9))
    upper, lower = np.stack([xs, 48 - 8 * bulge], 1), np.stack([xs, 48 + 8 * bulge], 1)
    yy, xx = np.mgrid[:100, :200]
    top, bottom = np.interp(xx, xs, upper[:, 1]), np.interp(xx, xs, lower[:, 1])
    inside = (yy >= top) & (yy <= bottom) & (xx > 60) & (xx < 140)
    img[inside] = SCLERA
    img[inside & ((xx - iris_c[0]) ** 2 + (yy - iris_c[1]) ** 2 < IRIS_R ** 2)] = IRIS
    img[inside & (yy < top + 1.5)] = LASH
    pts = np.zeros((478, 2))
    pts[list(RIGHT_UPPER_LID)], pts[list(RIGHT_LOWER_LID)] = upper, lower
    pts[list(LEFT_UPPER_LID)], pts[list(LEFT_LOWER_LID)] = upper + (500, 0), lower + (500, 0)
    pts[468], pts[469:473] = iris_c, iris_c + [[IRIS_R, 0], [0, -IRIS_R], [-IRIS_R, 0], [0, IRIS_R]]
    pts[473], pts[474:478] = iris_c + (500, 0), iris_c + (500, 0)
    return img, pts


def test_a_raised_lid_uncovers_sclera_above_a_round_iris_and_keeps_the_eyeball():
    img, src = _eye()
    dst = src.copy()
    raise_ = 8.0 * np.sin(np.linspace(0, np.pi, 9))                  # 8 px in the middle, the corners kept
    dst[list(RIGHT_UPPER_LID), 1] -= raise_
    warped = img.copy()                                              # the warp's own eye does not matter inside
    warped[28:58, 60:140] = SKIN
    out = warped.copy()
    paint_eyeballs(out, img, src, dst, scale=100.0, softness=0.3)
    luma = out.astype(np.float64) @ LUMA
    # the iris keeps its shape: its dark top is where its circle is (y 40 at x 100), not stretched up to the lid
    column = luma[:, 100]
    assert column[35:39].min() > 120 and column[42:50].max() < 100
    # sclera above the iris beside it, in the lid's shadow but light, where the lid was
    assert luma[37:40, 80:84].mean() > 0.7 * (np.array(SCLERA) @ LUMA)
    # the eyeball the photo showed stays where it was, pixel for pixel
    assert np.array_equal(out[48:54, 85:115], img[48:54, 85:115])
    # outside the new opening the warp's pixels are kept
    assert np.array_equal(out[:28], warped[:28]) and np.array_equal(out[60:], warped[60:])


def test_unmoved_lids_leave_the_render_as_it_is():
    img, src = _eye()
    out = img.copy()
    out[45, 70] = (1, 2, 3)
    before = out.copy()
    dst = src.copy()
    dst[list(RIGHT_UPPER_LID), 1] -= 0.3                            # under half a pixel: the warp's drawing stands
    paint_eyeballs(out, img, src, dst, scale=100.0, softness=0.3)
    assert np.array_equal(out, before)


def test_au5_on_a_photo_keeps_the_iris_and_shows_sclera_above_it(shared_data):
    """AU5 at 4 on a GRID face (3× up, its eye 18 px open): the photo's visible eyeball is kept where it was (the iris
    is not stretched with the lid), and just under the raised lid, beside the iris, the eye is light (sclera), where
    the photo has its lid's skin."""
    import cv2

    from facsynth.formats.image import read_image
    from facsynth.render.photo import render_frame, rig_photo

    small = read_image(shared_data / "faces" / "grid_lbbc2a_rest.png")
    photo = cv2.resize(small, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    rig = rig_photo(photo)
    out = render_frame(photo, rig, {5: 4.0})
    p = rig.vertices
    for upper, lower in ((RIGHT_UPPER_LID, RIGHT_LOWER_LID), (LEFT_UPPER_LID, LEFT_LOWER_LID)):
        lid, low = p[sorted(upper, key=lambda i: p[i, 0])], p[sorted(lower, key=lambda i: p[i, 0])]
        iris = min((468, 473), key=lambda i: np.linalg.norm(p[i] - lid.mean(axis=0)))
        cx, cy = p[iris]
        radius = float(np.linalg.norm(p[iris + 1:iris + 5] - p[iris], axis=1).mean())
        x = int(round(cx))
        outward = 1 if p[upper[0], 0] > cx else -1                       # towards the eye's outer corner
        margin = float(np.interp(cx, lid[:, 0], lid[:, 1]))
        bottom = float(np.interp(cx, low[:, 0], low[:, 1]))
        assert bottom - margin > 12
        keep = slice(int(round(cy)) - 2, int(round(cy)) + 3)              # the pupil, the iris around it
        assert np.abs(out[keep, x - 3:x + 4].astype(int) - photo[keep, x - 3:x + 4]).max() <= 2
        beside = int(round(cx + 1.2 * radius * outward))
        edge = int(np.interp(beside, lid[:, 0], lid[:, 1]))
        skin = photo[edge - 3:edge + 1, beside].astype(np.float64) @ LUMA
        uncovered = out[edge - 3:edge + 1, beside].astype(np.float64) @ LUMA
        assert uncovered.mean() > skin.mean() + 25


def test_the_uncovered_iris_keeps_the_irises_texture(monkeypatch):
    """An iris with radial texture (dark and light stripes): the top a raised lid uncovers carries the texture of the
    iris's lower half mirrored up (its light follows the mirrored row's), not one flat colour per ring."""
    from facsynth.render import eyes

    centre = np.array([100.0, 47.0])                                 # the lid (y 40) hides the iris's top 5 px
    img, src = _eye(centre)
    yy, xx = np.mgrid[:100, :200]
    iris = ((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 < IRIS_R ** 2) & (img == IRIS).all(axis=2)
    stripes = np.floor((xx - centre[0]) / 2.0).astype(int) % 2 == 0       # vertical stripes 2 px wide
    img[iris & stripes] = (110, 130, 80)
    dst = src.copy()
    dst[list(RIGHT_UPPER_LID), 1] -= 8.0 * np.sin(np.linspace(0, np.pi, 9))
    source = img[55, 94:107].astype(np.float64) @ LUMA                     # the row mirrored onto row 39

    def follows(detail: float) -> float:
        monkeypatch.setattr(eyes, "IRIS_DETAIL", detail)
        out = img.copy()
        paint_eyeballs(out, img, src, dst, scale=100.0, softness=0.3)
        return float(np.corrcoef(out[39, 94:107].astype(np.float64) @ LUMA, source)[0, 1])

    assert follows(25.0) > 0.8 and follows(0.0) < 0.5
