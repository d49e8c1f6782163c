"""The skin and lips of a smile the photo wears, taken away with the smile: nasolabial folds, crow's feet and
lower-lid furrows lightened out of the photo's texture, the lit cheek apples and the shadows of the raised cheeks
toned towards the skin around them, the red of the lips repainted in the photo's lip colours."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .._lazy import lazy_module
from ..face import topology
from .mouth import LINE_MIN_SOFT, LINE_SOFT, LUMA, curve_at
from .pixel_box import padded_box
from .shading import cheek_lines, nasolabial_lines

cv2 = lazy_module("cv2")

__all__ = ["FoldRelief", "fold_relief", "cheek_relief", "shading_relief", "corner_relief", "combine_reliefs",
           "relieve_folds", "lip_colours", "paint_closed_lips", "cheek_zones", "FOLD_BAND", "CHEEK_BAND",
           "FOLD_STRENGTH", "SHADING_STRENGTH", "HIGHLIGHT_STRENGTH", "CHEEK_ZONE", "LOWER_LIP_LEVEL",
           "LIP_CORNER_SHADE", "LOWER_LIP_SHADOW"]

#: Half-width of the band around each nasolabial line whose shading is taken out, inter-ocular units.
FOLD_BAND = 0.11
#: Half-width of the band around each crow's foot and lower-lid furrow line, inter-ocular units.
CHEEK_BAND = 0.06
#: Share of the fold's measured shading taken out when the whole smile is removed: half. An adult face at rest
#: keeps its nasolabial folds and crow's feet (deeper with age); the smile deepens them. Taking out 0.9 left the
#: smiling portraits' cheeks airbrushed smooth, a younger face than the photo's (docs/expressions.md, session 9).
FOLD_STRENGTH = 0.5
_FINE = 0.004                 # skin texture kept below this scale (Gaussian sigma, inter-ocular units)
_CREASE = 0.045               # creases narrower than twice this (inter-ocular units) are filled
#: The dark line where the lips meet fades out as their inner edges part, gone at this gap (inter-ocular units).
MOUTH_LINE_PARTED = 0.02
#: The line where repainted lips meet: how much darker than the lips its middle is, and the share of that left at
#: the mouth corners; it is as soft as mend_mouth_line's (render.mouth.LINE_SOFT, LINE_MIN_SOFT).
MOUTH_LINE_DARK = 0.45
MOUTH_LINE_CORNER = 0.8
#: The shadow a closed lower lip casts on the skin below it: the share darker at its deepest, a little below the
#: lip's outer contour. Closed mouths at rest, the skin 0.04 IOD below the lower lip against the chin 0.12 IOD
#: below: Grace Hopper's 38 % darker, the GRID faces' 16, 13, 7 and -2 %; the smiling portraits' 2 and 6 % (a
#: smile's lower lip, stretched over the teeth, casts next to none).
LOWER_LIP_SHADOW = 0.2
_SHADOW_AT = 0.02             # IOD below the lower lip's outer contour where its shadow is deepest
_SHADOW_WIDTH = 0.03          # IOD, the shadow's half-width (Gaussian)
_LOWER_EDGE = 0.025           # IOD, how soft the lower lip's outer edge is (Gaussian sigma; the rest: 0.012)
#: How much darker the repainted lips are at the corners than in the middle (the share; in proportion to the square
#: of the distance from the middle): the lips curve back there, away from the light and the camera.
LIP_CORNER_SHADE = 0.15
#: The repainted lower lip's colour, a share of the photo's (``lip_colours``: the median of its lit, saturated
#: half). A smile stretches the lower lip over the teeth and turns it to the light; the closed lip it is repainted as
#: is shaded as a whole (``_lower_lip_shade``, 0.97 on average, and darker towards the corners), which brings it
#: down towards the level of the whole lip's red: its median luma is 0.90-0.95 of its lit, saturated half's on all
#: seven faces (Biden 0.91, Obama 0.94; Grace Hopper's and the GRID faces' closed lips 0.90-0.95). Darker than 0.97
#: here costs identity to the smiling photo (whose lower lip is lit): 0.93 put the portraits' 12 cells' mean up by
#: 0.0025 and Biden's sadness over 0.45 (docs/expressions.md, task C of session 9).
LOWER_LIP_LEVEL = 0.97
_LIP_LIKE = 50.0              # RGB distance from the painted lip beyond which a pixel is repainted in full
_NOSE = (1, 2, 4, 5, 48, 64, 98, 102, 129, 195, 278, 294, 327, 331, 358)
#: The skin a smile raises and lights on each cheek (the person's right, then left): below the lower lid, out to
#: the side of the cheek, down to the jaw beside the mouth and in to the side of the nose (MediaPipe indices; the
#: nasolabial line and its run past the lip corner close each zone towards the mouth).
CHEEK_ZONE = ((119, 118, 117, 123, 147, 187, 207, 216, 206, 36, 101),
              (348, 347, 346, 352, 376, 411, 427, 436, 426, 266, 330))
#: Share of the cheeks' low-frequency shading difference from the skin around them (``shading_relief``) taken
#: away when the whole smile is removed: where the raised cheeks shade the skin (lightened), and where they catch
#: the light (darkened; less, since the lit cheek apples are also the face's own shape, docs/expressions.md).
SHADING_STRENGTH = 0.8
HIGHLIGHT_STRENGTH = 0.4
_SHADE_DETAIL = 0.03          # shading finer than this (Gaussian sigma, IOD) is texture and stays
_SHADE_AROUND = 0.2           # sigma (IOD) of the skin around the cheeks that stands for their neutral shading
_CORNER_REACH = 0.07          # IOD around the middle of each inner/outer lip corner pair searched for dark corners
_CORNER_DARK = 20.0           # luma levels below the skin and lips around a corner from which a pixel is darkened
_SHADE_KNEE = 8.0             # luma levels of difference from which the full strength applies (less: in proportion)


@dataclass(frozen=True)
class FoldRelief:
    """What lightens a photo's own nasolabial folds: ``image[y0:y1, x0:x1] += fraction * lift``.

    box      : (x0, y0, x1, y1) int pixels
    lift     : np.ndarray [shape=(y1 - y0, x1 - x0, 3)] float32, RGB levels per pixel added when the whole smile
               is taken away (a fold's shadow: > 0; a lit cheek apple: < 0; 0 off the zones)
    """

    box: tuple[int, int, int, int]
    lift: np.ndarray


def fold_relief(image: np.ndarray, points: np.ndarray, scale: float) -> FoldRelief:
    """Measure the nasolabial fold shading of a photo (a smiling one), along the renderer's fold lines.

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB; points : np.ndarray [shape=(n ≥ 468, 2)] pixels, the photo's
    own landmarks; scale : float > 0, pixels per inter-ocular distance

    The fold is what a morphological closing (a disc of radius ``_CREASE``) lifts out of the skin blurred a
    little (``_FINE``, so pores and fine texture stay), channel by channel, so the crease takes the colour of the
    skin beside it; only inside a soft band of half-width ``FOLD_BAND`` around each line
    (``shading.nasolabial_lines``, extended past the lip corner towards the chin, where a broad smile's fold runs
    on), and away from the lips and the nose. What it lifts is added back, not multiplied (a deep crease's dark
    core would turn a saturated orange).
    """
    p = np.asarray(points, np.float64)[:, :2]
    lines = []
    for line in nasolabial_lines(p, scale):
        on = line[2] - line[1]
        on /= max(np.linalg.norm(on), 1e-6)
        lines.append(np.concatenate([line, [line[2] + on * 0.22 * scale]]))
    lips = p[list(topology.UPPER_LIP_OUTER) + list(topology.LOWER_LIP_OUTER)[::-1]]
    nose = cv2.convexHull(p[list(_NOSE)].astype(np.float32))[:, 0].astype(np.float64)
    return _relief(image, scale, lines, FOLD_BAND, [lips, nose])


def cheek_relief(image: np.ndarray, points: np.ndarray, scale: float) -> FoldRelief:
    """Measure the crow's feet and lower-lid furrows of a photo whose cheeks are raised (AU6), along the
    renderer's lines for them (``shading.cheek_lines``), in a band of half-width ``CHEEK_BAND``, away from the
    eye openings; otherwise as ``fold_relief``. image, points, scale : as ``fold_relief``."""
    p = np.asarray(points, np.float64)[:, :2]
    feet, furrows = cheek_lines(p, scale)
    eyes = [p[list(topology.RIGHT_UPPER_LID) + list(topology.RIGHT_LOWER_LID)[::-1]],
            p[list(topology.LEFT_UPPER_LID) + list(topology.LEFT_LOWER_LID)[::-1]]]
    return _relief(image, scale, feet + furrows, CHEEK_BAND, eyes)


def _relief(image: np.ndarray, scale: float, lines: list[np.ndarray], half_width: float,
            avoid: list[np.ndarray]) -> FoldRelief:
    """The creases along ``lines`` (polylines (k, 2), pixels) within ``half_width`` IOD of them, outside the
    polygons ``avoid`` ((m, 2) pixels, grown by 0.03 IOD): see ``fold_relief``."""
    x0, y0, x1, y1 = padded_box(np.concatenate(lines), int((half_width + 3 * _CREASE) * scale) + 2, image.shape)
    origin = np.array([x0, y0], np.float64)
    size = (int(y1 - y0), int(x1 - x0))
    band = np.zeros(size, np.float32)
    cv2.polylines(band, [np.round((l - origin) * 16).astype(np.int32) for l in lines], False, 1.0,
                  max(1, int(round(2 * half_width * scale))), cv2.LINE_AA, shift=4)
    band = cv2.GaussianBlur(band, (0, 0), max(0.5, 0.4 * half_width * scale))
    other = np.zeros(size, np.uint8)                                  # not skin that creases
    for poly in avoid:
        cv2.fillPoly(other, [np.round((poly - origin) * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
    other = cv2.dilate(other, np.ones((3, 3), np.uint8), iterations=max(1, int(0.03 * scale)))
    skin = 1.0 - cv2.GaussianBlur(other.astype(np.float32), (0, 0), max(0.5, 0.015 * scale))
    fine = cv2.GaussianBlur(image[y0:y1, x0:x1].astype(np.float32), (0, 0), max(0.5, _FINE * scale))
    r = max(1, int(round(_CREASE * scale)))
    closed = cv2.morphologyEx(fine, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2))
    closed = cv2.GaussianBlur(closed, (0, 0), max(0.5, r / 2))
    lift = np.maximum(closed - fine, 0.0) * (band * skin * FOLD_STRENGTH)[..., None]
    lift[lift < 0.25] = 0.0                               # under half a level at full strength: changes nothing
    return _trimmed(lift, x0, y0)


def _trimmed(lift: np.ndarray, x0: int, y0: int) -> FoldRelief:
    """The relief ``lift`` (h, w, 3) whose top-left pixel is (x0, y0), cut to the rows and columns it changes."""
    rows, cols = np.flatnonzero(lift.any(axis=(1, 2))), np.flatnonzero(lift.any(axis=(0, 2)))
    if not len(rows):
        return FoldRelief((int(x0), int(y0), int(x0), int(y0)), np.zeros((0, 0, 3), np.float32))
    ry, rx = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    return FoldRelief((int(x0 + rx.start), int(y0 + ry.start), int(x0 + rx.stop), int(y0 + ry.stop)),
                      np.ascontiguousarray(lift[ry, rx], np.float32))


def cheek_zones(points: np.ndarray, scale: float) -> list[np.ndarray]:
    """The two cheek zones whose shading a smile changes (``CHEEK_ZONE`` with the nasolabial line and its run past
    the lip corner), as convex polygons (k, 2) pixels, the person's right first.

    points : np.ndarray [shape=(n ≥ 468, 2)] pixels, landmarks; scale : float > 0, pixels per inter-ocular distance
    """
    p = np.asarray(points, np.float64)[:, :2]
    zones = []
    for cheek, line in zip(CHEEK_ZONE, nasolabial_lines(p, scale)):
        on = line[2] - line[1]
        on /= max(np.linalg.norm(on), 1e-6)
        hull = np.concatenate([p[list(cheek)], line, [line[2] + on * 0.22 * scale]]).astype(np.float32)
        zones.append(cv2.convexHull(hull)[:, 0].astype(np.float64))
    return zones


def shading_relief(image: np.ndarray, points: np.ndarray, scale: float) -> FoldRelief:
    """Measure how a smile lights and shades the cheeks of a photo: the lit, raised cheek apples, the bulge beside
    the nasolabial fold and the shadow it casts, as their difference from the skin around them.

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB; points : np.ndarray [shape=(n ≥ 468, 2)] pixels, the photo's
    own landmarks; scale : float > 0, pixels per inter-ocular distance

    Within each cheek zone (``cheek_zones``, feathered over 0.05 IOD) the skin's low-frequency colour (a
    Gaussian of sigma ``_SHADE_DETAIL`` IOD over skin pixels only: lips, nose and eyes left out) is compared with
    an estimate of the same skin without the smile's relief: the skin *around* the zones (outside them, within
    the face's box) averaged with a Gaussian of sigma ``_SHADE_AROUND`` IOD, which carries the photo's light
    and the face's colour but not the bulges. A share of the difference, per channel, moves the cheeks towards
    it: ``SHADING_STRENGTH`` where the raised cheek shades the skin (lightened), ``HIGHLIGHT_STRENGTH`` on its
    lit apple (darkened), fully where the luma differs by ``_SHADE_KNEE`` levels or more and in proportion
    below, so skin that already matches keeps its own shading. The fine texture (pores, freckles, stubble) rides on top unchanged. Nothing is measured per
    face but the photo itself.
    """
    p = np.asarray(points, np.float64)[:, :2]
    zones = cheek_zones(p, scale)
    x0, y0, x1, y1 = padded_box(np.concatenate(zones), int((_SHADE_AROUND * 1.5) * scale) + 2, image.shape)
    origin = np.array([x0, y0], np.float64)
    size = (int(y1 - y0), int(x1 - x0))
    zone = np.zeros(size, np.float32)
    cv2.fillPoly(zone, [np.round((z - origin) * 16).astype(np.int32) for z in zones], 1.0, cv2.LINE_AA, shift=4)
    zone = cv2.GaussianBlur(zone, (0, 0), max(0.5, 0.05 * scale))
    lips = p[list(topology.UPPER_LIP_OUTER) + list(topology.LOWER_LIP_OUTER)[::-1]]
    nose = cv2.convexHull(p[list(_NOSE)].astype(np.float32))[:, 0].astype(np.float64)
    eyes = [p[list(topology.RIGHT_UPPER_LID) + list(topology.RIGHT_LOWER_LID)[::-1]],
            p[list(topology.LEFT_UPPER_LID) + list(topology.LEFT_LOWER_LID)[::-1]]]
    other = np.zeros(size, np.uint8)
    cv2.fillPoly(other, [np.round((poly - origin) * 16).astype(np.int32) for poly in [lips, nose, *eyes]], 1,
                 cv2.LINE_8, shift=4)
    other = cv2.dilate(other, np.ones((3, 3), np.uint8), iterations=max(1, int(0.04 * scale)))
    skin = 1.0 - cv2.GaussianBlur(other.astype(np.float32), (0, 0), max(0.5, 0.015 * scale))
    region = image[y0:y1, x0:x1].astype(np.float32)
    low = _masked_blur(region, skin, _SHADE_DETAIL * scale)
    around = _masked_blur(region, skin * (1.0 - zone), _SHADE_AROUND * scale)
    weight = np.clip(np.abs((low - around) @ LUMA) / _SHADE_KNEE, 0.0, 1.0) * zone * skin
    lit = ((low - around) @ LUMA) > 0
    lift = (around - low) * (weight * np.where(lit, HIGHLIGHT_STRENGTH, SHADING_STRENGTH))[..., None]
    lift[np.abs(lift) < 0.25] = 0.0                       # under half a level at full strength: changes nothing
    return _trimmed(lift, x0, y0)


def corner_relief(image: np.ndarray, points: np.ndarray, scale: float) -> FoldRelief:
    """Measure the dark mouth corners of a smile: the shadowed commissure between each inner and outer lip corner
    and the crease just beyond it, as what fills them from the lips and skin around them.

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB; points : np.ndarray [shape=(n ≥ 468, 2)] pixels, the photo's
    own landmarks; scale : float > 0, pixels per inter-ocular distance

    A smiling mouth's corners are deep and dark past its inner lip corner, where MediaPipe's outer corner lies;
    when the smile relaxes, the warp squeezes that darkness into small specks at the new corners. Within
    ``_CORNER_REACH`` IOD of the middle of each inner and outer corner pair, outside the mouth's opening, pixels
    darker than the median of the ring around them (by ``_CORNER_DARK`` luma levels, fully from twice that) are
    inpainted (Telea) from the pixels around them; the lift is the inpainted colour minus the photo's, feathered.
    """
    p = np.asarray(points, np.float64)[:, :2]
    reach = max(2.0, _CORNER_REACH * scale)
    centres = [(p[inner] + p[outer]) / 2 for inner, outer in
               ((topology.UPPER_LIP_INNER[0], topology.LIP_CORNERS[0]),
                (topology.UPPER_LIP_INNER[-1], topology.LIP_CORNERS[1]))]
    reliefs = []
    for centre in centres:
        x0, y0, x1, y1 = padded_box(centre[None], int(np.ceil(1.6 * reach)) + 2, image.shape)
        if x1 - x0 < 3 or y1 - y0 < 3:
            continue
        region = image[y0:y1, x0:x1]
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        d = np.hypot(xx - centre[0], yy - centre[1]) / reach
        luma = region.astype(np.float32) @ LUMA
        ring = (d > 1.2) & (d < 1.6)
        if ring.sum() < 8:
            continue
        ref = float(np.median(luma[ring]))
        dark = np.clip((ref - luma - _CORNER_DARK) / _CORNER_DARK, 0.0, 1.0) * (d < 1.0)
        holes = cv2.dilate((dark > 0.1).astype(np.uint8), np.ones((3, 3), np.uint8))
        if not holes.any():
            continue
        filled = cv2.inpaint(np.ascontiguousarray(region), holes, 3, cv2.INPAINT_TELEA).astype(np.float32)
        weight = cv2.GaussianBlur(np.maximum(dark, holes * 0.8).astype(np.float32), (0, 0), 1.0)
        lift = (filled - region.astype(np.float32)) * weight[..., None]
        lift[np.abs(lift) < 0.25] = 0.0
        reliefs.append(_trimmed(lift, x0, y0))
    return combine_reliefs(*reliefs) if reliefs else FoldRelief((0, 0, 0, 0), np.zeros((0, 0, 3), np.float32))


def _masked_blur(region: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian average (sigma pixels) of ``region`` (h, w, 3) over the pixels ``weight`` (h, w, 0–1) counts;
    where it counts next to none, the pixel itself."""
    sigma = max(0.5, sigma)
    total = cv2.GaussianBlur(weight, (0, 0), sigma)[..., None]
    mean = cv2.GaussianBlur(region * weight[..., None], (0, 0), sigma) / np.maximum(total, 1e-3)
    return np.where(total > 1e-3, mean, region)


def combine_reliefs(*reliefs: FoldRelief) -> FoldRelief:
    """One relief that does what ``reliefs`` do together (their lifts added over the union of their boxes)."""
    boxes = np.array([r.box for r in reliefs if r.lift.size])
    if not len(boxes):
        return reliefs[0]
    x0, y0 = boxes[:, :2].min(axis=0)
    x1, y1 = boxes[:, 2:].max(axis=0)
    lift = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
    for r in reliefs:
        if r.lift.size:
            bx0, by0, bx1, by1 = r.box
            lift[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0] += r.lift
    return FoldRelief((int(x0), int(y0), int(x1), int(y1)), lift)


def relieve_folds(image: np.ndarray, reliefs: Sequence[tuple[FoldRelief, float]]) -> np.ndarray:
    """``image`` (H, W, 3) uint8 with each relief's ``fraction`` (0–1) of its measured shading taken away (its
    ``lift`` times the fraction added), as (relief, fraction) pairs; a new array, or the input itself when no
    fraction is above 0. Pixels outside the reliefs' boxes are the input's."""
    reliefs = [(r, min(float(f), 1.0)) for r, f in reliefs if f > 0]
    if not reliefs:
        return image
    out = image.copy()
    for relief, fraction in reliefs:
        x0, y0, x1, y1 = relief.box
        region = out[y0:y1, x0:x1].astype(np.float32)
        region += np.float32(fraction) * relief.lift + 0.5
        out[y0:y1, x0:x1] = np.clip(region, 0, 255, out=region).astype(np.uint8)
    return out


def lip_colours(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The photo's upper and lower lip colour, shape (2, 3) float32 RGB: the median of each lip's red (between its
    outer and inner contour) over the pixels in its brighter half (not the dark inside of the mouth, nor the shadow
    where a smiling lip meets the teeth, which on a small face fills much of a thin lip) and, of those, the more
    saturated half (not teeth showing through a thin lip: pale, grey).

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB; points : np.ndarray [shape=(n ≥ 468, 2)] pixels, landmarks
    """
    p = np.asarray(points, np.float64)[:, :2]
    out = []
    for outer, inner in ((topology.UPPER_LIP_OUTER, topology.UPPER_LIP_INNER),
                         (topology.LOWER_LIP_OUTER, topology.LOWER_LIP_INNER)):
        poly = np.concatenate([p[list(outer)], p[list(inner)][::-1]])
        x0, y0, x1, y1 = padded_box(poly, 0, image.shape, after=1)
        mask = np.zeros((max(1, y1 - y0), max(1, x1 - x0)), np.uint8)
        cv2.fillPoly(mask, [np.round((poly - (x0, y0)) * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
        pixels = image[y0:y1, x0:x1][mask[:y1 - y0, :x1 - x0] > 0].astype(np.float32)
        if len(pixels) < 4:
            out.append(np.full(3, np.nan, np.float32))
            continue
        bright = pixels[pixels @ LUMA >= np.median(pixels @ LUMA)]
        chroma = bright.max(axis=1) - bright.min(axis=1)
        out.append(np.median(bright[chroma >= np.median(chroma)], axis=0))
    colours = np.array(out, np.float32)
    if np.isnan(colours).any():                                   # one lip too thin to sample: use the other's
        colours = np.where(np.isnan(colours), np.nanmean(colours, axis=0), colours)
    return colours


def _line_peak(sigma: float) -> float:
    """The middle of a one-pixel line blurred by a Gaussian of ``sigma`` pixels, as a share of the line's value."""
    return math.erf(0.5 / (sigma * math.sqrt(2.0)))


def paint_closed_lips(image: np.ndarray, points: np.ndarray, colours: np.ndarray, scale: float,
                      weight: float = 1.0) -> None:
    """Repaint, in place, the red of both lips in the lips' own colours, with their shading and the dark line
    where they meet, keeping the fine texture of the pixels there.

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB, modified in place
    points : np.ndarray [shape=(n ≥ 468, 2)] pixels, the rendered (expressed) landmarks
    colours : np.ndarray [shape=(2, 3)] RGB, upper and lower lip (``lip_colours`` of the photo)
    scale : float > 0, pixels per inter-ocular distance
    weight : float 0–1, how much of the repaint replaces the pixels

    A smile that closes leaves its lips stretched from the thin red of a smile and the skin beside the corners,
    a pale flat band that does not follow the lips' new shape. The lower lip is painted a little darker than the
    photo's lit lip (``LOWER_LIP_LEVEL``). The lips are shaded as closed lips are: the upper
    lip, facing down, darker towards the mouth line (``_upper_lip_shade``); the lower lip shaded under the upper
    one, with a highlight where it faces the light and rolling under at its contour (``_lower_lip_shade``); both
    darker towards the corners, where they turn away (``LIP_CORNER_SHADE``). The lower lip's outer edge is soft
    and casts a shadow on the skin below it (``LOWER_LIP_SHADOW``). The mouth line is soft (``mouth.LINE_SOFT``)
    and lightest at the corners. The fine texture of the rendered pixels (the photo's own lip, stretched: its
    vertical lines) rides on the paint, and pixels already near the painted colour keep up to 60 % of
    themselves. Whatever opens between the lips is painted later (mouth.paint_mouth_interior).
    """
    if weight <= 0:
        return
    p = np.asarray(points, np.float64)[:, :2]
    uo, ui = p[list(topology.UPPER_LIP_OUTER)], p[list(topology.UPPER_LIP_INNER)]
    lo, li = p[list(topology.LOWER_LIP_OUTER)], p[list(topology.LOWER_LIP_INNER)]
    # 0.1 IOD around the lips: room for the lower lip's shadow below it
    x0, y0, x1, y1 = padded_box(np.concatenate([uo, lo]), int(0.1 * scale) + 3, image.shape)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    origin = np.array([x0, y0], np.float64)
    size = (int(y1 - y0), int(x1 - x0))

    def fill(poly: np.ndarray) -> np.ndarray:
        m = np.zeros(size, np.float32)
        cv2.fillPoly(m, [np.round((poly - origin) * 16).astype(np.int32)], 1.0, cv2.LINE_AA, shift=4)
        return m

    seam = np.concatenate([uo[:1], (ui + li)[1:-1] / 2, uo[-1:]])   # where the lips meet, corner to corner
    upper = fill(np.concatenate([uo, seam[::-1]]))
    lower = fill(np.concatenate([lo, seam[::-1]]))
    feather = max(0.5, 0.012 * scale)
    # the lower lip's outer edge is soft, a lip rolling under into its shadow, not a cut edge
    upper, lower = cv2.GaussianBlur(upper, (0, 0), feather), cv2.GaussianBlur(lower, (0, 0), _LOWER_EDGE * scale)
    # distance from the seam, 0 on it, 1 at the lip's outer contour (per column, from the contours' heights)
    xs = np.arange(x0, x1, dtype=np.float64)
    ys = np.arange(y0, y1, dtype=np.float64)[:, None]
    s, top, bottom = curve_at(seam, xs), curve_at(uo, xs), curve_at(lo, xs)
    t_up = np.clip((s - ys) / np.maximum(s - top, 1.0), 0, 1)
    t_lo = np.clip((ys - s) / np.maximum(bottom - s, 1.0), 0, 1)
    colours = np.asarray(colours, np.float32) * np.array([[1.0], [LOWER_LIP_LEVEL]], np.float32)
    # the lips turn away from the light and the camera towards the corners: darker there
    width = float(np.linalg.norm(seam[-1] - seam[0]))
    cx = (seam[0, 0] + seam[-1, 0]) / 2
    toward_corner = np.clip(np.abs(xs - cx) / max(width / 2, 1.0), 0, 1)[None, :]
    rounding = 1.0 - LIP_CORNER_SHADE * toward_corner ** 2
    shade_up, shade_lo = _upper_lip_shade(t_up) * rounding, _lower_lip_shade(t_lo) * rounding
    base = upper[..., None] * colours[0] * shade_up[..., None] + lower[..., None] * colours[1] * shade_lo[..., None]
    # the two lips' masks overlap along the seam (both polygons hold it, both are feathered): the colour is their
    # weighted mean (divided by the sum, not by the sum clipped to 1, which made the seam up to 1.5x too bright)
    total = upper + lower
    base /= np.maximum(total, 1e-3)[..., None]
    cover = np.clip(total, 0, 1)
    # the mouth line, along the seam
    line = np.zeros(size, np.float32)
    # only where the lips meet: where they part (an asked opening) the line would read as closed lips across it
    along = (seam[-1] - seam[0]) / max(width, 1e-6)
    parted = (li - ui) @ np.array([-along[1], along[0]])                # across the mouth, lower lip below: > 0
    meet = np.clip(1.0 - parted / (MOUTH_LINE_PARTED * scale), 0.0, 1.0)
    ends = np.round((seam - origin) * 16).astype(np.int32)
    if meet.min() >= 1.0:
        cv2.polylines(line, [ends], False, 1.0, 1, cv2.LINE_AA, shift=4)
    for k in range(len(seam) - 1) if meet.min() < 1.0 else ():
        part = np.zeros(size, np.float32)
        cv2.line(part, tuple(ends[k].tolist()), tuple(ends[k + 1].tolist()), float(min(meet[k], meet[k + 1])), 1,
                 cv2.LINE_AA, shift=4)
        np.maximum(line, part, out=line)
    # a soft line, its middle as dark as MOUTH_LINE_DARK, fading towards the corners (where a dark line that
    # followed them down read as a drawn frown's hooks)
    soft = max(LINE_MIN_SOFT, LINE_SOFT * scale)
    line = cv2.GaussianBlur(line, (0, 0), soft) / _line_peak(soft)
    fade = 1.0 - (1.0 - MOUTH_LINE_CORNER) * toward_corner ** 2
    base *= (1.0 - np.minimum(line, 1.0) * (MOUTH_LINE_DARK * fade))[..., None]
    # fine texture of the rendered pixels, relative to their local mean, rides on the painted lips; pixels that
    # already have about the lips' colour (the photo's own lower lip, mostly) keep more of themselves
    region = image[y0:y1, x0:x1].astype(np.float32)
    luma = region @ LUMA + 1.0
    detail = np.clip(luma / cv2.GaussianBlur(luma, (0, 0), max(0.7, 0.01 * scale)), 0.85, 1.15)
    base *= detail[..., None]
    unlike = np.clip(0.4 + np.linalg.norm(region - base, axis=-1) / _LIP_LIKE, 0, 1)
    a = (np.clip(weight, 0, 1) * cover * cv2.GaussianBlur(unlike, (0, 0), feather))[..., None]
    # the lower lip's shadow on the skin below it, along its outer contour, lightest towards the corners
    below = (ys - bottom) / scale
    under = LOWER_LIP_SHADOW * np.exp(-(((below - _SHADOW_AT) / _SHADOW_WIDTH) ** 2)) * (1.0 - toward_corner ** 2)
    under *= np.clip(below / _SHADOW_AT, 0, 1) * (1.0 - cover)      # on the skin only: the lip has its own shade
    region *= (1.0 - np.float32(np.clip(weight, 0, 1)) * under.astype(np.float32))[..., None]
    image[y0:y1, x0:x1] = np.clip(region * (1 - a) + base * a + 0.5, 0, 255).astype(np.uint8)


def _upper_lip_shade(t: np.ndarray) -> np.ndarray:
    """Brightness of the closed upper lip across its height, a share of its colour; ``t`` 0 at the line where the
    lips meet, 1 at its outer contour. It faces down, away from the light: darkest along the mouth line (0.80),
    lighter up to its ridge below the outer contour (1.0 from 0.6 up); 0.94 on average."""
    return 0.80 + 0.20 * np.clip(t / 0.6, 0, 1)


def _lower_lip_shade(t: np.ndarray) -> np.ndarray:
    """Brightness of the closed lower lip across its height, a share of its colour; ``t`` 0 at the line where the
    lips meet, 1 at its outer contour: shaded under the upper lip (0.84 on the line), a highlight where it faces
    the light (1.05 at 43 %), rolling under into the shadow below it (0.88 on its contour); 0.97 on average."""
    return (1.0 - 0.16 * np.exp(-((t / 0.18) ** 2)) + 0.06 * np.exp(-(((t - 0.45) / 0.22) ** 2))
            - 0.12 * t ** 3)
