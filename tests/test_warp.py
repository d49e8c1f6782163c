"""The fast piecewise-affine warp (an index image rasterised in row runs, per-pixel look-up of (x, y) coefficient
pairs, source positions straight into cv2.remap) against plain triangle-by-triangle references."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from facsynth.render.photo import rig_photo
from facsynth.render.warp import _index_image, piecewise_affine_map, sample, source_positions


def _owners(corners: np.ndarray, shape: tuple[int, int], fringe: bool = True) -> np.ndarray:
    """The index image by its definition, one triangle at a time: each pixel whose centre a triangle holds takes its
    number (from 1; later triangles win), then (``fringe``) each uncovered pixel with a covered pixel left, right,
    above or below takes the largest of their numbers; 0 where none."""
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    owner = np.zeros(shape, np.int64)
    for k, p in enumerate(corners, 1):
        sign = np.sign((p[1, 0] - p[0, 0]) * (p[2, 1] - p[0, 1]) - (p[2, 0] - p[0, 0]) * (p[1, 1] - p[0, 1]))
        inside = np.ones(shape, bool)
        for a, b in ((p[0], p[1]), (p[1], p[2]), (p[2], p[0])):
            inside &= sign * ((b[0] - a[0]) * (ys - a[1]) - (b[1] - a[1]) * (xs - a[0])) >= 0
        owner[inside] = k
    if not fringe:
        return owner
    padded = np.pad(owner, 1)
    beside = np.max([padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]], axis=0)
    return np.where(owner > 0, owner, beside)


def _reference(image: np.ndarray, src: np.ndarray, dst: np.ndarray, triangles: np.ndarray,
               box: tuple[int, int, int, int]) -> np.ndarray:
    """Each triangle on its own: the pixels _owners gives it get the source position of its affine map
    (cv2.getAffineTransform, float64), kept within its source box widened by a pixel; then one bilinear remap."""
    x0, y0, x1, y1 = box
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    map_x, map_y = xs.copy(), ys.copy()
    owner = _owners(dst[triangles] - (x0, y0), xs.shape)
    for k, t in enumerate(triangles, 1):
        on = owner == k
        m = cv2.getAffineTransform(dst[t].astype(np.float32), src[t].astype(np.float32)).astype(np.float64)
        lo, hi = src[t].min(axis=0) - 1, src[t].max(axis=0) + 1
        map_x[on] = np.clip(m[0, 0] * xs[on] + m[0, 1] * ys[on] + m[0, 2], lo[0], hi[0])
        map_y[on] = np.clip(m[1, 0] * xs[on] + m[1, 1] * ys[on] + m[1, 2], lo[1], hi[1])
    out = image.copy()
    out[y0:y1, x0:x1] = cv2.remap(image, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)
    return out


def test_index_image_is_each_pixel_centres_triangle_the_last_one_where_they_overlap():
    rng = np.random.default_rng(5)
    # a jittered grid mesh (every inner edge shared by two triangles), then triangles scattered over it and past
    # the image's edges, overlapping the mesh and each other
    gy, gx = np.mgrid[0:7, 0:9]
    points = np.stack([gx * 9.0 + 4, gy * 8.0 + 3], -1).reshape(-1, 2) + rng.uniform(-2.5, 2.5, (63, 2))
    cell = (gy[:-1, :-1] * 9 + gx[:-1, :-1]).ravel()
    grid = np.concatenate([np.stack([cell, cell + 1, cell + 10], 1), np.stack([cell, cell + 10, cell + 9], 1)])
    scattered = rng.uniform(0, 80, (12, 1, 2)) + rng.uniform(-20, 20, (12, 3, 2))
    corners = np.concatenate([points[rng.permutation(grid)], scattered])
    shape = (60, 80)
    index, fringe = _index_image(corners, shape)
    assert index.shape == shape and index.dtype == np.intp
    expect = _owners(corners, shape)
    assert np.array_equal(np.maximum(index, 0), expect), (np.maximum(index, 0) != expect).sum()
    assert np.array_equal(np.sort(fringe), np.flatnonzero((_owners(corners, shape, fringe=False) == 0) & (expect > 0)))
    assert (expect > len(grid)).sum() > 200 and (expect == 0).sum() > 200    # overlaps and uncovered pixels tested


@pytest.mark.parametrize("amplitude", [1.5, 4.0])
def test_fast_warp_matches_a_triangle_by_triangle_reference_on_a_face(hopper, amplitude):
    rig = rig_photo(hopper)
    src = rig.vertices
    # a smooth movement of every free vertex (no triangle turns over), the anchor ring fixed
    rng = np.random.default_rng(3)
    phase = rng.uniform(0, 2 * np.pi, 4)
    wave = np.stack([np.sin(src[:, 1] / 23 + phase[0]) + np.cos(src[:, 0] / 31 + phase[1]),
                     np.sin(src[:, 0] / 19 + phase[2]) + np.cos(src[:, 1] / 27 + phase[3])], axis=1)
    dst = src + amplitude * wave * ~rig.pinned[:, None]
    box = rig.box
    fast = sample(hopper, source_positions(src, dst, rig.triangles, box), box)
    ref = _reference(hopper, src, dst, rig.triangles, box)
    diff = np.abs(fast.astype(int) - ref.astype(int)).max(axis=2)
    moved = np.abs(ref.astype(int) - hopper.astype(int)).max(axis=2) > 0
    assert moved.sum() > 20_000                                      # the face really moved
    # float32 coefficients against float64: rounding-level differences only
    assert diff.max() <= 3 and (diff > 1).mean() < 1e-4, (diff.max(), (diff > 1).sum())
    x0, y0, x1, y1 = box
    outside = np.ones(diff.shape, bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(fast[outside], hopper[outside])


def test_flow_is_the_source_positions_minus_the_pixel(hopper):
    rig = rig_photo(hopper)
    dst = rig.vertices + (~rig.pinned)[:, None] * np.array([1.3, -0.7])
    box = (rig.box[0] + 5, rig.box[1] + 7, rig.box[2] - 3, rig.box[3] - 2)
    pos = source_positions(rig.vertices, dst, rig.triangles, box)
    assert pos.shape == (box[3] - box[1], box[2] - box[0], 2) and pos.dtype == np.float32
    flow = piecewise_affine_map(rig.vertices, dst, rig.triangles, box)
    assert np.array_equal(flow[..., 0], pos[..., 0] - np.arange(box[0], box[2], dtype=np.float32))
    assert np.array_equal(flow[..., 1], pos[..., 1] - np.arange(box[1], box[3], dtype=np.float32)[:, None])
    cx, cy = np.round(rig.vertices[1] - box[:2]).astype(int)          # around the nose tip, well inside the face
    inner = flow[cy - 20:cy + 20, cx - 20:cx + 20]
    assert np.abs(inner - np.float32([-1.3, 0.7])).max() < 1e-3      # a uniform shift: the same flow inside
