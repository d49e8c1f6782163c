"""The pixel box around a set of points: where a renderer step draws, so it touches only that part of the image;
and how much of each of its pixels a polygon covers."""

from __future__ import annotations

import numpy as np

from .._lazy import lazy_module

cv2 = lazy_module("cv2")

__all__ = ["padded_box", "coverage"]


def padded_box(points: np.ndarray, pad: int, shape: tuple[int, ...], after: int | None = None
               ) -> tuple[int, int, int, int]:
    """Integer box (x0, y0, x1, y1), x1 and y1 exclusive, around ``points`` (n, 2) pixels (x, y), widened by ``pad``
    pixels before and by ``after`` (default ``pad``) after, and clipped to an image of ``shape`` (H, W, …); it may be
    empty (x1 ≤ x0 or y1 ≤ y0) when the points lie outside the image."""
    p = np.asarray(points)
    xs, ys = p[:, 0], p[:, 1]                     # column by column: min(axis=0) of a small (n, 2) array costs 10x
    end = pad if after is None else after
    return (max(int(np.floor(xs.min())) - pad, 0), max(int(np.floor(ys.min())) - pad, 0),
            min(int(np.ceil(xs.max())) + end, shape[1]), min(int(np.ceil(ys.max())) + end, shape[0]))


def coverage(poly: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """How much of each pixel of ``box`` (x0, y0, x1, y1) the polygon ``poly`` (k, 2) pixels covers, (h, w) float32
    0–1: the polygon filled at 4× and averaged down, so its edge is antialiased."""
    x0, y0, x1, y1 = box
    ss = 4
    mask = np.zeros(((y1 - y0) * ss, (x1 - x0) * ss), np.uint8)
    cv2.fillPoly(mask, [np.round((poly - (x0, y0)) * ss * 16).astype(np.int32)], 255, cv2.LINE_8, shift=4)
    return cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
