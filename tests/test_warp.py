"""The fast piecewise-affine warp (one index image, per-pixel look-up of (x, y) coefficient pairs, source positions
straight into cv2.remap) against a plain triangle-by-triangle reference on a real face mesh."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from facsynth.render.photo import rig_photo
from facsynth.render.warp import piecewise_affine_map, sample, source_positions


def _reference(image: np.ndarray, src: np.ndarray, dst: np.ndarray, triangles: np.ndarray,
               box: tuple[int, int, int, int]) -> np.ndarray:
    """Each triangle on its own: its pixels at the destination (later triangles win) get the source position of
    its affine map (cv2.getAffineTransform, float64); then one bilinear remap."""
    x0, y0, x1, y1 = box
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    map_x, map_y = xs.copy(), ys.copy()
    for t in triangles:
        mask = np.zeros(xs.shape, np.uint8)
        cv2.fillConvexPoly(mask, np.round((dst[t] - (x0, y0)) * 16).astype(np.int32), 1, cv2.LINE_8, 4)
        m = cv2.getAffineTransform(dst[t].astype(np.float32), src[t].astype(np.float32)).astype(np.float64)
        on = mask > 0
        map_x[on] = m[0, 0] * xs[on] + m[0, 1] * ys[on] + m[0, 2]
        map_y[on] = m[1, 0] * xs[on] + m[1, 1] * ys[on] + m[1, 2]
    out = image.copy()
    out[y0:y1, x0:x1] = cv2.remap(image, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)
    return out


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
    # float32 coefficients and the clamp of edge pixels to their source triangle: rounding-level differences only
    assert (diff <= 2).mean() > 0.9995 and diff.mean() < 0.01, (diff.max(), (diff > 2).sum())
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
