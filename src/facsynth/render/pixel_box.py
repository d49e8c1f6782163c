"""The pixel box around a set of points: where a renderer step draws, so it touches only that part of the image."""

from __future__ import annotations

import numpy as np

__all__ = ["padded_box"]


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
