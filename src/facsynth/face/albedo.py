"""The default face's colours where no photo textures it: skin, tinted lips and dark brows, per vertex, so the brow
AUs (AU1, AU2, AU4) show on the shipped face in the preview and the glTF mesh alike."""

from __future__ import annotations

import numpy as np

from .muscles import lip_regions
from .topology import LEFT_BROW, RIGHT_BROW

__all__ = ["vertex_colours", "SKIN", "LIPS", "BROW"]

#: sRGB 0–1: the skin, the red of the lips, and the brows' hair (on both rows of each brow's landmarks)
SKIN = np.array([0.86, 0.66, 0.56], np.float32)
LIPS = np.array([0.78, 0.45, 0.45], np.float32)
BROW = np.array([0.33, 0.22, 0.16], np.float32)


def vertex_colours(vertices: np.ndarray) -> np.ndarray:
    """Colour of each vertex of a face (n ≥ 468, 3) in the face frame: (n, 3) float32 sRGB 0–1."""
    colours = np.tile(SKIN, (len(vertices), 1))
    colours[np.concatenate(lip_regions(np.asarray(vertices)))] = LIPS
    colours[list(RIGHT_BROW + LEFT_BROW)] = BROW
    return colours
