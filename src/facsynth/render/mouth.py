"""Painted mouth interior for photos whose lips part: dark cavity, upper and lower teeth, tongue, lip shadow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._lazy import lazy_module
from ..face.topology import LIP_CORNERS, LOWER_LIP_INNER, UPPER_LIP_INNER
from .pixel_box import coverage, padded_box

cv2 = lazy_module("cv2")

__all__ = ["paint_mouth_interior", "MouthLook", "mouth_look", "edge_softness", "opening_height", "cover_stray_teeth",
           "mend_mouth_line", "tidy_mouth_corners", "incisal_edge", "curve_at", "dentition", "LUMA", "TOOTH_SHOW"]

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
#: cover_stray_teeth: how far outside the outer lip contour tooth slivers are still covered (mouth widths)
STRAY_MARGIN = 0.06
#: incisal_edge: how far (IOD) the upper front teeth's cutting edges reach below the line where the lips meet at rest
#: (adults show 1–3 mm of upper incisor when their lips part at rest; at an eye-centre distance of ~63 mm, 0.03 IOD
#: ≈ 2 mm)
TOOTH_SHOW = 0.03
#: paint_mouth_interior's dentition, fixed to the skull (inter-ocular distances, IOD ≈ 63 mm): where each visible
#: tooth ends, out from the midline, as the front view shows them (the arch turns away, so each tooth looks narrower
#: than the one before: upper central incisor ≈ 8.3 mm, lateral 5.6, canine 4.0, premolars 3.1 and 2.6, the first
#: molar's front; lower central 5.0, lateral 5.0, canine 4.0), how far each tooth's cutting edge sits short of the
#: central incisors' (the laterals' ≈ 0.6 mm, the premolars' a little), how far its corners round off from it, and
#: the gap between neighbours: its darkness and half-width. Without the gaps, the rounded edges and each crown's
#: curve the teeth read as a white band.
_UPPER_TEETH = np.array([0.132, 0.221, 0.284, 0.333, 0.375, 0.406])
_UPPER_SHORT = np.array([0.0, 0.009, 0.002, 0.005, 0.006, 0.008])
_LOWER_TEETH = np.array([0.079, 0.159, 0.222, 0.27])
_LOWER_SHORT = np.array([0.0, 0.0, 0.003, 0.006])
_TOOTH_ROUND = 0.012
_TOOTH_GAP_DARK = 0.35
_TOOTH_GAP_HALF = 0.004
#: paint_mouth_interior: the painted layer's tooth colour and its lit middle's luma (0.95 of the colour's)
_TOOTH = np.array([222, 214, 196], np.float32)
_TOOTH_PEAK = 0.95 * float(_TOOTH @ LUMA)
#: the painted interior in the photo's look (MouthLook): the teeth's lit middle at TEETH_LEVEL × the brightest skin
#: around the mouth, their white carrying WHITE_HUE of the light's hue (the skin's colour); the tooth gaps at least
#: GAP_MIN_SOFT px soft (a Gaussian sigma: gaps a pixel or two apart alias into a comb otherwise)
TEETH_LEVEL = 1.0
WHITE_HUE = 0.5
GAP_MIN_SOFT = 0.7
#: mouth_look: the share of the strongest gradients read as edges, the re-blur sigma (px), the Sobel kernel's
#: own blur (variance, px²), the brightest skin's quantile, the share of darkest pixels read as the black level,
#: and how far around the lips the look is read (lip widths)
_EDGE_SHARE = 0.03
_REBLUR = 1.0
_SOBEL_VAR = 0.6
_BRIGHT_Q = 0.98
_DARK_SHARE = 0.005
_LOOK_PAD = 0.5


@dataclass(frozen=True)
class MouthLook:
    """A photo's look around its mouth, read once per photo (mouth_look), which the painted interior takes.

    softness : float ≥ 0, pixels: Gaussian sigma of the photo's own edges around the mouth
    bright   : float, luma (0–255) of the brightest skin around the mouth
    black    : float, luma of the photo's black level (its darkest pixels)
    light    : np.ndarray [shape=(3,)] float32 RGB, mean colour around the mouth (the light's hue)
    """

    softness: float
    bright: float
    black: float
    light: np.ndarray


def mouth_look(image: np.ndarray, lips: np.ndarray) -> MouthLook:
    """The look of ``image`` around the lips ``lips`` (np.ndarray [shape=(n, 2)] pixels, e.g. their outer contour).

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB

    softness: ``edge_softness`` of the luma within _LOOK_PAD lip widths of the lips; bright: its _BRIGHT_Q
    quantile; light: its mean RGB; black: the mean luma of the darkest _DARK_SHARE of about 4,000 pixels of the
    whole photo on a regular grid (a sharp portrait reads 0–4, a GRID video frame 25–40: its shadows never reach
    black, and a black cavity looks cut out of it).
    """
    lips = np.asarray(lips, np.float64)
    width = float(np.ptp(lips[:, 0]))
    x0, y0, x1, y1 = padded_box(lips, int(_LOOK_PAD * width) + 2, image.shape)
    patch = image[y0:y1, x0:x1].reshape(-1, 3).astype(np.float32)
    if patch.size == 0:
        return MouthLook(0.0, 160.0, 0.0, np.full(3, 128.0, np.float32))
    grey = (patch @ LUMA).reshape(y1 - y0, x1 - x0)
    step = max(1, int(round(np.sqrt(image.shape[0] * image.shape[1] / 4096))))
    sparse = image[::step, ::step].reshape(-1, 3).astype(np.float32) @ LUMA
    black = float(np.mean(sparse[sparse <= _quantile(sparse, _DARK_SHARE)]))
    return MouthLook(edge_softness(grey), _quantile(grey, _BRIGHT_Q), black, patch.mean(axis=0))


def edge_softness(grey: np.ndarray) -> float:
    """How soft the edges of ``grey`` (np.ndarray [shape=(h, w)] float32 luma) are: the sigma (pixels) of the
    Gaussian blur that turns a step into its strongest edges, 0 for a crisp one or fewer than 16 pixels.

    The re-blur estimate (Zhuo & Sim 2011, "Defocus map estimation from a single image"): blurring an edge of
    variance v again by _REBLUR divides its gradient by R = sqrt(v + _REBLUR²) / sqrt(v), so v = _REBLUR² / (R² − 1);
    R is the ratio of the summed gradient magnitudes before and after over the strongest _EDGE_SHARE of the pixels
    (the lips' borders, the mouth's line, creases), and the Sobel kernel's own _SOBEL_VAR is taken off v. Around
    the mouth the GRID frames read 0–0.85 px, the portraits 0.25–1.0.
    """
    if grey.size < 16:
        return 0.0
    sharp, soft = (cv2.magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3))
                   for g in (grey, cv2.GaussianBlur(grey, (0, 0), _REBLUR)))
    edges = sharp >= _quantile(sharp, 1.0 - _EDGE_SHARE)
    ratio = float(sharp[edges].sum()) / max(float(soft[edges].sum()), 1e-6)
    variance = _REBLUR ** 2 / max(ratio * ratio - 1.0, 1e-2) - _SOBEL_VAR
    return float(np.sqrt(max(variance, 0.0)))


def _quantile(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` (any shape), the nearest lower order statistic (np.partition: a third of
    np.quantile's cost on a few thousand values)."""
    flat = values.ravel()
    k = int(q * (flat.size - 1))
    return float(np.partition(flat, k)[k])


def opening_height(upper: np.ndarray, lower: np.ndarray) -> float:
    """Mean vertical gap between the middle thirds of the inner lip contours, pixels.

    upper, lower : np.ndarray [shape=(n, 2)], pixels, inner lip contours from one corner to the other
    """
    n = len(upper)
    mid = slice(n // 3, n - n // 3)
    return float(np.mean(lower[mid, 1] - upper[mid, 1]))


def incisal_edge(rest_upper: np.ndarray, rest_lower: np.ndarray, scale: float) -> np.ndarray:
    """Where the upper front teeth's cutting edges are, pixels (n, 2): ``TOOTH_SHOW`` below the line where the lips
    meet at rest. The upper teeth are fixed to the skull, so a lip raised above that line (AU10) uncovers them.

    rest_upper, rest_lower : np.ndarray [shape=(n, 2)], pixels, the inner lip contours of the face at rest (the
        expression taken away, head pose kept), corner to corner; scale : float > 0, pixels per inter-ocular distance
    """
    rest = (np.asarray(rest_upper, np.float64) + np.asarray(rest_lower, np.float64)) / 2
    return rest + (0.0, TOOTH_SHOW * scale)


def dentition(xs: np.ndarray, middle: float, ends: np.ndarray, short: np.ndarray, scale: float, softness: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """One row of teeth across the pixel columns ``xs`` (w,): each column's light (1 on a crown's middle, less
    towards its sides, dark in the gaps between teeth) and how far (px) the teeth's free edge there falls short of
    the central incisors' (the edge rounds off at each crown's corners, the laterals are shorter): shapes (1, w).

    middle : the midline's column, px; ends : where each tooth ends out from it, IOD (``_UPPER_TEETH``); short :
    how far each tooth's edge falls short, IOD; scale : px per IOD; softness : the photo's edge softness, px (the
    gaps are at least ``GAP_MIN_SOFT`` soft: a gap a pixel or two from the next aliases into a comb otherwise)
    """
    d = np.abs(np.asarray(xs, np.float32) - np.float32(middle)) / np.float32(scale)      # IOD from the midline
    bounds = np.concatenate([[0.0], ends]).astype(np.float32)
    k = np.minimum(np.searchsorted(bounds, d, side="right") - 1, len(ends) - 1)           # which tooth
    lo, hi = bounds[k], bounds[k + 1]
    u = np.clip((d - lo) / (hi - lo), 0.0, 1.0)                     # 0–1 across the crown
    crown = 1.0 - 0.08 * (2.0 * u - 1.0) ** 2                       # each crown's curve: lit middle, darker sides
    edge = np.minimum(d - lo, hi - d) * scale                       # px to the nearest gap
    radius = _TOOTH_ROUND * scale
    fall = short.astype(np.float32)[k] * scale + radius * np.maximum(1.0 - edge / max(radius, 1e-3), 0.0) ** 2
    # each gap a Gaussian of depth _TOOTH_GAP_DARK, widened by the softness and made as much shallower (the 1-D
    # convolution of two Gaussians, no image blur); the midline's gap once, the others on both sides
    half = _TOOTH_GAP_HALF * scale
    blurred = float(np.sqrt(half * half + 2 * max(softness, GAP_MIN_SOFT) ** 2))
    depth = _TOOTH_GAP_DARK * half / blurred
    light = crown
    for b in bounds[:-1]:
        light = light * (1.0 - depth * np.exp(-(((d - b) * scale / blurred) ** 2)))
    return light[None, :].astype(np.float32), fall[None, :].astype(np.float32)


def paint_mouth_interior(image: np.ndarray, upper: np.ndarray, lower: np.ndarray, look: MouthLook, *,
                         teeth: bool = True, incisal: np.ndarray | None = None, scale: float | None = None) -> None:
    """Paint the inside of an open mouth, in place, within the polygon of the inner lip contours.

    Parameters
    ----------
    image : np.ndarray [shape=(H, W, 3)], uint8 RGB, modified in place
    upper, lower : np.ndarray [shape=(n, 2)], pixels, inner contour of the upper and lower lip, both running from
        the same lip corner to the other (shared end points)
    look : the photo's look around its mouth (mouth_look, read once per photo)
    teeth : paint teeth (off when the photo already shows its own teeth, which then move with the lips)
    incisal : np.ndarray [shape=(k, 2)], pixels, where the upper teeth's cutting edges are (``incisal_edge``): the
        upper teeth reach at least that far down; None: they hang from the upper lip only
    scale : pixels per inter-ocular distance, which sizes the teeth (``dentition``); None: from the mouth's width,
        as a mouth at rest is 0.8 IOD wide

    The interior is built from the contour: the upper teeth hang below the upper lip (each tooth drawn: crowns as
    wide as a skull's, gaps between them, rounded cutting edges; brightest at the middle, in shadow towards the
    corners) and reach at least down to their cutting edge, so a raised upper lip
    over a closed jaw (AU10) uncovers teeth, not a dark slit; the lower teeth rise above the lower lip once the jaw
    opens, a tongue fills the bottom of a wide opening, and the corners are in shadow. It then takes the photo's
    look: its levels (the teeth's lit middle at TEETH_LEVEL × the brightest skin around the mouth, in WHITE_HUE of the
    light's hue; the inside lifted by the photo's black level in that hue) and, in the tooth gaps, its softness.
    The layer is blurred by 0.006 mouth widths (at least 0.3 px) and its edge against the lips antialiased: a
    softer edge or inside makes a landmark detector read the opening smaller (docs/expressions.md, task I).
    """
    upper = np.asarray(upper, np.float64)
    lower = np.asarray(lower, np.float64)
    poly = np.concatenate([upper, lower[::-1][1:-1]])
    x0, y0, x1, y1 = padded_box(poly, 4, image.shape, after=5)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    mask = coverage(poly, (x0, y0, x1, y1))                         # antialiased edges
    if mask.max() <= 0:
        return

    width = float(np.linalg.norm(upper[-1] - upper[0]))
    gap = max(opening_height(upper, lower), 1e-3)
    # pixel coordinates as a row and a column: every per-pixel quantity of x alone (or y alone) stays 1-D, and
    # broadcasting gives the same values as full grids
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    top, bottom = curve_at(upper, xs[0]), curve_at(lower, xs[0])    # the lips' inner contours over x, (1, w)
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
    up_h = min(0.10 * width, 0.7 * gap)
    lo_h = min(0.06 * width, 0.3 * gap) * min(max((gap / max(width, 1.0) - 0.15) / 0.15, 0.0), 1.0)
    if teeth:                           # without them both layers are 0: col · (1 − 0) + 0 leaves col as it is
        per_iod = width / 0.8 if scale is None else float(scale)
        crowns, fall = dentition(xs[0], cx, _UPPER_TEETH, _UPPER_SHORT, per_iod, look.softness)
        reach = up_h if incisal is None else np.maximum(up_h, curve_at(np.asarray(incisal, np.float64), xs[0]) - top)
        up = _unit(reach - fall - below_top + 0.5) * _unit(below_top + 0.5) * arch
        up_shade = (0.5 + 0.45 * _unit(below_top / (up_h + 1e-3))) * (0.55 + 0.45 * lateral) * crowns
        col *= (1 - up)[..., None]
        col += _TOOTH * (up_shade * up)[..., None]
        if lo_h > 0.5:                  # lower teeth: none below half a pixel
            # the lower incisors and canines: a narrower arch than the upper teeth's, lit a little less
            crowns, fall = dentition(xs[0], cx, _LOWER_TEETH, _LOWER_SHORT, per_iod, look.softness)
            lower_arch = _unit((0.22 * width - np.abs(xs - cx)) / (0.04 * width + 1.0))
            lo = _unit(lo_h - fall - above_bottom + 0.5) * _unit(above_bottom + 0.5) * lower_arch
            col *= (1 - lo)[..., None]
            col += _TOOTH * ((0.5 + 0.3 * lateral) * crowns * lo)[..., None]
    # the corners of the mouth are in shadow
    col *= (1.0 - 0.5 * (1 - lateral) ** 2)[..., None]
    # the photo's levels: the teeth's lit middle (_TOOTH_PEAK) to the teeth's level in the light's hue, 0 to the
    # photo's black level in that hue (a GRID frame's inside is dark red-brown, never black)
    light = np.asarray(look.light, np.float32)
    hue = light / max(float(light @ LUMA), 1.0)                     # luma 1
    white = WHITE_HUE * hue + (1 - WHITE_HUE)
    level = min(TEETH_LEVEL * look.bright, 255.0 / float(white.max()))
    flare = hue * look.black
    col *= np.maximum(white * level - flare, 0.0) / _TOOTH_PEAK
    col += flare
    col = cv2.GaussianBlur(col, (0, 0), max(0.3, 0.006 * width))
    a = mask[..., None]
    out = col * a                                                   # + region · (1 − a) + 0.5, without temporaries
    out += image[y0:y1, x0:x1].astype(np.float32) * (1 - a)
    out += 0.5
    image[y0:y1, x0:x1] = np.clip(out, 0, 255, out=out)


def curve_at(line: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The y of a contour running from one side to the other (``line`` (n, 2) pixels, in any order along x) at the
    columns ``xs`` (w,), as a row (1, w) that broadcasts against a column of pixel rows."""
    order = np.argsort(line[:, 0])
    return np.interp(xs, line[order, 0], line[order, 1])[None, :]


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
    mouth's inside) than the lips' median colour are inpainted from the lip pixels around them; the teeth also
    within STRAY_MARGIN mouth widths outside the contour below the mouth's middle where they are also brighter
    than the skin there: a lower lip that closes by rising over the photo's jaw leaves the slivers its contour ran
    over just below it (white streaks under a smiling portrait's lower lip; above the mouth the margin changed
    what a landmark detector reads of the upper lip, on GRID lbbc2a).

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB, modified in place
    outer : np.ndarray [shape=(n, 2)] pixels, the outer lip contour (closed polygon)
    inner : np.ndarray [shape=(m, 2)] pixels, the opening between the lips (closed polygon), left alone
    """
    outer = np.asarray(outer, np.float64)
    width = float(np.ptp(outer[:, 0]))
    reach = STRAY_MARGIN * width                                   # pixels outside the lips still searched
    x0, y0, x1, y1 = padded_box(outer, int(np.ceil(reach)) + 2, image.shape, after=int(np.ceil(reach)) + 3)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    contour = np.round((outer - (x0, y0)) * 16).astype(np.int32)
    cv2.fillPoly(mask, [contour], 1, cv2.LINE_8, shift=4)
    near = mask.copy()                                            # the lips and a margin around them
    cv2.polylines(near, [contour], True, 1, max(1, int(round(2 * reach))), cv2.LINE_8, shift=4)
    opening = None if inner is None else np.round((np.asarray(inner, np.float64) - (x0, y0)) * 16).astype(np.int32)
    if opening is not None:
        cv2.fillPoly(mask, [opening], 0, cv2.LINE_8, shift=4)
        cv2.fillPoly(near, [opening], 0, cv2.LINE_8, shift=4)
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
        margin = max(2.0, 0.06 * width)
        cavity *= np.clip(cv2.distanceTransform(seam, cv2.DIST_L2, 3) / margin - 1.0, 0, 1)
    # outside the lips, only below the mouth's middle (where the lower lip rose from) and only what is also clearly
    # brighter than the skin there is a tooth (pale skin is as bright and grey against red lips as teeth are)
    middle = max(0, int(round(float(outer[:, 1].mean()))) - y0)
    near[:middle] = mask[:middle]
    ring = (near > 0) & ~inside
    if ring.any():
        tooth *= np.where(ring, np.clip((luma - float(np.median(luma[ring])) - 10.0) / 20.0, 0, 1), 1.0)
    stray = np.maximum(tooth * near, cavity * mask)
    if not (stray > 0.2).any():
        return
    # filled from the lips around them (Telea inpainting), not with one flat colour, so lip texture and shading
    # run through the repaint; the seam is feathered
    holes = cv2.dilate((stray > 0.2).astype(np.uint8), np.ones((3, 3), np.uint8))
    filled = cv2.inpaint(np.ascontiguousarray(image[y0:y1, x0:x1]), holes, 3, cv2.INPAINT_TELEA).astype(np.float32)
    weight = cv2.GaussianBlur(np.maximum(stray, holes * 0.8) * near, (0, 0), 1.0)[..., None]
    image[y0:y1, x0:x1] = np.clip(region * (1 - weight) + filled * weight + 0.5, 0, 255).astype(np.uint8)
