"""Contact sheets: face crops of rendered frames laid out in a labelled grid (one image to judge many renders)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .._lazy import lazy_module
from ..errors import ImageError

cv2 = lazy_module("cv2")

__all__ = ["face_crop", "contact_sheet"]

_FONT_SCALE = 0.42
_BAND = 18  # height of a label band in pixels


def face_crop(image: np.ndarray, box: Sequence[float], side: int, zoom: float = 1.25) -> np.ndarray:
    """A square crop centred on a face box, resized to ``side`` × ``side``.

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB
    box : (x0, y0, x1, y1) pixels, e.g. a detected face's landmark box
    side : int > 0, output size in pixels
    zoom : the crop's side over the box's longer side (> 1 leaves a margin around the face); the part of the
        crop outside the image is filled by repeating the border pixels

    Returns np.ndarray [shape=(side, side, 3)] uint8 RGB.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ImageError(f"expected an (H, W, 3) uint8 RGB image, got shape {image.shape} dtype {image.dtype}")
    x0, y0, x1, y1 = (float(v) for v in box)
    if not (x1 > x0 and y1 > y0) or side < 1 or zoom <= 0:
        raise ImageError(f"cannot crop box {tuple(box)} to {side} pixels at zoom {zoom}")
    half = max(x1 - x0, y1 - y0) * zoom / 2
    s = side / (2 * half)
    if s < 1:  # shrink the whole image first (area averaging, no aliasing), then place the crop
        image = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    k = 1.0 if s < 1 else s
    cx, cy = (x0 + x1) / 2 * s, (y0 + y1) / 2 * s  # box centre in the (possibly shrunk) image, output pixels
    m = np.float32([[k, 0, side / 2 - cx], [0, k, side / 2 - cy]])
    return cv2.warpAffine(image, m, (side, side), flags=cv2.INTER_LINEAR if s < 1 else cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REPLICATE)


def _label(cell: np.ndarray, text: str) -> None:
    """Write ``text`` on a dark band along the bottom of ``cell`` (in place)."""
    if not text:
        return
    h, w = cell.shape[:2]
    band = cell[h - _BAND:]
    band[:] = (band.astype(np.float32) * 0.35).astype(np.uint8)
    cv2.putText(cell, text, (4, h - 5), cv2.FONT_HERSHEY_SIMPLEX, _FONT_SCALE, (255, 255, 255), 1, cv2.LINE_AA)


def contact_sheet(rows: Sequence[Sequence[np.ndarray | None]], labels: Sequence[Sequence[str]],
                  row_titles: Sequence[str] | None = None, title: str | None = None) -> np.ndarray:
    """Lay equal square cells out in a grid, each labelled on a band along its bottom edge.

    rows : cells per row, each np.ndarray [shape=(s, s, 3)] uint8 RGB (one ``s`` for all) or None for an empty
        cell; rows may differ in length (the sheet is as wide as the longest)
    labels : one text per cell, same layout as ``rows`` ("" for none)
    row_titles : optional text per row, drawn on the row's first cell above its label
    title : optional line of text on a band above the grid

    Returns np.ndarray [shape=(title band + len(rows)·s, max row length·s, 3)] uint8 RGB, light grey where
    there is no cell.
    """
    cells = [c for row in rows for c in row if c is not None]
    if not cells:
        raise ImageError("a contact sheet needs at least one cell")
    side = cells[0].shape[0]
    if any(c.shape != (side, side, 3) or c.dtype != np.uint8 for c in cells):
        raise ImageError(f"contact sheet cells must all be ({side}, {side}, 3) uint8 RGB")
    if len(labels) != len(rows) or any(len(t) != len(r) for t, r in zip(labels, rows)):
        raise ImageError("contact sheet labels must match the cells one for one")
    top = _BAND + 6 if title else 0
    cols = max(len(r) for r in rows)
    sheet = np.full((top + len(rows) * side, cols * side, 3), 235, np.uint8)
    if title:
        cv2.putText(sheet, title, (4, top - 7), cv2.FONT_HERSHEY_SIMPLEX, _FONT_SCALE + 0.08, (20, 20, 20), 1,
                    cv2.LINE_AA)
    for i, (row, texts) in enumerate(zip(rows, labels)):
        for j, (cell, text) in enumerate(zip(row, texts)):
            if cell is None:
                continue
            out = sheet[top + i * side: top + (i + 1) * side, j * side:(j + 1) * side]
            out[:] = cell
            _label(out, text)
            if j == 0 and row_titles and row_titles[i]:
                band = out[side - 2 * _BAND:side - _BAND]
                band[:] = (band.astype(np.float32) * 0.35).astype(np.uint8)
                cv2.putText(out, row_titles[i], (4, side - _BAND - 5), cv2.FONT_HERSHEY_SIMPLEX, _FONT_SCALE,
                            (255, 230, 120), 1, cv2.LINE_AA)
    return sheet
