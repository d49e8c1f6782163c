"""render.unfold: a moved mesh never turns its skin over, and the warped nose wings of AU9 show no stepped edge."""

import numpy as np
import pytest

from facsynth.formats.image import read_image
from facsynth.render import photo
from facsynth.render.photo import expressed_landmarks, render_frame, rig_photo, side_movements
from facsynth.render.unfold import MIN_AREA, signed_areas, unfold

cv2 = pytest.importorskip("cv2")


def _grid(n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """An n×n grid of points 10 px apart and its triangles (two per cell, counter-clockwise in image axes)."""
    ys, xs = np.mgrid[0:n, 0:n]
    points = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64) * 10
    tris = []
    for y in range(n - 1):
        for x in range(n - 1):
            a, b, c, d = y * n + x, y * n + x + 1, (y + 1) * n + x, (y + 1) * n + x + 1
            tris += [(a, b, d), (a, d, c)]
    return points, np.asarray(tris)


def _shares(src, dst, tris):
    return signed_areas(dst, tris) / signed_areas(src, tris)


def test_a_vertex_pushed_past_its_neighbours_no_longer_folds_and_the_border_stays():
    src, tris = _grid()
    border = (src[:, 0] == 0) | (src[:, 0] == 30) | (src[:, 1] == 0) | (src[:, 1] == 30)
    dst = src.copy()
    dst[5] += (25.0, 22.0)                                   # an inner vertex moved across two cells
    assert (_shares(src, dst, tris) < 0).sum() >= 2          # the mesh as asked turns over
    out = unfold(src, dst, tris, pinned=border)
    assert _shares(src, out, tris).min() >= MIN_AREA
    np.testing.assert_array_equal(out[border], src[border])
    assert np.linalg.norm(out[5] - src[5]) > 3.0             # the vertex still moves the way it was asked
    assert np.dot(out[5] - src[5], (25.0, 22.0)) > 0


def test_a_mesh_that_does_not_fold_is_returned_unchanged_and_held_vertices_keep_their_movement():
    src, tris = _grid()
    dst = src + np.random.default_rng(0).normal(0, 1.0, src.shape)
    np.testing.assert_array_equal(unfold(src, dst, tris), dst)
    held = np.zeros(len(src), bool)
    held[6] = True
    dst = src.copy()
    dst[5] += (25.0, 22.0)
    dst[6] += (4.0, 0.0)
    out = unfold(src, dst, tris, held=held)
    assert _shares(src, out, tris).min() >= MIN_AREA
    np.testing.assert_array_equal(out[6], dst[6])            # the fold was undone by the free vertices alone


_WINGS = [48, 64, 98, 102, 129, 219, 235, 278, 294, 327, 331, 358, 439, 455]   # around both nose wings


def _step_edges(image: np.ndarray, box) -> float:
    """99.5th percentile of |Laplacian| of the grey image in ``box``: large where edges are one-pixel steps."""
    x0, y0, x1, y1 = box
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)[y0:y1, x0:x1]
    return float(np.percentile(np.abs(cv2.Laplacian(grey, cv2.CV_32F, ksize=1)), 99.5))


@pytest.mark.parametrize("name, photo_share", [("grace_hopper_512x512.jpg", 1.3), ("grid_lbbc2a_rest.png", None)])
def test_nose_wings_raised_by_au9_do_not_fold_over_the_cheek(shared_data, monkeypatch, name, photo_share):
    image = read_image(shared_data / "faces" / name)
    rig = rig_photo(image)
    aus = {9: 4.0}
    asked = rig.vertices.copy()
    moved = expressed_landmarks(rig, *side_movements(rig, aus))
    asked[: len(moved)] = moved
    assert (_shares(rig.vertices, asked, rig.skin) < 0).sum() >= 5     # the muscle model's mesh would fold
    drawn = unfold(rig.vertices, asked, rig.skin, rig.pinned, rig.held)
    assert _shares(rig.vertices, drawn, rig.skin).min() >= MIN_AREA
    wings = [129, 358]                                      # the wing ends are still drawn up as far as asked
    assert (rig.vertices[wings, 1] - drawn[wings, 1] > 0.8 * (rig.vertices[wings, 1] - asked[wings, 1])).all()
    p = rig.face.landmarks[_WINGS, :2]
    pad = 0.1 * rig.face.pose.scale
    box = tuple(int(v) for v in (*(p.min(axis=0) - pad), *(p.max(axis=0) + pad)))
    out = _step_edges(render_frame(image, rig, aus, shading=False), box)
    monkeypatch.setattr(photo, "unfold", lambda src, dst, *_: np.array(dst))
    folded = _step_edges(render_frame(image, rig, aus, shading=False), box)
    # measured (muscles c19dda4): Hopper 118 (folded 216, photo 105), lbbc2a 47 (folded 65, photo 34: small nostrils)
    assert out < 0.8 * folded
    if photo_share:
        assert out < photo_share * _step_edges(image, box)
