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
    x0, y0 = np.maximum(np.floor(p.min(axis=0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(p.max(axis=0)).astype(int) + (pad if after is None else after), (shape[1], shape[0]))
    return int(x0), int(y0), int(x1), int(y1)
