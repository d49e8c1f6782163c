"""Soft seams of the piecewise-affine warp: where lips or lids meet, or a squashed or turned-over triangle is
dropped, the map jumps from one side's picture to the other's; the pixels along such a seam are blended across
it instead of showing a pixel staircase."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._lazy import lazy_module
from .warp import MIN_AREA

cv2 = lazy_module("cv2")

__all__ = ["SeamPairs", "seam_pairs", "seam_edges", "smooth_seams", "JUMP", "SEAM_WIDTH", "SEAM_BLUR"]

#: An edge is a seam when the triangle beyond it is dropped by the warp and spans more than this many pixels of the
#: photo over it: the map jumps across the edge by at least that much.
JUMP = 1.0
#: Width (pixels) of the band along a seam that is blurred, and the blur (Gaussian sigma, pixels): about the
#: softness of a photo's own edges. The band reaches past where the blur changes a pixel visibly (1.5 px from a
#: seam a sigma of 0.8 px moves 3 % of the step), so its own edge shows no step.
SEAM_WIDTH = 3
SEAM_BLUR = 0.8


@dataclass(frozen=True)
class SeamPairs:
    """The edges across which the warp's map can jump, for one mesh and photo (``seam_pairs``; a photo rig keeps
    them): edges between a triangle that may be dropped (not skin) and spans more than ``JUMP`` pixels of the photo
    over the edge, and its neighbour.

    loose : (k,) int, the triangles on these edges that may be dropped; corners : (3, k) int, their vertices
    src_sign : (k,) float, the sign of their area in the photo (their orientation)
    side : (e, 2) int, each edge's two triangles as rows of ``loose``, −1 for skin (always drawn)
    tall : (e, 2) bool, which of the two may be dropped and spans more than ``JUMP`` pixels of the photo over it
    ends : (e, 2) int, the edge's vertices
    """

    loose: np.ndarray
    corners: np.ndarray
    src_sign: np.ndarray
    side: np.ndarray
    tall: np.ndarray
    ends: np.ndarray


def seam_pairs(src: np.ndarray, triangles: np.ndarray, skin: np.ndarray) -> SeamPairs:
    """The SeamPairs of a mesh: what of the seams depends on the photo alone, computed once per photo.

    src : np.ndarray [shape=(n, 2)] pixels, the vertices on the photo
    triangles : np.ndarray [shape=(t, 3)] int, the whole mesh
    skin : np.ndarray [shape=(s, 3)] int, rows of ``triangles`` that never turn over or collapse (render.unfold keeps
        them), so only the others (eye and mouth openings, the red of the lips) can be dropped
    """
    tri = np.asarray(triangles, np.int64)
    steady = {tuple(sorted(t)) for t in np.asarray(skin, np.int64).tolist()}
    loose = np.array([i for i, t in enumerate(tri.tolist()) if tuple(sorted(t)) not in steady], np.int64)
    row = np.full(len(tri), -1, np.int64)
    row[loose] = np.arange(len(loose))
    owner = np.repeat(np.arange(len(tri)), 3)
    a, b, c = tri[:, [0, 1, 2]].ravel(), tri[:, [1, 2, 0]].ravel(), tri[:, [2, 0, 1]].ravel()
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys = lo * (int(tri.max()) + 1) + hi
    order = np.argsort(keys, kind="stable")
    starts = np.flatnonzero(np.r_[True, keys[order][1:] != keys[order][:-1]])
    shared = starts[np.diff(np.r_[starts, len(keys)]) == 2]               # edges of exactly two triangles
    first, second = order[shared], order[shared + 1]
    ends = np.stack([lo[first], hi[first]], axis=1)
    off = np.stack([c[first], c[second]], axis=1)
    p = np.asarray(src, np.float64)
    length = np.maximum(np.hypot(*(p[ends[:, 1]] - p[ends[:, 0]]).T), 1e-6)
    e, f = p[ends[:, 1]] - p[ends[:, 0]], p[off] - p[ends[:, 0]][:, None]
    height = np.abs(e[:, None, 0] * f[..., 1] - e[:, None, 1] * f[..., 0]) / length[:, None]
    # a side that may be dropped and is tall enough in the photo for the map to jump across it
    tall = (np.stack([row[owner[first]], row[owner[second]]], axis=1) >= 0) & (height > JUMP)
    keep = tall.any(axis=1)
    first, second, ends, tall = first[keep], second[keep], ends[keep], tall[keep]
    both = np.concatenate([owner[first], owner[second]])
    loose = np.unique(both[row[both] >= 0])
    row = np.full(len(tri), -1, np.int64)
    row[loose] = np.arange(len(loose))
    corners = tri[loose].T.copy()
    q = p[corners]                                                         # (3, k, 2)
    src_area = ((q[1, :, 0] - q[0, :, 0]) * (q[2, :, 1] - q[0, :, 1])
                - (q[2, :, 0] - q[0, :, 0]) * (q[1, :, 1] - q[0, :, 1]))
    side = np.stack([row[owner[first]], row[owner[second]]], axis=1)
    return SeamPairs(loose, corners, np.sign(src_area), side, tall, ends)


def seam_edges(pairs: SeamPairs, dst: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """The seams of the warp that takes the photo's vertices to ``dst``, shape (m, 2, 2) float64: each edge's two
    ends (x, y), pixels.

    pairs : the mesh's SeamPairs (``seam_pairs`` of the photo's vertices, the triangles and the skin)
    dst : np.ndarray [shape=(n, 2)] pixels, the vertices after moving
    moved : np.ndarray [shape=(t,)] bool, the triangles the warp draws (the others map to themselves)

    A seam is an edge between a triangle the warp draws and one it drops (render.warp.source_positions: squashed
    below ``warp.MIN_AREA``, or turned over) that spans more than ``JUMP`` pixels of the photo over the edge: across
    it the map jumps from one side's picture to the other's by at least that much.
    """
    q = dst[pairs.corners]                                                 # (3, k, 2)
    d1, d2 = q[1] - q[0], q[2] - q[0]
    area = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    # drawn: not moved, or big enough with the photo's orientation; the last entry stands for skin (row −1)
    drawn = np.empty(len(area) + 1, bool)
    drawn[-1] = True
    np.greater(area * pairs.src_sign, MIN_AREA, out=drawn[:-1])
    drawn[:-1] |= ~moved[pairs.loose]
    side = drawn[pairs.side]
    one, two = side[:, 0], side[:, 1]
    seam = (one & ~two & pairs.tall[:, 1]) | (two & ~one & pairs.tall[:, 0])
    return dst[pairs.ends[seam]]


def smooth_seams(out: np.ndarray, edges: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Blend, in place, the pixels along each seam ``edges`` (seam_edges) across it.

    out : np.ndarray [shape=(H, W, 3)] uint8, the warped frame, modified in place
    edges : np.ndarray [shape=(m, 2, 2)] pixels, the seams' ends (x, y)
    box : (x0, y0, x1, y1) int pixels: only pixels inside it change

    The warp gives each pixel the picture of the one triangle its centre falls in, so along a seam each pixel takes
    one side whole: a pixel staircase, crisper than anything else in a photo. Along each seam, in a band
    ``SEAM_WIDTH`` pixels wide, the frame is replaced by its own Gaussian blur of sigma ``SEAM_BLUR`` pixels: a
    pixel there takes both sides' colours by how near it lies to each, and the seam is as soft as a photo's own
    edges.
    """
    if not len(edges):
        return
    pts = edges.reshape(-1, 2)
    low, high = pts.min(axis=0), pts.max(axis=0)
    pad = int(SEAM_WIDTH + 3 * SEAM_BLUR) + 2
    x0, y0 = max(int(low[0]) - pad, box[0]), max(int(low[1]) - pad, box[1])
    x1, y1 = min(int(high[0]) + pad + 1, box[2]), min(int(high[1]) + pad + 1, box[3])
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    band = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.polylines(band, np.round((edges - (x0, y0)) * 16).astype(np.int32), False, 1, SEAM_WIDTH, cv2.LINE_8,
                  shift=4)
    region = np.ascontiguousarray(out[y0:y1, x0:x1])
    cv2.copyTo(cv2.GaussianBlur(region, (5, 5), SEAM_BLUR), band, region)
    out[y0:y1, x0:x1] = region
