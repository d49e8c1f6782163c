"""Triangle topology of the 478-point face mesh, built from MediaPipe's FACEMESH_TESSELATION edges.

The 468 surface landmarks form 852 triangles with the eye and mouth openings left as holes (the 10 iris points
are not part of the surface). The triangles ship in ``facsynth/assets/neutral_face.npz`` so that nothing here is
needed at run time; ``build_triangles`` re-derives them from MediaPipe when the asset is rebuilt.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .._lazy import lazy_module
from .landmarks import import_mediapipe

optimize = lazy_module("scipy.optimize")

__all__ = ["build_triangles", "orient_triangles", "mirror_map", "boundary_loops", "vertex_normals",
           "UPPER_LIP_INNER", "LOWER_LIP_INNER", "UPPER_LIP_OUTER", "LOWER_LIP_OUTER",
           "RIGHT_UPPER_LID", "RIGHT_LOWER_LID", "LEFT_UPPER_LID", "LEFT_LOWER_LID",
           "RIGHT_BROW", "LEFT_BROW", "LIP_CORNERS", "RIGHT_IRIS", "LEFT_IRIS", "iris_radius"]

# Named landmark sets (MediaPipe indices). "Right" and "left" are the subject's; lists run from the subject's
# right to left (image left to right) unless said otherwise.
UPPER_LIP_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LOWER_LIP_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
UPPER_LIP_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LOWER_LIP_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIP_CORNERS = (61, 291)
#: Eyelid margins, from the outer (lateral) to the inner (medial) eye corner.
RIGHT_UPPER_LID = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_LOWER_LID = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_UPPER_LID = (263, 466, 388, 387, 386, 385, 384, 398, 362)
LEFT_LOWER_LID = (263, 249, 390, 373, 374, 380, 381, 382, 362)
#: Eyebrows, upper edge then lower edge, each from outer to inner end.
RIGHT_BROW = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)
LEFT_BROW = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
#: Iris centres (of the 10 iris points after the 468 surface points); each is followed by four points on its rim.
RIGHT_IRIS, LEFT_IRIS = 468, 473


def iris_radius(points: np.ndarray, centre: int) -> float:
    """The radius of the iris centred on landmark ``centre`` (``RIGHT_IRIS``, ``LEFT_IRIS``): the mean distance of
    its four rim points from it in x, y, in the units of ``points`` (n ≥ 478, ≥ 2)."""
    p = np.asarray(points)
    return float(np.linalg.norm(p[centre + 1:centre + 5, :2] - p[centre, :2], axis=1).mean())


def build_triangles() -> np.ndarray:
    """Triangles (852, 3) int32 of the 468-point MediaPipe face surface, from its tessellation edges.

    Every 3-cycle of the edge graph is a candidate; the few 3-cycles that are not faces (all three of their
    edges are shared by three candidates) are dropped. Orientation is not yet consistent (see orient_triangles).
    """
    tessellation = import_mediapipe().solutions.face_mesh_connections.FACEMESH_TESSELATION
    nb: dict[int, set[int]] = defaultdict(set)
    for a, b in tessellation:
        nb[a].add(b)
        nb[b].add(a)
    tris = {tuple(sorted((a, b, c))) for a, b in tessellation for c in nb[a] & nb[b]}
    count: dict[tuple[int, int], int] = defaultdict(int)
    for t in tris:
        for e in ((t[0], t[1]), (t[1], t[2]), (t[0], t[2])):
            count[e] += 1
    keep = [t for t in tris if not all(count[e] >= 3 for e in ((t[0], t[1]), (t[1], t[2]), (t[0], t[2])))]
    return np.array(sorted(keep), dtype=np.int32)


def orient_triangles(triangles: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Consistently wound copy of ``triangles`` whose normals face the viewer (+z of the face frame).

    Winding is propagated across shared edges (breadth first), then flipped as a whole if most normals point
    away. vertices : (n, 3) in the face frame.
    """
    tris = [list(t) for t in np.asarray(triangles)]
    by_edge: dict[frozenset, list[int]] = defaultdict(list)
    for i, t in enumerate(tris):
        for k in range(3):
            by_edge[frozenset((t[k], t[(k + 1) % 3]))].append(i)
    done = np.zeros(len(tris), bool)
    for start in range(len(tris)):
        if done[start]:
            continue
        done[start] = True
        queue = [start]
        while queue:
            i = queue.pop()
            t = tris[i]
            for k in range(3):
                a, b = t[k], t[(k + 1) % 3]
                for j in by_edge[frozenset((a, b))]:
                    if done[j]:
                        continue
                    u = tris[j]
                    # a consistent neighbour runs the shared edge the other way (b → a)
                    if any(u[m] == a and u[(m + 1) % 3] == b for m in range(3)):
                        tris[j] = u[::-1]
                    done[j] = True
                    queue.append(j)
    out = np.array(tris, dtype=np.int32)
    v = np.asarray(vertices, np.float64)
    n = np.cross(v[out[:, 1]] - v[out[:, 0]], v[out[:, 2]] - v[out[:, 0]])
    if (n[:, 2] < 0).sum() > len(out) / 2:
        out = out[:, ::-1].copy()
    return out


def mirror_map(vertices: np.ndarray) -> np.ndarray:
    """For each vertex, the index of its left–right mirror image (itself on the midline), shape (n,) int32.

    Found by optimal assignment of the vertices to their reflections (x → −x) in the face frame.
    """
    v = np.asarray(vertices, np.float64)
    r = v * np.array([-1.0, 1.0, 1.0])
    cost = np.linalg.norm(v[:, None, :] - r[None, :, :], axis=2)
    rows, cols = optimize.linear_sum_assignment(cost)
    out = np.empty(len(v), np.int32)
    out[rows] = cols
    return out


def boundary_loops(triangles: np.ndarray) -> list[list[int]]:
    """Closed loops of boundary edges (edges of one triangle): face outline, two eyes and the mouth."""
    count: dict[frozenset, int] = defaultdict(int)
    for t in np.asarray(triangles):
        for k in range(3):
            count[frozenset((int(t[k]), int(t[(k + 1) % 3])))] += 1
    nb: dict[int, list[int]] = defaultdict(list)
    for e, c in count.items():
        if c == 1:
            a, b = tuple(e)
            nb[a].append(b)
            nb[b].append(a)
    loops, seen = [], set()
    for s in sorted(nb):
        if s in seen:
            continue
        loop, prev, cur = [s], None, s
        seen.add(s)
        while True:
            nxt = [n for n in nb[cur] if n != prev and n not in seen]
            if not nxt:
                break
            prev, cur = cur, nxt[0]
            loop.append(cur)
            seen.add(cur)
        loops.append(loop)
    return sorted(loops, key=len, reverse=True)


def vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals, shape (n, 3) float32, for vertices (n, 3) and triangles (m, 3)."""
    v = np.asarray(vertices, np.float32)
    t = np.asarray(triangles)
    fn = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])
    idx = t.reshape(-1)
    w = np.repeat(fn, 3, axis=0)
    n = np.stack([np.bincount(idx, weights=w[:, c], minlength=len(v)) for c in range(3)], axis=1)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    return n.astype(np.float32)
