"""Painted mouth interior for photos whose lips part: dark cavity, upper and lower teeth, tongue, lip shadow."""

from __future__ import annotations

import numpy as np

from .._lazy import lazy_module
from ..face.topology import LIP_CORNERS, LOWER_LIP_INNER, UPPER_LIP_INNER
from .pixel_box import padded_box

cv2 = lazy_module("cv2")

__all__ = ["paint_mouth_interior", "opening_height", "cover_stray_teeth", "mend_mouth_line", "tidy_mouth_corners",
           "LUMA"]

LUMA = np.float32([0.299, 0.587, 0.114])                          # Rec. 601 luma weights
#: mend_mouth_line: half-width of the band rebuilt along each inner lip contour, and the largest gap between the
#: contours (both in inter-ocular distances) at which they count as meeting
SEAM_BAND = 0.03
MEET_GAP = 0.01
#: mend_mouth_line: how much darker than the lips the middle of the line where they meet is drawn
LINE_DARK = 0.25
#: mend_mouth_line: the line's softness, a Gaussian sigma in inter-ocular distances and at least LINE_MIN_SOFT pixels
#: (a closed mouth's line in a photo is a soft shadow a few pixels wide, not a one-pixel stroke)
LINE_SOFT = 0.012
LINE_MIN_SOFT = 1.0
#: paint_mouth_interior: where the faint gaps between the front teeth lie, across from the mouth's middle
#: (fractions of the mouth's width)
_TOOTH_GAPS = np.array([0.0, -0.085, 0.085, -0.165, 0.165, -0.24, 0.24])


def opening_height(upper: np.ndarray, lower: np.ndarray) -> float:
    """Mean vertical gap between the middle thirds of the inner lip contours, pixels.

    upper, lower : np.ndarray [shape=(n, 2)], pixels, inner lip contours from one corner to the other
    """
    n = len(upper)
    mid = slice(n // 3, n - n // 3)
    return float(np.mean(lower[mid, 1] - upper[mid, 1]))


def paint_mouth_interior(image: np.ndarray, upper: np.ndarray, lower: np.ndarray, *, teeth: bool = True,
                         brightness: float = 1.0, tint: np.ndarray | None = None) -> None:
    """Paint the inside of an open mouth, in place, within the polygon of the inner lip contours.

    Parameters
    ----------
    image : np.ndarray [shape=(H, W, 3)], uint8 RGB, modified in place
    upper, lower : np.ndarray [shape=(n, 2)], pixels, inner contour of the upper and lower lip, both running from
        the same lip corner to the other (shared end points)
    teeth : paint teeth (off when the photo already shows its own teeth, which then move with the lips)
    brightness : float > 0, scene brightness factor (mean face luminance / 128) so the teeth match the exposure
    tint : np.ndarray [shape=(3,)], mean RGB of the skin around the mouth; warms the teeth and cavity to the
        photo's light colour

    The interior is built from the contour alone: the upper teeth hang below the upper lip (widest and brightest
    at the middle, in shadow towards the corners), the lower teeth rise above the lower lip once the jaw opens,
    a tongue fills the bottom of a wide opening, and the lips cast a soft shadow. Edges are antialiased.
    """
    upper = np.asarray(upper, np.float64)
    lower = np.asarray(lower, np.float64)
    poly = np.concatenate([upper, lower[::-1][1:-1]])
    x0, y0, x1, y1 = padded_box(poly, 4, image.shape, after=5)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    h, w = y1 - y0, x1 - x0
    ss = 4                                                          # supersampled mask for antialiased edges
    mask = np.zeros((h * ss, w * ss), np.uint8)
    cv2.fillPoly(mask, [np.round((poly - (x0, y0)) * ss * 16).astype(np.int32)], 255, cv2.LINE_8, shift=4)
    mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    if mask.max() <= 0:
        return

    width = float(np.linalg.norm(upper[-1] - upper[0]))
    gap = max(opening_height(upper, lower), 1e-3)
    # pixel coordinates as a row and a column: every per-pixel quantity of x alone (or y alone) stays 1-D, and
    # broadcasting gives the same values as full grids
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    # lip curves as functions of x (contours run corner to corner; sort by x for interpolation)
    ou, ol = np.argsort(upper[:, 0]), np.argsort(lower[:, 0])
    top = np.interp(xs[0], upper[ou, 0], upper[ou, 1])[None, :]
    bottom = np.interp(xs[0], lower[ol, 0], lower[ol, 1])[None, :]
    cx = 0.5 * (upper[0, 0] + upper[-1, 0])
    lateral = _unit(1.0 - (np.abs(xs - cx) / max(width / 2, 1.0)) ** 2)   # 1 mid, 0 at corners
    below_top = ys - top                                            # px below the upper lip
    above_bottom = bottom - ys                                      # px above the lower lip

    cavity = np.array([44, 15, 18], np.float32)
    deep = np.array([16, 5, 7], np.float32)
    depth = _unit(np.minimum(below_top, above_bottom) / (0.5 * gap + 1e-3))[..., None]
    col = cavity * (1 - depth) + deep * depth
    # tongue: a soft ellipse resting behind the lower teeth, visible in wide openings
    tongue_h = 0.45 * gap * min(max((gap / max(width, 1.0) - 0.12) / 0.2, 0.0), 1.0)
    if tongue_h > 0.5:
        t = _unit(1.0 - ((xs - cx) / (0.36 * width)) ** 2 - ((ys - (bottom - 0.1 * gap)) / tongue_h) ** 2)
        t = (t ** 0.5 * 0.85)[..., None]
        col = col * (1 - t) + np.array([112, 44, 50], np.float32) * t
    # teeth only between the canines; upper ones hang below the upper lip, lower ones show once the jaw opens
    arch = _unit((0.36 * width - np.abs(xs - cx)) / (0.06 * width + 1.0))
    tooth = np.array([222, 214, 196], np.float32)
    up_h = min(0.10 * width, 0.7 * gap)
    lo_h = min(0.06 * width, 0.3 * gap) * min(max((gap / max(width, 1.0) - 0.15) / 0.15, 0.0), 1.0)
    if teeth:                           # without them both layers are 0: col · (1 − 0) + 0 leaves col as it is
        up = _unit(up_h - below_top + 0.5) * _unit(below_top + 0.5) * arch
        gaps = np.ones_like(xs)                                     # (1, w), faint gaps between the front teeth
        centres = (_TOOTH_GAPS * width).astype(np.float32)[:, None]   # (7, 1), from the middle
        for term in 0.12 * np.exp(-(((xs - cx - centres) / (0.008 * width + 0.4)) ** 2)):
            gaps -= term                                            # one tooth gap after the other, (w,)
        up_shade = (0.5 + 0.45 * _unit(below_top / (up_h + 1e-3))) * (0.55 + 0.45 * lateral) * gaps
        col *= (1 - up)[..., None]
        col += tooth * (up_shade * up)[..., None]
        if lo_h > 0.5:                  # lower teeth: none below half a pixel
            # the lower incisors and canines: a narrower arch than the upper teeth's, lit a little less
            lower_arch = _unit((0.22 * width - np.abs(xs - cx)) / (0.04 * width + 1.0))
            lo = _unit(lo_h - above_bottom + 0.5) * _unit(above_bottom + 0.5) * lower_arch
            col *= (1 - lo)[..., None]
            col += tooth * ((0.5 + 0.3 * lateral) * gaps * lo)[..., None]
    # the corners of the mouth are in shadow
    col *= (1.0 - 0.5 * (1 - lateral) ** 2)[..., None]
    col *= min(max(float(brightness), 0.6), 1.3)
    if tint is not None:
        t = np.asarray(tint, np.float32)
        col *= 0.75 + 0.25 * t / max(float(t.mean()), 1.0)
    sigma = max(0.3, 0.006 * width)
    col = cv2.GaussianBlur(col, (0, 0), sigma)
    a = mask[..., None]
    out = col * a                                                   # + region · (1 − a) + 0.5, without temporaries
    out += image[y0:y1, x0:x1].astype(np.float32) * (1 - a)
    out += 0.5
    image[y0:y1, x0:x1] = np.clip(out, 0, 255, out=out)


def _unit(x: np.ndarray) -> np.ndarray:
    """``x`` clipped to [0, 1] (np.clip's values, without its Python-level wrapper: 10x the cost on small arrays)."""
    return np.minimum(np.maximum(x, 0), 1)


def mend_mouth_line(image: np.ndarray, upper: np.ndarray, lower: np.ndarray, scale: float) -> None:
    """Rebuild, in place, the inner edges of the lips from the lips themselves, and draw the line where closed
    lips meet.

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB, modified in place
    upper, lower : np.ndarray [shape=(n, 2)] pixels, the rendered inner contours of the upper and lower lip, corner
        to corner (the edges of whatever opens between them)
    scale : float > 0, pixels per inter-ocular distance

    A photo whose lips part, closed by an absolute target, keeps on the red of its lips what its inner-lip
    landmarks left there of the teeth and the dark inside: squeezed together, a blotchy band 1–3 px thick on a
    GRID face, which people see as a dark slit and a landmark detector reads as a lip gap of 0.02–0.03
    inter-ocular units; as the lips part again the band splits and rides on their inner edges. A band of
    half-width SEAM_BAND · scale along each inner contour (one band where the lips meet) and the opening between
    them are inpainted from the lip pixels around them (their own texture and colour), and where the contours
    meet (gap under MEET_GAP · scale) a closed mouth's line, LINE_DARK darker than the lips at its middle and as
    soft as a photo's own (a Gaussian of LINE_SOFT · scale, at least LINE_MIN_SOFT px), is drawn. The opening is
    painted afterwards (render.photo paints it between the drawn contours).
    """
    upper = np.asarray(upper, np.float64)
    lower = np.asarray(lower, np.float64)
    band = max(1.0, SEAM_BAND * scale)
    pad = int(np.ceil(3 * band)) + 2
    x0, y0, x1, y1 = padded_box(np.concatenate([upper, lower]), pad, image.shape, after=pad + 1)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    meet = (lower[:, 1] - upper[:, 1]) < MEET_GAP * scale
    seam = (upper + lower) / 2 - (x0, y0)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    line = np.zeros((y1 - y0, x1 - x0), np.float32)
    thick = max(1, int(round(2 * band)))
    upper_px, lower_px = (np.round((c - (x0, y0)) * 16).astype(np.int32) for c in (upper, lower))
    # the opening is masked too, so the fill comes from the lips beyond the band and not from the dark inside
    cv2.fillPoly(mask, [np.concatenate([upper_px, lower_px[::-1]])], 1, cv2.LINE_8, shift=4)
    cv2.polylines(mask, [upper_px, lower_px], False, 1, thick, cv2.LINE_8, shift=4)
    for k in range(len(seam) - 1):
        if meet[k] and meet[k + 1]:
            a, b = (np.round(seam[k] * 16).astype(int), np.round(seam[k + 1] * 16).astype(int))
            cv2.line(line, tuple(a.tolist()), tuple(b.tolist()), 1.0, 1, cv2.LINE_AA, shift=4)
    region = np.ascontiguousarray(image[y0:y1, x0:x1])
    filled = cv2.inpaint(region, mask, 2, cv2.INPAINT_TELEA).astype(np.float32)
    weight = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.6)[..., None]
    line = cv2.GaussianBlur(line, (0, 0), max(LINE_MIN_SOFT, LINE_SOFT * scale))
    out = region.astype(np.float32) * (1 - weight) + filled * weight
    if line.max() > 0:
        out *= (1.0 - LINE_DARK * line / float(line.max()))[..., None]
    image[y0:y1, x0:x1] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def tidy_mouth_corners(source: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """Mouth corners whose inner lip contours neither stick out of the lips nor cross: a copy of ``moved``.

    source : np.ndarray [shape=(n ≥ 478, 2)] pixels, the photo's landmarks
    moved : np.ndarray [shape=(n ≥ 478, 2)] pixels, the same points where the expression puts them

    A relaxed smile moves the inner corner of the mouth (where the inner contours meet) otherwise than the outer
    corner beside it, and can leave it several pixels above or past it, with the inner contours crossing beside
    the corners: the warp then squeezes the smile's dark mouth corners into turned-over triangles, small dark
    specks at each corner. Each inner corner is moved as its outer corner is (their offset stays the photo's),
    and each pair of inner lip points where the lower lies above the upper (across the line between the
    corners) is put together at their middle.
    """
    out = np.array(moved, np.float64, copy=True)
    src = np.asarray(source, np.float64)
    for inner, outer in zip((UPPER_LIP_INNER[0], UPPER_LIP_INNER[-1]), LIP_CORNERS):
        out[inner, :2] = src[inner, :2] + (out[outer, :2] - src[outer, :2])
    along = out[LIP_CORNERS[1], :2] - out[LIP_CORNERS[0], :2]
    down = np.array([-along[1], along[0]]) / max(float(np.linalg.norm(along)), 1e-6)
    if down[1] < 0:                                               # towards the chin: image y grows downwards
        down = -down
    up, lo = np.asarray(UPPER_LIP_INNER[1:-1]), np.asarray(LOWER_LIP_INNER[1:-1])
    gap = (out[lo, :2] - out[up, :2]) @ down
    crossed = np.minimum(gap, 0.0)[:, None] / 2 * down
    out[up, :2] += crossed
    out[lo, :2] -= crossed
    return out


def cover_stray_teeth(image: np.ndarray, outer: np.ndarray, inner: np.ndarray | None = None) -> None:
    """Repaint, in place, tooth-coloured and mouth-dark pixels on the lips from the lips around them.

    A photo that shows its teeth and is asked to close its mouth keeps slivers of teeth where the landmark
    contour of the lips ran over them; on closed lips those read as fangs. Pixels within the outer lip contour
    (outside the ``inner`` opening, if given) that are much brighter and greyer (teeth) or much darker (the
    mouth's inside) than the lips' median colour are inpainted from the lip pixels around them.

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB, modified in place
    outer : np.ndarray [shape=(n, 2)] pixels, the outer lip contour (closed polygon)
    inner : np.ndarray [shape=(m, 2)] pixels, the opening between the lips (closed polygon), left alone
    """
    outer = np.asarray(outer, np.float64)
    x0, y0, x1, y1 = padded_box(outer, 2, image.shape, after=3)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round((outer - (x0, y0)) * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
    opening = None if inner is None else np.round((np.asarray(inner, np.float64) - (x0, y0)) * 16).astype(np.int32)
    if opening is not None:
        cv2.fillPoly(mask, [opening], 0, cv2.LINE_8, shift=4)
    region = image[y0:y1, x0:x1].astype(np.float32)
    inside = mask > 0
    if inside.sum() < 10:
        return
    luma = region @ LUMA
    lips, lips_luma = region[inside], luma[inside]
    colour = np.median(lips[lips_luma <= np.median(lips_luma)], axis=0)  # the darker half: lip, not tooth
    grey = region.max(axis=2) - region.min(axis=2)
    ref_luma = float(colour @ LUMA)
    ref_grey = float(colour.max() - colour.min())
    tooth = np.clip((luma - ref_luma - 25.0) / 30.0, 0, 1) * np.clip((ref_grey - grey + 10.0) / 30.0, 0, 1)
    # the mouth's dark inside, pulled onto the closing lips where the opening was, is as foreign as the teeth;
    # but not along the seam where the lips meet, which is dark on every closed mouth (and is the line that
    # people and landmark detectors read the lip gap from)
    cavity = np.clip((ref_luma - luma - 35.0) / 25.0, 0, 1)
    if opening is not None:
        seam = np.ones_like(mask)
        cv2.polylines(seam, [opening], True, 0, 1, cv2.LINE_8, shift=4)
        margin = max(2.0, 0.06 * float(np.ptp(outer[:, 0])))
        cavity *= np.clip(cv2.distanceTransform(seam, cv2.DIST_L2, 3) / margin - 1.0, 0, 1)
    stray = np.maximum(tooth, cavity) * mask
    if not (stray > 0.2).any():
        return
    # filled from the lips around them (Telea inpainting), not with one flat colour, so lip texture and shading
    # run through the repaint; the seam is feathered
    holes = cv2.dilate((stray > 0.2).astype(np.uint8), np.ones((3, 3), np.uint8))
    filled = cv2.inpaint(np.ascontiguousarray(image[y0:y1, x0:x1]), holes, 3, cv2.INPAINT_TELEA).astype(np.float32)
    weight = cv2.GaussianBlur(np.maximum(stray, holes * 0.8) * mask, (0, 0), 1.0)[..., None]
    image[y0:y1, x0:x1] = np.clip(region * (1 - weight) + filled * weight + 0.5, 0, 255).astype(np.uint8)
