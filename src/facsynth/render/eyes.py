"""The eyeballs behind moving lids: a raised lid uncovers the eyeball (sclera above the iris, the iris's own round
top), a lowered one covers it, and the iris keeps its shape instead of stretching with the warp."""

from __future__ import annotations

import numpy as np

from .._lazy import lazy_module
from ..face.topology import (LEFT_IRIS, LEFT_LOWER_LID, LEFT_UPPER_LID, RIGHT_IRIS, RIGHT_LOWER_LID, RIGHT_UPPER_LID,
                             iris_radius)
from .mouth import LUMA, curve_at
from .pixel_box import coverage, padded_box

cv2 = lazy_module("cv2")

__all__ = ["paint_eyeballs", "UPPER_BAND", "LOWER_BAND", "LID_SHADOW", "SCLERA_HUE", "IRIS_DETAIL"]

#: How far (inter-ocular distances) below each lid margin the lid's own look reaches onto the eyeball, moving with
#: the lid: the upper lashes and their shadow (≈ 0.8 mm), the lower lid's wet line (≈ 0.4 mm)
UPPER_BAND = 0.012
LOWER_BAND = 0.006
#: The sclera just below a raised upper lid is in the lid's shadow: its light there, rising to the sclera's own
#: over LID_SHADOW[1] iris radii
LID_SHADOW = (0.8, 0.6)
#: The sclera keeps this share of the colour read from the photo's visible sclera (towards grey at its luma): the
#: few pixels between iris and corners carry the lids' and the caruncle's red (Hopper's read (157, 80, 69))
SCLERA_HUE = 0.7
#: The uncovered iris keeps the texture of the photo's iris mirrored about its centre's row, its departure from each
#: ring's colour clipped to this many levels (a catchlight mirrored up would be a second one)
IRIS_DETAIL = 25.0
_EYES = ((RIGHT_UPPER_LID, RIGHT_LOWER_LID, RIGHT_IRIS), (LEFT_UPPER_LID, LEFT_LOWER_LID, LEFT_IRIS))
#: The layer fades in as a lid moves from _FADE[0] to _FADE[1] px: under a pixel, how the warp stretches the eye is
#: not seen, and a talking video's small lid movements stay as the warp draws them (MediaPipe's fit of the whole
#: face follows what is drawn on the eyes; docs/expressions.md, session 11)
_FADE = (0.5, 1.5)


def paint_eyeballs(out: np.ndarray, image: np.ndarray, source: np.ndarray, moved: np.ndarray, scale: float,
                   softness: float) -> None:
    """Repaint each eye's opening in ``out``, in place, with the photo's eyeball held still behind the moved lids.

    out : np.ndarray [shape=(H, W, 3)] uint8 RGB, the warped render, modified inside the moved eye openings only
    image : the photo the render was warped from, same shape
    source, moved : np.ndarray [shape=(n ≥ 478, 2)], pixels, the landmarks on ``image`` and where the render has them
        (MediaPipe's 478, iris points included)
    scale : float > 0, pixels per inter-ocular distance; softness : the photo's edge softness, px (MouthLook)

    Per column of the eye, each lid's band (``UPPER_BAND``, ``LOWER_BAND``) moves with its margin; below the upper
    band and above the lower one the eyeball is the photo's own, where it was. What a raised lid uncovers the photo
    never showed: the iris's hidden top takes the photo's iris ring by ring (the darker part, 30th percentile, of
    each fifth of the radius: its catchlights left out), the rest is the photo's sclera (``SCLERA_HUE``), shaded
    by the lid (``LID_SHADOW``). The new opening's polygon, antialiased, takes this layer (as far as the lids moved
    past ``_FADE``); the lids and skin around keep the warp.
    """
    src, dst = np.asarray(source, np.float64), np.asarray(moved, np.float64)
    for upper, lower, k in _EYES:
        up, lo = list(upper), list(lower)
        move = max(np.abs(dst[up] - src[up]).max(), np.abs(dst[lo] - src[lo]).max())
        if move <= _FADE[0]:
            continue
        iris = src[k], max(iris_radius(src, k), 1.0)
        share = min((move - _FADE[0]) / (_FADE[1] - _FADE[0]), 1.0)
        _paint_eye(out, image, src[up], src[lo], dst[up], dst[lo], iris, scale, softness, share)


def _paint_eye(out: np.ndarray, image: np.ndarray, up_o: np.ndarray, lo_o: np.ndarray, up_n: np.ndarray,
               lo_n: np.ndarray, iris: tuple[np.ndarray, float], scale: float, softness: float,
               share: float) -> None:
    """One eye of ``paint_eyeballs``: lid contours (9, 2) px before (``_o``) and after (``_n``), corner to corner;
    ``iris``: its centre (2,) px and radius, px; ``share`` 0–1: how much of the layer replaces the warp's eye."""
    poly = np.concatenate([up_n, lo_n[::-1][1:-1]])
    x0, y0, x1, y1 = padded_box(np.concatenate([up_o, lo_o, up_n, lo_n]), 3, out.shape, after=4)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    top_o, top_n = curve_at(up_o, xs[0]), curve_at(up_n, xs[0])         # (1, w) the upper margin, before / after
    bot_o, bot_n = curve_at(lo_o, xs[0]), curve_at(lo_n, xs[0])
    band_u, band_l = UPPER_BAND * scale, LOWER_BAND * scale
    # where each pixel's colour comes from on the photo: the eyeball stays, the lids' bands move with their margins
    # (how much of each pixel a band covers, antialiased across the rows: a hard switch per row shows as steps)
    photo = image[y0:y1, x0:x1].astype(np.float32)
    layer = photo.copy()
    cols = np.ascontiguousarray(np.broadcast_to(xs, layer.shape[:2]), np.float32)
    for shift, weight in ((bot_o - bot_n, np.clip(ys - (bot_n - band_l) + 0.5, 0.0, 1.0)),
                          (top_o - top_n, np.clip(top_n + band_u - ys + 0.5, 0.0, 1.0))):
        if weight.max() > 0:
            rows = np.ascontiguousarray(np.broadcast_to(ys + shift, layer.shape[:2]), np.float32)
            band = cv2.remap(image, cols, rows, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            layer += weight[..., None] * (band.astype(np.float32) - layer)
    # what a raised upper lid (or a lowered lower one) uncovers: rows of eyeball the photo kept under its lid
    within = (xs > min(up_o[0, 0], up_o[-1, 0])) & (xs < max(up_o[0, 0], up_o[-1, 0]))   # between the corners
    seen = within & (ys >= top_o + band_u) & (ys <= bot_o - band_l)      # the eyeball the photo shows
    # how much of each pixel lies between the moved lids' bands but not on the eyeball the photo shows (antialiased
    # across the rows: a hard step per pixel row shows as a staircase)
    open_n = _between(ys, top_n + band_u, bot_n - band_l)
    hidden = within * np.maximum(open_n - _between(ys, top_o + band_u, bot_o - band_l), 0.0)
    if hidden.max() > 0:
        _fill_hidden(layer, photo, hidden, xs, ys, seen, top_n, iris, softness)
    mask = coverage(poly, (x0, y0, x1, y1)) * np.float32(share)
    region = out[y0:y1, x0:x1].astype(np.float32)
    region += mask[..., None] * (layer - region)
    out[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def _between(ys: np.ndarray, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """How much of each pixel row ``ys`` (h, 1) lies between ``top`` and ``bottom`` (1, w), 0–1, shape (h, w)."""
    return np.clip(np.minimum(ys + 0.5 - top, bottom - (ys - 0.5)), 0.0, 1.0)


def _fill_hidden(layer: np.ndarray, photo: np.ndarray, hidden: np.ndarray, xs: np.ndarray, ys: np.ndarray,
                 seen: np.ndarray, top_n: np.ndarray, iris: tuple[np.ndarray, float], softness: float) -> None:
    """Paint the eyeball the photo's lids hid into ``layer`` (h, w, 3) float, in place, as far as ``hidden``
    (h, w, 0–1): the iris as the photo's iris is at each distance from its centre (its dark rim included), the
    sclera beside it in the photo's sclera colour, shaded by the lid above and darker towards the eye's corners;
    blended in over the photo's softness (px). ``photo`` (h, w, 3) float: the photo's pixels of the same box;
    ``seen`` (h, w): the eyeball the photo shows."""
    (cx, cy), radius = iris
    y0 = int(ys[0, 0])
    dist = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2) / radius            # iris radii from its centre
    iris_seen = seen & (dist < 0.95)
    sclera_seen = seen & (dist > 1.15)
    if not iris_seen.any() and not sclera_seen.any():
        return                                                            # the photo shows no eyeball to go by
    if sclera_seen.sum() >= 3:
        lit = photo[sclera_seen]
        luma = lit @ LUMA
        sclera = lit[luma >= np.quantile(luma, 0.9)].mean(axis=0)       # the brightest: not lashes, not corners
    else:
        sclera = photo[seen].max(axis=0)
    grey = float(sclera @ LUMA)
    sclera = grey + SCLERA_HUE * (sclera - grey)     # what the few pixels read takes of the lids and the caruncle
    # the iris by distance from its centre, in 5 rings: the darker part (30th percentile) of what the photo shows of
    # each, not its catchlights (its mean overall where a ring is hidden)
    ring = np.minimum((dist * 5).astype(int), 4)
    overall = photo[iris_seen].mean(axis=0) if iris_seen.any() else sclera * 0.5
    rings = [photo[iris_seen & (ring == k)] for k in range(5)]
    profile = np.array([np.percentile(r, 30, axis=0) if len(r) >= 2 else overall for r in rings], np.float32)
    profile[4] = np.minimum(profile[4], 0.8 * profile[3])                 # the iris's dark rim, never sclera
    iris_fill = profile[ring]
    # the iris's own texture where the photo shows the same spot mirrored about the centre's row (its lower half,
    # unless the lower lid covers it): that pixel's departure from its ring, at most IRIS_DETAIL levels
    row = np.round(2 * cy - ys[:, 0]).astype(int) - y0
    mirror = np.clip(row, 0, len(ys) - 1)
    shown = iris_seen[mirror] & ((row >= 0) & (row < len(ys)))[:, None]
    detail = np.clip(photo[mirror] - iris_fill, -IRIS_DETAIL, IRIS_DETAIL)
    iris_fill = iris_fill + detail * shown[..., None]
    in_iris = np.clip((1.0 - dist) * radius + 0.5, 0.0, 1.0)[..., None]   # antialiased rim
    eye = iris_fill * in_iris + sclera * (1.0 - in_iris)
    lid = LID_SHADOW[0] + (1 - LID_SHADOW[0]) * np.clip((ys - top_n) / (LID_SHADOW[1] * radius), 0.0, 1.0)
    side = 1.0 - 0.2 * np.clip((np.abs(xs - cx) - radius) / (3.0 * radius), 0.0, 1.0)
    eye *= (lid * np.where(dist > 1.0, side, 1.0))[..., None]
    weight = hidden.astype(np.float32)
    sigma = max(softness, 0.5)
    eye = cv2.GaussianBlur(eye, (0, 0), sigma)
    weight = cv2.GaussianBlur(weight, (0, 0), sigma)[..., None]
    layer += weight * (eye - layer)
