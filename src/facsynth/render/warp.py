"""Dense piecewise-affine image warping over a triangle mesh whose outer ring of anchor points stays fixed."""

from __future__ import annotations

import numpy as np

from .._lazy import lazy_module
from .pixel_box import padded_box
from .unfold import signed_areas

cv2 = lazy_module("cv2")

__all__ = ["piecewise_affine_map", "source_positions", "remap", "sample", "strip_triangles", "anchor_ring"]


def strip_triangles(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Triangulate the region between two point chains that share their end points (an eye, a mouth opening).

    lower, upper : np.ndarray [shape=(n,)], vertex indices, same length, ``lower[0] == upper[0]`` and
        ``lower[-1] == upper[-1]``

    Returns np.ndarray [shape=(2n - 4, 3)] int32 vertex indices: vertical strips, so a chain moving onto the
    other squashes the strips to zero height (an eyelid closing, lips meeting) without folds.
    """
    lower, upper = np.asarray(lower), np.asarray(upper)
    tris = []
    for i in range(len(lower) - 1):
        a, b, c, d = lower[i], lower[i + 1], upper[i], upper[i + 1]
        if a != c:
            tris.append((a, b, c))
        if b != d:
            tris.append((b, d, c))
    return np.asarray(tris, dtype=np.int32).reshape(-1, 3)


def anchor_ring(outline: np.ndarray, center: np.ndarray, margin: float, shape: tuple[int, int]) -> np.ndarray:
    """Fixed anchor points around a face: the outline pushed outwards from ``center`` by ``margin``.

    outline : np.ndarray [shape=(n, 2)], pixels, a closed contour in order (the face oval)
    center : np.ndarray [shape=(2,)], pixels
    margin : float > 0, fraction of each point's distance to ``center`` (0.35 → 35 % further out)
    shape : (H, W) of the image; anchors are clipped into it

    Returns np.ndarray [shape=(n, 2)] float32 pixels, one anchor per outline point.
    """
    ring = center + (np.asarray(outline, np.float64) - center) * (1.0 + margin)
    h, w = shape
    ring[:, 0] = np.clip(ring[:, 0], 0, w - 1)
    ring[:, 1] = np.clip(ring[:, 1], 0, h - 1)
    return ring.astype(np.float32)


def piecewise_affine_map(src: np.ndarray, dst: np.ndarray, triangles: np.ndarray, box: tuple[int, int, int, int],
                         ) -> np.ndarray:
    """Backward flow of the piecewise-affine warp taking ``src`` vertices to ``dst``, over a pixel box.

    Each triangle is rasterised at its destination position and every covered pixel gets the source position
    the triangle's affine map sends it to; pixels no triangle covers map to themselves, so anything outside
    the mesh (the background beyond the fixed anchor ring) has zero flow and stays exactly unchanged. Triangles later in
    ``triangles`` win where warped triangles overlap; triangles squashed below half a square pixel are skipped.

    Parameters
    ----------
    src, dst : np.ndarray [shape=(n, 2)], pixels (x, y), vertex positions before and after the movement
    triangles : np.ndarray [shape=(t, 3)], int vertex indices
    box : (x0, y0, x1, y1) int pixels, the region to compute (x1, y1 exclusive)

    Returns
    -------
    np.ndarray [shape=(y1 - y0, x1 - x0, 2)], float32 pixels: source position minus pixel position (x, y) for
    each pixel of the box; use with ``remap``. ``source_positions`` gives the positions themselves.
    """
    x0, y0, x1, y1 = box
    flow = source_positions(src, dst, triangles, box)
    flow[..., 0] -= np.arange(x0, x1, dtype=np.float32)
    flow[..., 1] -= np.arange(y0, y1, dtype=np.float32)[:, None]
    return flow


def source_positions(src: np.ndarray, dst: np.ndarray, triangles: np.ndarray, box: tuple[int, int, int, int],
                     ) -> np.ndarray:
    """The pixel of the source image that each pixel of ``box`` shows after the piecewise-affine warp taking
    ``src`` vertices to ``dst``: ``piecewise_affine_map``'s flow plus the pixel's own position, ready for
    ``sample`` (cv2.remap) without a flow in between. Arguments as ``piecewise_affine_map``.

    Returns np.ndarray [shape=(y1 - y0, x1 - x0, 2)] float32 pixels (x, y), in the coordinates ``src``, ``dst`` and
    ``box`` share (cv2.remap's two-channel map); a pixel no triangle covers maps to itself.
    """
    x0, y0, x1, y1 = box
    h, w = y1 - y0, x1 - x0
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    tri = np.asarray(triangles, np.int64)
    d = dst[tri]                                                        # (t, 3, 2)
    s = src[tri]
    area, src_area = signed_areas(dst, tri), signed_areas(src, tri)
    # collapsed triangles cover no pixel; a triangle turned over (a fold) would paint its mirror image on top of
    # its neighbours, so it is left out and the crack it leaves is filled from around (_fill_folds)
    keep = (np.abs(area) > 0.5) & (area * src_area > 0)
    dropped = None
    if not keep.all():
        dropped = np.concatenate([s[~keep], d[~keep]]) - (x0, y0)
        d, s, area = d[keep], s[keep], area[keep]
    det = area[:, None]
    # affine dst -> src per triangle, [sx, sy] = a·x + b·y + c, in closed form from the edge vectors (a batched 3×3
    # solve costs 15x more); det is twice the destination area. Looked up through an index image of the rasterised
    # triangles: per triangle the (x, y) pairs a, b, c, then the source triangle's box widened by a pixel, lo and hi
    # (rasterised edges reach slightly outside a triangle, so their source is kept inside it); row 0, for pixels no
    # triangle covers, maps each pixel to itself with no bound
    e1, e2 = d[:, 1] - d[:, 0], d[:, 2] - d[:, 0]                       # (t, 2) each
    f1, f2 = s[:, 1] - s[:, 0], s[:, 2] - s[:, 0]
    table = np.empty((5, len(d) + 1, 2), np.float32)
    a = (f1 * e2[:, 1:] - f2 * e1[:, 1:]) / det
    b = (f2 * e1[:, :1] - f1 * e2[:, :1]) / det
    table[0, 1:], table[1, 1:] = a, b
    table[2, 1:] = s[:, 0] - a * d[:, 0, :1] - b * d[:, 0, 1:]
    table[:, 0] = ((1.0, 0.0), (0.0, 1.0), (0.0, 0.0), (-np.inf, -np.inf), (np.inf, np.inf))
    table[3, 1:] = np.minimum(np.minimum(s[:, 0], s[:, 1]), s[:, 2]) - 1   # s.min(axis=1): 10x slower
    table[4, 1:] = np.maximum(np.maximum(s[:, 0], s[:, 1]), s[:, 2]) + 1
    index = np.zeros((h, w), np.int32)
    shift = 4
    pts = np.round((d - (x0, y0)) * (1 << shift)).astype(np.int32)
    fill, line = cv2.fillConvexPoly, cv2.LINE_8                         # ~800 calls a frame: keep each one plain
    for k, corners in enumerate(pts, 1):
        fill(index, corners, k, line, shift)
    # each pair of float32 is read as one int64: np.take moves one 8-byte item per pixel into a contiguous (h, w, 2)
    # array (a row of 10 columns per pixel made each operation stride over 40 bytes: 2x slower); mode="clip" skips
    # the bounds check that costs np.take 3x (every index is a row of the table), and intp indices spare it a
    # conversion of the int32 ones on each of the 5 look-ups
    pairs = table.view(np.int64)[..., 0]                                # (5, t + 1)
    rows = index.astype(np.intp)

    def column(k: int) -> np.ndarray:                                   # (h, 2 w): x and y of each pixel in turn
        return np.take(pairs[k], rows, mode="clip").view(np.float32)

    pos = column(0)
    pos *= np.repeat(np.arange(x0, x1, dtype=np.float32), 2)           # a·x
    term = column(1)
    term *= np.arange(y0, y1, dtype=np.float32)[:, None]                # b·y
    pos += term
    pos += column(2)
    np.maximum(pos, column(3), out=pos)                                 # np.clip, without its overhead
    np.minimum(pos, column(4), out=pos)
    pos = pos.reshape(h, w, 2)
    if dropped is not None:
        _fill_folds([pos[..., 0], pos[..., 1]], (x0, y0), index, dropped, shift)
    return pos


def _fill_folds(maps: list[np.ndarray], origin: tuple[int, int], index: np.ndarray, dropped: np.ndarray,
                shift: int) -> None:
    """Give pixels that the moved mesh no longer covers the mean flow of their covered neighbours, in place.

    A strongly moved region folds over its neighbour (the turned-over triangle is dropped) and lips or lids that
    meet squash their strips to nothing; either leaves uncovered pixels where a triangle was, before or after
    moving. ``maps`` holds the x and y planes of source_positions' answer, ``origin`` the box's corner (x0, y0), ``index`` its
    index image of the drawn triangles (0: none) and ``dropped`` (k, 3, 2) the dropped triangles' corners, pixels
    of the box.
    """
    h, w = index.shape
    pts = np.round(dropped * (1 << shift)).astype(np.int32)
    # cracks can only lie in the dropped triangles' bounding box: they are rasterised there, moved by whole pixels
    fx0, fy0, fx1, fy1 = padded_box(pts.reshape(-1, 2) >> shift, 1, (h, w), after=2)
    if fx1 <= fx0 or fy1 <= fy0:
        return
    pts -= np.array([fx0 << shift, fy0 << shift], np.int32)
    footprint = np.zeros((fy1 - fy0, fx1 - fx0), np.uint8)
    fill, line = cv2.fillConvexPoly, cv2.LINE_8
    for tri in pts:
        fill(footprint, tri, 1, line, shift)
    found = (footprint > 0) & (index[fy0:fy1, fx0:fx1] == 0)
    if not found.any():
        return
    ys, xs = np.nonzero(found)
    ys += fy0
    xs += fx0
    y0, x0 = max(ys.min() - 12, 0), max(xs.min() - 12, 0)
    sub = (slice(y0, ys.max() + 13), slice(x0, xs.max() + 13))
    sh, sw = maps[0][sub].shape
    own = (np.arange(x0, x0 + sw, dtype=np.float32)[None, :] + np.float32(origin[0]),
           np.arange(y0, y0 + sh, dtype=np.float32)[:, None] + np.float32(origin[1]))
    f = np.stack([maps[c][sub] - own[c] for c in (0, 1)], axis=-1)     # the flow there
    crack = np.zeros(f.shape[:2], bool)
    crack[ys - y0, xs - x0] = True
    weight = (index[sub] > 0).astype(np.float32)
    for _ in range(8):                                                  # grow inwards until every crack is filled
        num = cv2.blur(f * weight[..., None], (5, 5))
        den = cv2.blur(weight, (5, 5))
        grow = crack & (den > 1e-6) & (weight == 0)
        f[grow] = num[grow] / den[grow][:, None]
        weight[grow] = 1.0
        if not (crack & (weight == 0)).any():
            break
    for c in (0, 1):
        maps[c][sub][crack] = (f[..., c] + own[c])[crack]


def remap(image: np.ndarray, flow: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Apply a backward flow to ``image`` inside ``box``; pixels with zero flow and outside the box stay unchanged.

    image : np.ndarray [shape=(H, W, C)], uint8
    flow : np.ndarray [shape=(h, w, 2)] float32 from piecewise_affine_map. A flow computed at a lower resolution
        (a box scaled by ``s``) is resized to the box and divided by ``s`` — how very large photos are processed.
    box : (x0, y0, x1, y1) int pixels of ``image``

    Returns a new array like ``image``.
    """
    x0, y0, x1, y1 = box
    h, w = y1 - y0, x1 - x0
    if flow.shape[:2] != (h, w):
        sx, sy = w / flow.shape[1], h / flow.shape[0]
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) * np.float32([sx, sy])
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    out = image.copy()
    out[y0:y1, x0:x1] = cv2.remap(image, flow[..., 0] + xs, flow[..., 1] + ys, cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)
    return out


def sample(image: np.ndarray, positions: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """``image`` with the pixels of ``box`` taken from the source ``positions`` (source_positions, np.ndarray
    [shape=(h, w, 2)] float32 (x, y) pixels of ``image``), bilinearly; pixels outside the box stay unchanged.

    image : np.ndarray [shape=(H, W, C)], uint8; box : (x0, y0, x1, y1) int pixels of ``image``

    Returns a new array like ``image``.
    """
    x0, y0, x1, y1 = box
    out = image.copy()
    out[y0:y1, x0:x1] = cv2.remap(image, positions, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out
