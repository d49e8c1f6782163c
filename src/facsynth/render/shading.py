"""Soft shading where skin folds: forehead lines (AU1, AU2), brow furrows (AU4), crow's feet and the lower-lid
furrow (AU6), nose wrinkles (AU9), nasolabial folds (AU10, AU12), chin boss (AU17)."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .._lazy import lazy_module
from .pixel_box import padded_box

cv2 = lazy_module("cv2")

__all__ = ["shade_folds", "fold_strokes", "glabella_lines", "forehead_span", "shade_folds_on_side", "nasolabial_lines",
           "cheek_lines", "nose_wrinkle_lines", "shade_nose_wrinkles"]

# MediaPipe indices used to place the folds (subject's right, then left)
_BROW_INNER = (55, 285)
_NOSE_TOP, _NOSE_MID = 168, 195
_BRIDGE_SIDE = (122, 351)
_ALAR = (129, 358)
_LIP_CORNER = (61, 291)
_NOSE_TIP = 1
_EYE_OUTER = (33, 263)
_EYE_INNER = (133, 362)
_LOWER_LID = ((145, 153, 154), (374, 380, 381))
_BROW_TOP = (66, 296)
_CHIN = 152
_LOWER_LIP = 17


#: shade_folds: where the brow furrows (AU4) lie between the inner brows (shares of the way from one inner brow to
#: the other), and how far above the brows the forehead lines (AU1, AU2) run (inter-ocular distances)
_FURROWS = np.array([0.3, 0.7])[:, None]
#: glabella_lines: the brow furrows run up the face from this far below the brows' lower edge to this far above it,
#: their upper ends this much further apart than their lower ones (inter-ocular distances). The FACS manual has
#: AU4's furrows vertical (or oblique) between the brows, above the nose's root, not down into it.
_FURROW_SPAN = (0.03, 0.2)
_FURROW_SPREAD = 0.03
_FURROW_DARK = 0.32
_FOREHEAD_LINES = np.array([0.22, 0.38, 0.54])[:, None]
#: shade_folds: the share of the forehead's width (1.3 × the distance between the brows' tops) that AU1's lines cover
#: without AU2. The FACS manual (Ekman, Friesen & Hager 2002) has AU1's wrinkles in the centre of the forehead, 1 + 2's
#: across it, and AU4 holding 1 + 2 + 4's to the centre (fear's forehead, against surprise's): the lines reach out
#: in proportion to AU2 over AU1, and up to half of that less as AU4 comes up to AU1 (``forehead_span``).
_CENTRAL_LINES = 0.4


def shade_folds(image: np.ndarray, points: np.ndarray, intensities: Mapping[int, float], scale: float) -> None:
    """Darken thin soft lines where skin folds, in place, with depth proportional to the AU intensity.

    Parameters
    ----------
    image : np.ndarray [shape=(H, W, 3)], uint8 RGB, modified in place
    points : np.ndarray [shape=(n ≥ 468, 2)], pixels, the expressed landmark positions
    intensities : {AU: FACS intensity 0–5}; AU1, AU2, AU4, AU6, AU9, AU10, AU12 and AU17 draw folds, others are
        ignored
    scale : float > 0, pixels per face unit (inter-ocular distance), sets line width and blur

    The strokes (``fold_strokes``) are drawn antialiased, each as dark as its own darkness where it is darkest
    (the darkest stroke wins where they cross), blurred, and multiply the pixels: v · (1 − shade) + 0.5, truncated.
    """
    nose = float(intensities.get(9, 0.0)) / 5.0
    p = np.asarray(points, np.float64)
    if nose > 0:
        shade_nose_wrinkles(image, p, nose, scale)
    strokes = fold_strokes(p, intensities, scale)
    if not strokes:
        return
    width = max(1, int(round(0.025 * scale)))
    # each stroke is drawn only in the part of the region its line can touch (an antialiased line reaches
    # ``reach`` pixels beyond its points), moved there by whole pixels, which leaves its rasterisation unchanged
    reach = width + 3
    sizes = [len(line) for line, _ in strokes]
    starts = np.cumsum([0, *sizes[:-1]])
    fixed = np.round(np.concatenate([s for s, _ in strokes]) * 16).astype(np.int32)   # 1/16 pixel, image coords
    lo = np.maximum((np.minimum.reduceat(fixed, starts) >> 4) - reach, 0).astype(np.int32)
    hi = np.minimum((np.maximum.reduceat(fixed, starts) >> 4) + reach + 1, image.shape[1::-1])
    sigma = max(0.6, 0.02 * scale)
    drawn = ~_faint(np.array([dark for _, dark in strokes]), lo, hi, int(4 * sigma) + 2) & (hi > lo).all(axis=1)
    if not drawn.any():
        return
    # the region spans the drawn strokes only: it reaches far enough past their blurred lines that its edges hold
    # no shade, so the faint strokes' points (which often lie far from the others) need not widen it
    fixed -= np.repeat(lo << 4, sizes, axis=0)                       # each stroke in its own box
    bounds = [*starts.tolist(), len(fixed)]
    kept = [k for k in range(len(strokes)) if drawn[k]]
    x0, y0, x1, y1 = padded_box(np.concatenate([strokes[k][0] for k in kept]), int(0.2 * scale) + 4, image.shape)
    shade = np.zeros((y1 - y0, x1 - x0), np.float32)
    for k, (lx0, ly0), (lx1, ly1) in zip(kept, (lo[kept] - (x0, y0)).tolist(), (hi[kept] - (x0, y0)).tolist()):
        layer = np.zeros((ly1 - ly0, lx1 - lx0), np.float32)
        cv2.polylines(layer, [fixed[bounds[k]:bounds[k + 1]]], False, 1.0, width, cv2.LINE_AA, shift=4)
        layer *= np.float32(strokes[k][1])
        part = shade[ly0:ly1, lx0:lx1]
        np.maximum(part, layer, out=part)
    shade = cv2.GaussianBlur(shade, (0, 0), sigma)
    # pixels without shade keep their value (v * 1 + 0.5, truncated); only the rows and columns with some change
    rows, cols = np.flatnonzero(shade.any(axis=1)), np.flatnonzero(shade.any(axis=0))
    if not len(rows):
        return
    sy, sx = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    target = image[y0:y1, x0:x1][sy, sx]
    region = target.astype(np.float32)
    light = 1.0 - shade[sy, sx]
    region *= cv2.merge((light, light, light))        # one channel per colour: numpy's broadcast costs 3x more
    # 0 ≤ shade < 1 (the darkest stroke takes 0.32 of the light), so v · (1 − s) + 0.5 lies in [0.5, 255.5]: the
    # cast truncates it to 0–255 without clipping
    region += 0.5
    target[...] = region


#: Darkness of the nose wrinkles at AU9 intensity 5 (share of the light a crease takes away), the strength of the
#: faint highlight on the skin bunched up above each crease, and their width and blur (fractions of the
#: inter-ocular distance): thin, separate creases, not one band.
NOSE_CREASE = 0.22
NOSE_RIDGE = 0.06
NOSE_CREASE_WIDTH = 0.014
NOSE_CREASE_BLUR = 0.01


#: nose_wrinkle_lines: the creases across the root (distance below the nose root, half-length; inter-ocular
#: distances), the middle one longest, and where the oblique ones down each side of the bridge start
_ROOT_CREASES = np.array([[0.03, 0.045], [0.075, 0.06], [0.12, 0.05]])
_SIDE_CREASES = np.array([0.16, 0.22])[:, None]


def nose_wrinkle_lines(points: np.ndarray, scale: float) -> np.ndarray:
    """Where AU9 wrinkles the nose (FACS: across the root and along the sides of the bridge): three short creases
    across the root, slightly arched, then two oblique ones down each side, polylines (7, 3, 2) pixels.

    points : np.ndarray [shape=(n ≥ 468, 2)], pixels, landmarks; scale : float > 0, pixels per inter-ocular distance
    """
    p = np.asarray(points, np.float64)
    top, mid = p[_NOSE_TOP], p[_NOSE_MID]
    down = (mid - top) / max(float(np.linalg.norm(mid - top)), 1e-6)
    across = _across(down)
    lines = np.empty((7, 3, 2))
    c = top + down * _ROOT_CREASES[:, :1] * scale                # across the root
    arch = down * 0.012 * scale
    half = across * _ROOT_CREASES[:, 1:] * scale
    lines[:3, 0], lines[:3, 1], lines[:3, 2] = c - half + arch, c, c + half + arch
    for s, side in enumerate(_BRIDGE_SIDE):                        # obliquely down the sides of the bridge
        out = p[side] - (top + down * float(np.dot(p[side] - top, down)))
        out /= max(float(np.linalg.norm(out)), 1e-6)
        start = top + down * _SIDE_CREASES * scale + out * 0.045 * scale
        end = start + (out * 0.05 + down * 0.045) * scale
        lines[3 + 2 * s:5 + 2 * s, 0], lines[3 + 2 * s:5 + 2 * s, 2] = start, end
        lines[3 + 2 * s:5 + 2 * s, 1] = (start + end) / 2 + (out * 0.01 - down * 0.01) * scale
    return lines


def fold_strokes(points: np.ndarray, intensities: Mapping[int, float], scale: float
                 ) -> list[tuple[np.ndarray, float]]:
    """The lines ``shade_folds`` draws besides AU9's nose wrinkles: (polyline (k, 2) pixels, darkness 0–1) for each
    stroke of the brow furrows (AU4), forehead lines (AU1, AU2), crow's feet and lower-lid furrows (AU6),
    nasolabial folds (AU10, AU12) and chin boss (AU17) that the intensities ask for; empty when none.

    points : np.ndarray [shape=(n ≥ 468, 2)], pixels, landmarks; intensities : {AU: FACS intensity 0–5};
    scale : float > 0, pixels per inter-ocular distance
    """
    p = np.asarray(points, np.float64)
    brow = float(intensities.get(4, 0.0)) / 5.0
    naso = max(float(intensities.get(12, 0.0)), float(intensities.get(10, 0.0))) / 5.0
    lift = max(float(intensities.get(1, 0.0)), float(intensities.get(2, 0.0))) / 5.0
    cheek = float(intensities.get(6, 0.0)) / 5.0
    chin = float(intensities.get(17, 0.0)) / 5.0
    strokes: list[tuple[np.ndarray, float]] = []
    if brow > 0:
        strokes += [(line, _FURROW_DARK * brow) for line in glabella_lines(p, scale)]
    if lift > 0:                                                   # horizontal lines across the forehead
        a, b = p[_BROW_TOP[0]], p[_BROW_TOP[1]]
        up = _across(b - a, towards_y=-1.0)                        # towards the top of the image
        off = up * _FOREHEAD_LINES * scale                         # three lines, one above the other
        half = (b - a) * 0.65 * forehead_span(intensities)
        lines = np.empty((3, 3, 2))
        lines[:, 0], lines[:, 2] = (a + b) / 2 + off - half, (a + b) / 2 + off + half
        lines[:, 1] = (a + b) / 2 + off + up * 0.03 * scale
        strokes += [(line, 0.16 * lift) for line in lines]
    if cheek > 0:                                                  # crow's feet and the furrow below the lower lid
        feet, furrows = cheek_lines(p, scale)
        strokes += [(line, 0.22 * cheek) for line in feet] + [(line, 0.2 * cheek) for line in furrows]
    if naso > 0:
        strokes += [(line, 0.32 * naso) for line in nasolabial_lines(p, scale)]
    if chin > 0:                                                   # the chin boss pushed up under the lower lip
        c, lip = p[_CHIN], p[_LOWER_LIP]
        mid = lip + (c - lip) * 0.35
        across = _across(c - lip)
        strokes.append((np.stack([mid - across * 0.22 * scale, mid + (lip - c) * 0.08, mid + across * 0.22 * scale]),
                        0.2 * chin))
    return strokes


def glabella_lines(points: np.ndarray, scale: float) -> list[np.ndarray]:
    """Where AU4 furrows the skin between the brows: two near-vertical polylines (3, 2) pixels, each a share
    ``_FURROWS`` of the way between the inner brows, running up the face from just below the brows' lower edge and
    a little apart upwards (the "11" of a frown), the person's right first.

    points : np.ndarray [shape=(n ≥ 468, 2)], pixels, landmarks; scale : float > 0, pixels per inter-ocular distance
    """
    p = np.asarray(points, np.float64)
    a, b = p[_BROW_INNER[0]], p[_BROW_INNER[1]]
    up = _across(b - a, towards_y=-1.0)                             # up the face, at right angles to the brows
    out = (b - a) / max(float(np.linalg.norm(b - a)), 1e-6) * np.array([[-1.0], [1.0]])   # away from the midline
    base = a + (b - a) * _FURROWS
    low, high = _FURROW_SPAN
    lines = np.empty((2, 3, 2))
    lines[:, 0] = base - up * low * scale
    lines[:, 2] = base + (up * high + out * _FURROW_SPREAD) * scale
    lines[:, 1] = (lines[:, 0] + lines[:, 2]) / 2 + out * 0.006 * scale
    return list(lines)


def forehead_span(intensities: Mapping[int, float]) -> float:
    """The share (``_CENTRAL_LINES``–1) of the forehead's width that the forehead lines of AU1 and AU2 cover: all
    of it for AU2 alone or 1 + 2, the centre for AU1 alone, and less with AU4 (1 + 2 + 4, 1 + 4).

    intensities : {AU: FACS intensity 0–5}
    """
    inner, outer, lowerer = (max(float(intensities.get(a, 0.0)), 0.0) for a in (1, 2, 4))
    if inner <= 0:
        return 1.0
    share = min(outer / inner, 1.0) * (1.0 - 0.5 * min(lowerer / inner, 1.0))
    return _CENTRAL_LINES + (1.0 - _CENTRAL_LINES) * share


def shade_nose_wrinkles(image: np.ndarray, points: np.ndarray, nose: float, scale: float) -> None:
    """Draw AU9's nose wrinkles in place: thin creases (``nose_wrinkle_lines``) darkened in the skin's own colour
    (each channel by the share of it the surrounding skin has, so the crease deepens the skin tone instead of
    greying it), with a faint highlight (a few per cent more light) on the skin bunched up just above each.

    image : np.ndarray [shape=(H, W, 3)], uint8 RGB; points : (n ≥ 468, 2) pixels, the expressed landmarks;
    nose : AU9 intensity / 5, 0–1; scale : float > 0, pixels per inter-ocular distance
    """
    lines = nose_wrinkle_lines(points, scale)
    x0, y0, x1, y1 = padded_box(lines.reshape(-1, 2), int(0.1 * scale) + 4, image.shape)
    if x1 <= x0 or y1 <= y0:
        return
    top, mid = points[_NOSE_TOP], points[_NOSE_MID]
    up = (top - mid) / max(float(np.linalg.norm(top - mid)), 1e-6)
    crease = np.zeros((y1 - y0, x1 - x0), np.float32)
    ridge = np.zeros_like(crease)
    width = max(1, int(round(NOSE_CREASE_WIDTH * scale)))
    for layer, shift in ((crease, 0.0), (ridge, 0.02 * scale)):           # all lines of a layer in one call
        fixed = np.round((lines + up * shift - (x0, y0)) * 16).astype(np.int32)
        cv2.polylines(layer, list(fixed), False, 1.0, width, cv2.LINE_AA, shift=4)
    sigma = max(0.8, NOSE_CREASE_BLUR * scale)
    crease = cv2.GaussianBlur(crease, (0, 0), sigma) * np.float32(NOSE_CREASE * nose)
    ridge = cv2.GaussianBlur(ridge, (0, 0), 1.5 * sigma) * np.float32(NOSE_RIDGE * nose)
    ridge *= 1.0 - np.minimum(crease / max(NOSE_CREASE * nose, 1e-6) * 3, 1.0)  # no highlight over a crease
    region = image[y0:y1, x0:x1].astype(np.float32)
    skin = cv2.GaussianBlur(region, (0, 0), max(1.0, 0.04 * scale))
    # pixels with neither crease nor highlight keep their value (v * 1 * 1 + 0.5, truncated): only the rows and
    # columns with some change are composed
    some = (crease != 0) | (ridge != 0)
    rows, cols = np.flatnonzero(some.any(axis=1)), np.flatnonzero(some.any(axis=0))
    if not len(rows):
        return
    sy, sx = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    skin, region, crease, ridge = skin[sy, sx], region[sy, sx], crease[sy, sx], ridge[sy, sx]
    strongest = np.maximum(np.maximum(skin[..., 0], skin[..., 1]), skin[..., 2])   # skin.max(axis=2), faster
    tone = skin / np.maximum(strongest, 1.0)[..., None]                    # 1 in the skin's strongest channel
    # a crease takes more of the weaker channels: the shadow keeps and deepens the skin's hue
    region *= 1.0 - crease[..., None] * (2.2 - 1.2 * tone)
    region *= 1.0 + ridge[..., None]
    region += 0.5
    image[y0:y1, x0:x1][sy, sx] = np.clip(region, 0, 255).astype(np.uint8)


def shade_folds_on_side(image: np.ndarray, points: np.ndarray, intensities: Mapping[int, float], scale: float,
                        side: str) -> None:
    """``shade_folds`` for AUs that act on one side only (``AUTrack.sides``), in place: the folds are drawn as for
    both sides and kept on the person's own ``side`` ("L" or "R") of the face's midline (nose root to chin),
    faded out over 0.1 inter-ocular units across it, so the other half keeps its pixels exactly."""
    shaded = image.copy()
    shade_folds(shaded, points, intensities, scale)
    changed = np.any(shaded != image, axis=2)
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    if not len(rows):
        return
    ys, xs = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    p = np.asarray(points, np.float64)
    top, axis = p[_NOSE_TOP], p[_CHIN] - p[_NOSE_TOP]
    normal = np.array([-axis[1], axis[0]]) / max(float(np.hypot(*axis)), 1e-6)
    if np.dot(p[_EYE_OUTER[1]] - top, normal) < 0:              # towards the person's own left eye
        normal = -normal
    if side == "R":
        normal = -normal
    yy, xx = np.mgrid[ys, xs]
    across = (xx - top[0]) * normal[0] + (yy - top[1]) * normal[1]
    weight = np.clip(0.5 + across / (0.1 * scale), 0.0, 1.0)[..., None]
    region = image[ys, xs].astype(np.float32)
    region += weight * (shaded[ys, xs].astype(np.float32) - region)
    image[ys, xs] = np.round(region).astype(np.uint8)


def nasolabial_lines(points: np.ndarray, scale: float) -> list[np.ndarray]:
    """Where the nasolabial folds run, from beside each nose wing to just beyond the lip corner: two polylines
    (3, 2) pixels, the person's right side first.

    points : np.ndarray [shape=(n ≥ 468, 2)], pixels, landmarks; scale : float > 0, pixels per inter-ocular distance
    """
    p = np.asarray(points, np.float64)
    tip = p[_NOSE_TIP]
    a, c = p[list(_ALAR)], p[list(_LIP_CORNER)]                      # (2, 2) each, the person's right first
    out = c - tip
    out /= np.array([[max(np.linalg.norm(out[0]), 1e-6)], [max(np.linalg.norm(out[1]), 1e-6)]])
    lines = np.empty((2, 3, 2))
    lines[:, 0], lines[:, 2] = a + (a - tip) * 0.15, c + out * 0.12 * scale
    lines[:, 1] = (lines[:, 0] + lines[:, 2]) / 2 + out * 0.06 * scale
    return list(lines)


#: cheek_lines: the directions of the crow's feet, turned from the outer eye corner's outward direction
#: towards the cheek by these angles (rad), as (cos, sin) pairs
_FEET_TURN = np.array([[np.cos(ang), np.sin(ang)] for ang in (-0.35, 0.0, 0.35)])


def cheek_lines(points: np.ndarray, scale: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Where a cheek raise (AU6) creases the skin: crow's feet (three rays (2, 2) from each outer eye corner) and
    the furrow below each lower lid (a polyline (5, 2) from the inner to the outer corner), pixels.

    points : np.ndarray [shape=(n ≥ 468, 2)], pixels, landmarks; scale : float > 0, pixels per inter-ocular distance
    """
    p = np.asarray(points, np.float64)
    feet, furrows = np.empty((2, 3, 2, 2)), np.empty((2, 5, 2))
    for e, (outer, inner, lid) in enumerate(zip(_EYE_OUTER, _EYE_INNER, _LOWER_LID)):
        o, i = p[outer], p[inner]
        out = (o - i) / max(np.linalg.norm(o - i), 1e-6)
        down = _across(out, towards_y=1.0)
        d = out * _FEET_TURN[:, :1] + down * _FEET_TURN[:, 1:]
        start = o + out * 0.06 * scale
        feet[e, :, 0], feet[e, :, 1] = start, start + d * 0.22 * scale
        furrows[e, 0], furrows[e, 4] = i + down * 0.07 * scale, o + down * 0.05 * scale
        furrows[e, 1:4] = p[list(lid)] + down * 0.09 * scale
    return list(feet.reshape(6, 2, 2)), list(furrows)


def _faint(dark: np.ndarray, lo: np.ndarray, hi: np.ndarray, blur: int) -> np.ndarray:
    """Which strokes change no pixel and can go undrawn, shape (k,) bool.

    dark : (k,) darkness of each stroke; lo, hi : (k, 2) int, the box its antialiased line can touch; blur : int,
    pixels the Gaussian blur spreads it (at least its kernel's radius). A stroke with darkness below 0.4 / 255
    moves no pixel alone (v · (1 − s) + 0.5 truncates back to v for v ≤ 255), so it is faint when its reach (box
    widened by ``blur``) meets that of no stroke above that darkness: every pixel it reaches then stays as it was,
    drawn or not.
    """
    weak = dark * 255.0 < 0.4
    if not weak.any():
        return weak
    a, b = lo - blur, hi + blur
    meets = ((a[:, None, 0] < b[None, :, 0]) & (a[None, :, 0] < b[:, None, 0])
             & (a[:, None, 1] < b[None, :, 1]) & (a[None, :, 1] < b[:, None, 1]))
    return weak & ~(meets & ~weak[None, :]).any(axis=1)


def _across(v: np.ndarray, towards_y: float = 0.0) -> np.ndarray:
    """The unit vector at right angles to ``v`` (2,), pixels; turned to point down the image (``towards_y`` > 0) or
    up it (< 0) if asked."""
    n = np.array([v[1], -v[0]]) / max(float(np.linalg.norm(v)), 1e-6)
    return -n if n[1] * towards_y < 0 else n
