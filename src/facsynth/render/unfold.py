"""Keep a moved triangle mesh from folding over itself: the skin of a warped photo never turns over.

A strong movement (the nose wings drawn up by AU9 over the cheek below them) can push a vertex past its
neighbours: a triangle then turns over, its neighbours overlap, and the warp shows a hard, pixel-stepped edge
where one triangle's picture is cut off by the other's. ``unfold`` moves the vertices of such triangles towards
their common movement (the skin ahead of a strongly moved vertex is carried along and bunches up instead of
folding), and damps the movement where that does not undo the fold, until no triangle is squashed below
``MIN_AREA`` of its area.
"""

from __future__ import annotations

import numpy as np

__all__ = ["unfold", "signed_areas", "MIN_AREA"]

#: A moved triangle must keep at least this share of its area, with its orientation.
MIN_AREA = 0.3
#: Rounds of smoothing, then of damping, before giving up on a fold (each round fixes part of it).
_ROUNDS = 60


def signed_areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Twice the signed area of each triangle, shape (t,); the sign is its orientation.

    points : np.ndarray [shape=(n, 2)], pixels; triangles : np.ndarray [shape=(t, 3)], int vertex indices
    """
    p = np.asarray(points, np.float64)[triangles]
    return ((p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1])
            - (p[:, 2, 0] - p[:, 0, 0]) * (p[:, 1, 1] - p[:, 0, 1]))


def unfold(src: np.ndarray, dst: np.ndarray, triangles: np.ndarray, pinned: np.ndarray | None = None,
           held: np.ndarray | None = None) -> np.ndarray:
    """``dst`` with the displacement of folding vertices changed so that no triangle turns over or collapses.

    Parameters
    ----------
    src, dst : np.ndarray [shape=(n, 2)], pixels, vertex positions before and after the movement
    triangles : np.ndarray [shape=(t, 3)], int vertex indices of the surface that must not fold (not the eye and
        mouth openings, whose strips close to nothing on purpose); triangles already degenerate in ``src`` are
        not checked
    pinned : np.ndarray [shape=(n,)] bool, vertices that always keep their displacement (fixed anchors), or None
    held : np.ndarray [shape=(n,)] bool, vertices that keep their displacement unless a fold cannot be undone
        without moving them (the lips, whose own movement is drawn separately), or None

    Returns np.ndarray [shape=(n, 2)] float64: ``dst`` itself (a copy) when every triangle keeps more than
    ``MIN_AREA`` of its area with its orientation; otherwise the free vertices of the triangles that do not are
    moved each round half-way towards the mean displacement of those triangles (the vertex that moves most
    carries the others along), for ``_ROUNDS`` rounds, then the held ones too; a fold still left is damped
    (its vertices moved half-way back to ``src`` each round), which undoes any fold that does not lie between
    pinned vertices alone.
    """
    src = np.asarray(src, np.float64)
    out = np.array(dst, np.float64)
    tri = np.asarray(triangles, np.int64)
    before = signed_areas(src, tri)
    live = np.abs(before) > 1e-9
    tri, before = tri[live], before[live]

    def folded() -> np.ndarray:
        return signed_areas(out, tri) / before < MIN_AREA

    bad = folded()
    if not bad.any():
        return out
    n = len(src)
    movable = np.ones(n, bool) if pinned is None else ~np.asarray(pinned, bool)
    free = movable if held is None else movable & ~np.asarray(held, bool)
    for push, may_move in ((True, free), (True, movable), (False, movable)):
        for _ in range(_ROUNDS):
            disp = out - src
            folds = tri[bad]
            verts = np.zeros(n, bool)
            verts[folds.ravel()] = True
            verts &= may_move
            if push:
                # each fold's vertices move towards the fold's mean movement (a vertex in several folds: towards
                # their mean): what moves most carries the skin it would fold over along, and gives up some
                at, mean = folds.ravel(), np.repeat(disp[folds].mean(axis=1), 3, axis=0)
                count = np.bincount(at, minlength=n)[verts, None]
                target = np.stack([np.bincount(at, mean[:, c], n)[verts] for c in (0, 1)], axis=1) / count
            else:
                target = 0.0
            out[verts] = src[verts] + 0.5 * (disp[verts] + target)
            bad = folded()
            if not bad.any():
                return out
    return out
