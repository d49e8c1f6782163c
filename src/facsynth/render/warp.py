"""Dense piecewise-affine image warping over a triangle mesh whose outer ring of anchor points stays fixed."""

from __future__ import annotations

import numpy as np

from .._lazy import lazy_module
from .pixel_box import padded_box

cv2 = lazy_module("cv2")

__all__ = ["piecewise_affine_map", "source_positions", "remap", "sample", "strip_triangles", "anchor_ring", "MIN_AREA"]

#: source_positions draws a triangle only when twice its area in the frame exceeds this (square pixels) and it keeps
#: its orientation; a squashed or turned-over triangle is dropped (render.antialias softens the seams it leaves).
MIN_AREA = 0.5
#: The four neighbours of a pixel, for the fringe of the index image (_index_image).
_CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8)


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

    Each triangle is rasterised at its destination position (the pixels whose centres it holds, and the uncovered
    pixels just beside its edges) and every such pixel gets the source position the triangle's affine map sends it
    to; pixels no triangle covers map to themselves, so anything outside the mesh (the background beyond the fixed
    anchor ring) has zero flow and stays exactly unchanged. Triangles later in ``triangles`` win where warped
    triangles overlap; triangles squashed below half a square pixel are skipped.

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
    # (t, 3, 2) corners: np.take copies whole rows (dst[tri] took numpy's per-row buffered path, 7x slower)
    d, s = np.take(dst, tri, axis=0), np.take(src, tri, axis=0)
    # edge vectors, (t, 2) each, subtracted as complex numbers x + iy: numpy's loops over (x, y) pairs are slow
    dc, sc = d.view(np.complex128)[..., 0], s.view(np.complex128)[..., 0]
    e1, e2, f1, f2 = (v.view(np.float64).reshape(-1, 2) for v in (dc[:, 1] - dc[:, 0], dc[:, 2] - dc[:, 0],
                                                                   sc[:, 1] - sc[:, 0], sc[:, 2] - sc[:, 0]))
    area = e1[:, 0] * e2[:, 1] - e2[:, 0] * e1[:, 1]                    # twice the signed area (unfold.signed_areas)
    src_area = f1[:, 0] * f2[:, 1] - f2[:, 0] * f1[:, 1]
    # collapsed triangles cover no pixel; a triangle turned over (a fold) would paint its mirror image on top of
    # its neighbours, so it is left out and the crack it leaves is filled from around (_fill_folds)
    keep = (np.abs(area) > MIN_AREA) & (area * src_area > 0)
    dropped = None
    if not keep.all():                                                  # np.compress: 3x faster than v[keep]
        dropped = np.concatenate([np.compress(~keep, s, axis=0), np.compress(~keep, d, axis=0)]) - (x0, y0)
        d, s, area, e1, e2, f1, f2 = (np.compress(keep, v, axis=0) for v in (d, s, area, e1, e2, f1, f2))
    # affine dst -> src per triangle, [sx, sy] = a·x + b·y + c, in closed form from the edge vectors (a batched 3×3
    # solve costs 15x more); area is twice the destination area. Looked up through an index image of the rasterised
    # triangles: per triangle the (x, y) pairs a, b, c; row 0, for pixels no triangle covers, maps each pixel to
    # itself. Computed for the source's x, then its y (column by column: 3x faster than over (x, y) pairs)
    table = np.empty((3, len(d) + 1, 2), np.float32)
    for k in (0, 1):
        fa, fb = f1[:, k], f2[:, k]
        a = (fa * e2[:, 1] - fb * e1[:, 1]) / area
        b = (fb * e1[:, 0] - fa * e2[:, 0]) / area
        table[0, 1:, k], table[1, 1:, k] = a, b
        table[2, 1:, k] = s[:, 0, k] - a * d[:, 0, 0] - b * d[:, 0, 1]
    table[:, 0] = ((1.0, 0.0), (0.0, 1.0), (0.0, 0.0))
    # the box's corner taken off each (x, y) as one complex number: numpy loops over pairs slowly, not over numbers
    rows, fringe = _index_image((d.view(np.complex128) - complex(x0, y0)).view(np.float64), (h, w))
    # each pair of float32 is read as one int64: np.take moves one 8-byte item per pixel into a contiguous (h, w, 2)
    # array (a row of 10 columns per pixel made each operation stride over 40 bytes: 2x slower); mode="clip" skips
    # the bounds check that costs np.take 3x and reads row 0 for the uncovered pixels' negative numbers, and intp
    # indices spare it a conversion on each of the 3 look-ups
    pairs = table.view(np.int64)[..., 0]                                # (3, t + 1)

    def column(k: int) -> np.ndarray:                                   # (h, 2 w): x and y of each pixel in turn
        return np.take(pairs[k], rows, mode="clip").view(np.float32)

    pos = column(0)
    pos *= np.repeat(np.arange(x0, x1, dtype=np.float32), 2)           # a·x
    term = column(1)
    term *= np.arange(y0, y1, dtype=np.float32)[:, None]                # b·y
    pos += term
    pos += column(2)
    # a pixel's centre lies in its triangle, so its source lies in the source triangle, but the fringe's pixels lie
    # outside theirs: their source is kept within the source triangle's box widened by a pixel (a squashed
    # triangle's map would send them far across the photo)
    pixel = pos.view(np.int64).reshape(-1)                              # each pixel's (x, y) as one item
    edge = np.take(pixel, fringe).view(np.float32).reshape(-1, 2)
    corners = np.take(s, rows.reshape(-1)[fringe] - 1, axis=0)          # (f, 3, 2)
    np.maximum(edge, (np.minimum(np.minimum(corners[:, 0], corners[:, 1]), corners[:, 2]) - 1).astype(np.float32),
               out=edge)
    np.minimum(edge, (np.maximum(np.maximum(corners[:, 0], corners[:, 1]), corners[:, 2]) + 1).astype(np.float32),
               out=edge)
    pixel[fringe] = edge.view(np.int64).reshape(-1)
    pos = pos.reshape(h, w, 2)
    if dropped is not None:
        _fill_folds([pos[..., 0], pos[..., 1]], (x0, y0), rows, dropped)
    return pos


def _fill_folds(maps: list[np.ndarray], origin: tuple[int, int], index: np.ndarray, dropped: np.ndarray) -> None:
    """Give pixels that the moved mesh no longer covers the mean flow of their covered neighbours, in place.

    A strongly moved region folds over its neighbour (the turned-over triangle is dropped) and lips or lids that
    meet squash their strips to nothing; either leaves uncovered pixels where a triangle was, before or after
    moving. ``maps`` holds the x and y planes of source_positions' answer, ``origin`` the box's corner (x0, y0),
    ``index`` its index image of the drawn triangles (_index_image: > 0 covered, < 0 none) and ``dropped``
    (k, 3, 2) float64 the dropped triangles' corners, pixels of the box.
    """
    h, w = index.shape
    shift = 4
    pts = np.round(dropped * (1 << shift)).astype(np.int32)
    # cracks can only lie in the dropped triangles' bounding box: they are rasterised there, moved by whole pixels,
    # with their LINE_8 outlines (~60 triangles a frame: ~60 cv2 calls cost less than the fixed ~45 numpy calls of
    # _row_spans and a running sum)
    fx0, fy0, fx1, fy1 = padded_box(pts.reshape(-1, 2) >> shift, 1, (h, w), after=2)
    if fx1 <= fx0 or fy1 <= fy0:
        return
    pts -= np.array([fx0 << shift, fy0 << shift], np.int32)
    footprint = np.zeros((fy1 - fy0, fx1 - fx0), np.uint8)
    fill, line = cv2.fillConvexPoly, cv2.LINE_8
    for tri in pts:
        fill(footprint, tri, 1, line, shift)
    found = (footprint > 0) & (index[fy0:fy1, fx0:fx1] < 0)
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


def _row_spans(corners: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pixels each triangle covers, as runs along image rows.

    A pixel belongs to a triangle when its centre (integer x, y) lies inside it or on its top or left edge:
    y_top ≤ y < y_bottom and x_left(y) ≤ x < x_right(y). Each edge's x on a row is c + y·s with its slope s and c
    taken from its upper end, the same numbers in both triangles that share it, so neighbours share no pixel and
    leave none between them.

    corners : np.ndarray [shape=(t, 3, 2)] float64 pixels (x, y); shape : (h, w) of the image, spans are clipped to it

    Returns (start, length, number), np.ndarray [shape=(r,)] intp each, one entry per row of each triangle inside the
    image: the flat index y·w + x of its first pixel (at most h·w), its length in pixels (0 for a run outside the
    image or between edges that meet) and its triangle's row in ``corners`` plus 1.
    """
    h, w = shape
    t = len(corners)
    # corners by y (then x): one sort of complex numbers instead of an argsort and two gathers
    z = np.sort(corners[:, :, 1] + 1j * corners[:, :, 0], axis=1)
    ys, xs = z.real, z.imag
    y_top, y_mid, y_bot = ys[:, 0], ys[:, 1], ys[:, 2]
    x_top, x_mid, x_bot = xs[:, 0], xs[:, 1], xs[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):                # horizontal edges: on no row
        s_long = (x_bot - x_top) / (y_bot - y_top)
        s_up = (x_mid - x_top) / (y_mid - y_top)
        s_down = (x_bot - x_mid) / (y_bot - y_mid)
        c_long, c_up, c_down = x_top - y_top * s_long, x_top - y_top * s_up, x_mid - y_mid * s_down
    # each triangle in two halves, above and below its middle corner: per half its first row (made relative to the
    # half's first run below), its left and right edges (c, s) and its number
    half = np.empty((6, 2 * t))
    left_up, left_down = s_long < s_up, s_long > s_down                # the long edge is the left one
    half[1, :t], half[1, t:] = np.where(left_up, c_long, c_up), np.where(left_down, c_long, c_down)
    half[2, :t], half[2, t:] = np.where(left_up, s_long, s_up), np.where(left_down, s_long, s_down)
    half[3, :t], half[3, t:] = np.where(left_up, c_up, c_long), np.where(left_down, c_down, c_long)
    half[4, :t], half[4, t:] = np.where(left_up, s_up, s_long), np.where(left_down, s_down, s_long)
    half[5, :t] = half[5, t:] = np.arange(1, t + 1)
    row = np.ceil(ys)                                                   # first row at or below each corner
    np.maximum(row, 0, out=row)
    np.minimum(row, h, out=row)
    first = row[:, :2].T.ravel()                                        # halves: rows [top, mid), [mid, bottom)
    count = (row[:, 1:].T.ravel() - first).astype(np.intp)
    before = np.cumsum(count)
    before -= count
    half[0] = first - before
    runs = np.repeat(half, count, axis=1)                               # one column per row of each half
    y = runs[0]
    y += np.arange(len(y))
    x_left, x_right = runs[2], runs[4]
    x_left *= y
    x_left += runs[1]
    x_right *= y
    x_right += runs[3]
    np.ceil(x_left, out=x_left)                                         # first pixel centre at or right of the edge
    np.ceil(x_right, out=x_right)
    np.maximum(x_left, 0, out=x_left)                                   # (np.clip is 10x slower on floats)
    np.minimum(x_right, w, out=x_right)
    length = x_right - x_left
    np.maximum(length, 0, out=length)                                   # empty runs kept: they paint nothing
    y *= w
    y += x_left
    np.minimum(y, h * w, out=y)                                         # an empty run right of the image
    return y.astype(np.intp), length.astype(np.intp), runs[5].astype(np.intp)


def _index_image(corners: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Which triangle each pixel shows: the index image of triangles drawn by _row_spans' rule.

    corners : np.ndarray [shape=(t, 3, 2)] float64 pixels (x, y); shape : (h, w)

    Returns the index image, np.ndarray [shape=(h, w)] intp: the triangle's row in ``corners`` plus 1, negative where
    no triangle covers the pixel, and the fringe, np.ndarray [shape=(f,)] intp: the flat indices of the pixels that
    take a triangle without holding their centre (see below).

    Where triangles overlap (turned over, or strips of the eyes and the mouth that reach over their neighbours) the
    last one in ``corners`` wins, as if drawn one after the other. An uncovered pixel beside a covered one (left,
    right, above or below) takes the largest number among those neighbours: the half-pixel outline
    cv2.fillConvexPoly(LINE_8) used to add, which keeps a hole in the mesh (the mouth's opening, a crack where a
    squashed triangle is dropped) from showing the photo's own pixel along its rim.
    """
    h, w = shape
    start, length, number = _row_spans(corners, shape)
    end = start + length
    # each run adds big + its number from its first pixel on and takes it off after its last; one running sum gives
    # the image, starting at -big: one run's number where one covers a pixel, at least big where several do
    big = 1 << max(len(corners).bit_length() + 1, 16)
    steps = np.zeros(h * w + 1, np.intp)
    steps[0] = -big
    value = number + big
    np.add.at(steps, start, value)
    np.subtract.at(steps, end, value)
    index = np.cumsum(steps[:-1])
    # of two overlapping runs one starts inside the other, so the rows where runs overlap are those of the runs whose
    # first pixel is covered twice; there each pixel takes the largest number of the runs that cover it
    late = np.flatnonzero(index.take(start, mode="clip") >= big)          # an empty run may start at h·w
    if len(late):
        rows = np.zeros(h + 1, bool)
        rows[start[late] // w] = True
        near = np.flatnonzero(rows[start // w])
        pixels = np.repeat(start[near] - (np.cumsum(length[near]) - length[near]), length[near])
        pixels += np.arange(len(pixels))
        first = pixels.min()
        pixels -= first
        top = np.zeros(pixels.max() + 1, np.intp)                       # those rows only
        np.maximum.at(top, pixels, np.repeat(number[near], length[near]))
        index[first:first + len(top)] = np.where(top > 0, top, index[first:first + len(top)])
    index = index.reshape(h, w)
    # the fringe (cv2 has no int64 images: float32 holds every number exactly)
    grown = cv2.dilate(index.astype(np.float32), _CROSS).reshape(-1)
    fringe = np.flatnonzero((index.reshape(-1) < 0) & (grown > 0))
    index.reshape(-1)[fringe] = grown[fringe]
    return index, fringe


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
