"""The expression a face already wears: smile, parted lips, open jaw, raised cheeks, from its landmarks alone.

A renderer that puts an *absolute* expression on a photo (the target is the state of the face, not a change
added to it) first needs to know what the photo already shows: a portrait that smiles must lose its smile when
asked for sadness, and lips parted at rest must close for a neutral face. Identity and expression are mixed up
in one photo's landmarks, so only movements that are large compared with how neutral faces differ are read,
from measures that identity changes little (IOD units, face frame: y up):

* lip gap: the middle third of the inner lip contours → AU25 (lips part) and then AU26 (jaw drop);
* mouth width and the height of the lip corners above the upper lip's centre → AU12 (smile);
* eye opening → AU6 (cheeks raised narrow the eye from below), read only together with a smile, since narrow eyes
  alone are far more often the person's own shape.

Each measure is compared with the shipped neutral face (facsynth.face.model.default_face) with a dead zone of
about the spread between neutral faces, and explained by the face's own muscle basis (per-unit slopes), so the
estimate is in FACS intensities that the same basis can take away again. Brows are not read: brow height and
spacing differ between neutral faces as much as a clear AU1, AU2 or AU4 moves them; nor are corners turned down
(AU15), rare in the photos people pick and confounded with the smile's raised upper lip.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..facs import MAX_INTENSITY
from .muscles import AUBasis
from .topology import LOWER_LIP_INNER, LOWER_LIP_OUTER, UPPER_LIP_INNER, UPPER_LIP_OUTER

__all__ = ["own_expression", "expression_measures", "lip_closure", "smile_relaxation", "bounded_lstsq", "READ_AUS",
           "DEAD_ZONE", "SMILE_GAIN", "LIP_SEAL"]

#: The AUs whose presence in a photo is read (the rest are taken as 0).
READ_AUS = (6, 12, 25, 26)
#: Per measure (gap, width, corner height, eye opening), IOD units: differences from the neutral face smaller
#: than this are taken as the person's own shape. About the spread of these measures over neutral faces
#: (GRID rest frames and Grace Hopper: width 0.72–0.83, corner height −0.03–0.02, eye opening 0.12–0.17).
DEAD_ZONE = np.array([0.015, 0.06, 0.03, 0.03])
#: How much larger a photo's own smile is taken to be than its landmarks show: MediaPipe follows a smile only part of
#: the way (0.55–0.7 of a rendered AU12's corner movement, docs/photo.md). 1 / 0.67 = 1.5 over-removed the smiles of
#: the two smiling portraits: their neutral target put the lip corners 0.083–0.085 IOD below the mouth's centre,
#: lower than any neutral face's (−0.055–+0.008; shipped face −0.013), which folded the cheeks and cost identity
#: (dlib) on every emotion. 1.2 leaves them at −0.057 / −0.066 while still taking the smile away
#: (docs/expressions.md, *Identity on every cell*).
SMILE_GAIN = 1.2
_EYES = ((159, 145), (386, 374))     # upper and lower lid margin centres, right and left eye
_CORNERS = (61, 291)
_UPPER_CENTRE = 13                   # the upper lip's inner centre: the jaw does not move it
#: How far the outer edge of a lip follows its inner edge when parted lips are closed: all the way, each lip moves
#: as a body and its red keeps the photo's height (half the way made the smiling portraits' repainted lips a
#: swollen slab and MediaPipe read their single AUs' lips wrong: docs/expressions.md, *Closing parted lips*).
_OUTER_FOLLOWS = 1.0
#: The share of the gap left at first contact that the lower lip closes (it rises over the jaw; the upper lip
#: comes down the rest): the lips then meet near where the photo's upper lip is, level with its corners (halfway
#: from each lip, the middle of the mouth met 0.1 IOD below the corners on Obama, a smile's curve).
_LOWER_SHARE = 0.8
#: The widest gap (IOD, face frame) that parted lips close by themselves over the photo's jaw; a photo whose
#: lips stay further apart with its own AU25 taken away has as much of its jaw drop (AU26) taken away as it takes
#: to bring that gap down to this (GRID id2 0.18 and the smiling portraits 0.17 / 0.22 before, lbbc2a 0.08 and
#: sbia1a 0.04 keep their jaw). 0.25, the jaw kept on every face, made MediaPipe read Obama's closed mouth as open
#: through a whole talking track (lip-gap slope 0.91 -> 0.19); 0.10 kept too little to help id2 (docs/expressions.md).
LIP_SEAL = 0.15
#: How far from the lips (IOD) the skin follows the lips' even relaxation when a smile is taken away.
_RELAX_REACH = 0.3


def expression_measures(shape: np.ndarray) -> np.ndarray:
    """Lip gap, mouth width, corner height and eye opening of a face, shape (..., 4), IOD units.

    shape : np.ndarray [shape=(..., 478, 3)] or (..., 478, 2), face frame (y up), e.g. ``Face.normalised()``
    """
    p = np.asarray(shape, np.float64)
    up, lo = np.asarray(UPPER_LIP_INNER), np.asarray(LOWER_LIP_INNER)
    n = len(up)
    mid = slice(n // 3, n - n // 3)
    gap = (p[..., up[mid], 1] - p[..., lo[mid], 1]).mean(axis=-1)
    width = np.abs(p[..., _CORNERS[1], 0] - p[..., _CORNERS[0], 0])
    corners = (p[..., _CORNERS[0], 1] + p[..., _CORNERS[1], 1]) / 2 - p[..., _UPPER_CENTRE, 1]
    eyes = np.mean([p[..., a, 1] - p[..., b, 1] for a, b in _EYES], axis=0)
    return np.stack([gap, width, corners, eyes], axis=-1)


def bounded_lstsq(a: np.ndarray, b: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """argmin ||a x - b|| with lo ≤ x ≤ hi, exactly, for a few unknowns (a: (m, n), n ≤ 6): every split of the
    unknowns into free, at ``lo`` and at ``hi`` is solved and the best feasible one kept (3^n small solves, well
    under a millisecond for n = 4; scipy.optimize would cost a photo edit a second of imports)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    n = a.shape[1]
    best, best_cost = np.clip(np.zeros(n), lo, hi), np.inf
    for states in itertools.product((0, 1, 2), repeat=n):   # 0 free, 1 at lo, 2 at hi
        x = np.where(np.array(states) == 2, hi, lo).astype(np.float64)
        free = np.array(states) == 0
        if free.any():
            rest = b - a[:, ~free] @ x[~free]
            x[free] = np.linalg.lstsq(a[:, free], rest, rcond=None)[0]
            if (x[free] < lo - 1e-9).any() or (x[free] > hi + 1e-9).any():
                continue
        cost = float(np.sum((a @ x - b) ** 2))
        if cost < best_cost - 1e-12:
            best, best_cost = x, cost
    return best


def own_expression(shape: np.ndarray, basis: AUBasis, reference: np.ndarray) -> dict[int, float]:
    """AU intensities (FACS 0–5) of the expression ``shape`` already wears; only READ_AUS, zeros left out.

    shape : np.ndarray [shape=(478, 3)], the photo's face in the face frame
    basis : the muscle basis built on ``shape`` (facsynth.face.model.basis_for(shape))
    reference : np.ndarray [shape=(478, 3)], a neutral face in the face frame (default_face().vertices)

    The measures' differences from ``reference`` beyond DEAD_ZONE are explained, least squares within 0–5, by the
    basis's change of the measures per unit of each AU. AU6 is capped at the smile's AU12.
    """
    base = expression_measures(basis.neutral)
    probe = 2.0
    moved = basis.apply(np.eye(len(READ_AUS), dtype=np.float32) * probe, READ_AUS)
    slopes = (expression_measures(moved) - base).T / probe               # (4 measures, n AUs) per unit
    diff = expression_measures(shape) - expression_measures(reference)
    diff = np.sign(diff) * np.maximum(np.abs(diff) - DEAD_ZONE, 0.0)
    scale = 1.0 / np.maximum(DEAD_ZONE, 1e-6)                             # weigh measures by their noise
    x = bounded_lstsq(slopes * scale[:, None], diff * scale, 0.0, MAX_INTENSITY)
    out = dict(zip(READ_AUS, (float(v) for v in x)))
    # MediaPipe's face-shape prior follows a smile only part of the way (a rendered AU12 moves its corners
    # 0.55–0.7 of the true distance, docs/photo.md): the smile the landmarks show is scaled back up
    out[12] = min(out[12] * SMILE_GAIN, MAX_INTENSITY)
    out[6] = min(out[6], out[12])
    return {a: round(v, 2) for a, v in out.items() if v >= 0.25}


def lip_closure(basis: AUBasis, own: dict[int, float]) -> tuple[dict[int, float], np.ndarray]:
    """Parted lips closed by the lips, the jaw left (mostly) where the photo has it: ``own`` with its AU25 scaled
    so that taking it away brings the lips into first contact and no further, its AU26 (jaw drop) left out as far
    as it stays (see below), and the displacement (478, 3) that closes what the muscle basis leaves open.

    basis : the muscle basis of the photo's face (its ``neutral`` is the photo's shape, face frame)
    own : the photo's own expression (``own_expression``)

    The jaw: a lip gap alone does not say how much of an opening is the jaw's; a face at rest holds its teeth
    apart and its lips closed over them, and a jaw raised by the AU26 read from the gap moved the chin and
    shortened the face, which changed who the face is (dlib's descriptor: GRID id2's neutral render 0.25 from its
    photo, 0.20 with most of it kept; docs/expressions.md, *Closing parted lips*). So the jaw stays, and the photo's
    AU26 is its rest (a track's AU26 drops the jaw from there), unless the lips would have more than LIP_SEAL to
    close: then as much AU26 is taken away as brings the gap down to it.

    An open mouth at rest is an ellipse that the basis's lip and jaw movements cannot take away everywhere at
    once: subtracting more than first contact presses the lips' middle together (the basis's lips never cross)
    while their sides stay apart, and a track then has to undo the overshoot before the mouth opens again, so a
    talking video from an open-mouthed first frame barely moves its lips. The remaining gap of each inner-lip pair
    is closed mostly by the lower lip (``_LOWER_SHARE``), the outer edge of each lip following
    (``_OUTER_FOLLOWS``).
    """
    fix = np.zeros_like(basis.neutral, dtype=np.float32)
    lips, jaw = float(own.get(25, 0.0)), float(own.get(26, 0.0))
    if lips <= 0 and jaw <= 0:
        return dict(own), fix
    scale, gap = _first_contact(basis, lips, 0.0)
    taken = 0.0
    if gap.max() > LIP_SEAL and jaw > 0:                  # too wide for the lips alone: the jaw closes the rest
        low, high = 0.0, jaw
        for _ in range(12):
            mid = (low + high) / 2
            low, high = (mid, high) if _first_contact(basis, lips, mid)[1].max() > LIP_SEAL else (low, mid)
        taken = high
        scale, gap = _first_contact(basis, lips, taken)
    out = {a: v for a, v in own.items() if a not in (25, 26)}
    for a, v in ((25, lips), (26, taken)):
        if v * scale > 0:
            out[a] = round(v * scale, 2)
    return out, _close_pairs(fix, gap)


def _first_contact(basis: AUBasis, lips: float, jaw: float) -> tuple[float, np.ndarray]:
    """The share (0–1) of AU25 ``lips`` and AU26 ``jaw`` whose removal brings the inner lips of ``basis``'s face
    into first contact (1 when they stay apart), and each inner-lip pair's gap then, shape (n - 2,), IOD."""
    up, lo = np.asarray(UPPER_LIP_INNER[1:-1]), np.asarray(LOWER_LIP_INNER[1:-1])
    values = np.array([[lips, jaw]], np.float32)

    def gaps(share: float) -> np.ndarray:
        p = basis.apply(-share * values, (25, 26))[0]
        return p[up, 1] - p[lo, 1]

    full = gaps(1.0)
    if full.min() > 1e-3:
        return 1.0, full
    low, high = 0.0, 1.0
    for _ in range(12):
        mid = (low + high) / 2
        low, high = (mid, high) if gaps(mid).min() > 1e-3 else (low, mid)
    return low, gaps(low)


def _close_pairs(fix: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """``fix`` with each inner-lip pair's positive ``gap`` (IOD, face frame, y up) closed, LOWER_SHARE of it by the
    lower lip and the rest by the upper lip."""
    gap = np.maximum(gap, 0.0)
    down, up = (1.0 - _LOWER_SHARE) * gap, _LOWER_SHARE * gap
    fix[np.asarray(UPPER_LIP_INNER[1:-1]), 1] -= down
    fix[np.asarray(LOWER_LIP_INNER[1:-1]), 1] += up
    fix[np.asarray(UPPER_LIP_OUTER[1:-1]), 1] -= _OUTER_FOLLOWS * down
    fix[np.asarray(LOWER_LIP_OUTER[1:-1]), 1] += _OUTER_FOLLOWS * up
    return fix


def smile_relaxation(basis: AUBasis, own: dict[int, float], closure: np.ndarray | None = None) -> np.ndarray:
    """What makes the lips of a smiling photo relax evenly when its smile (``own``'s AU12) is taken away: a
    displacement (478, 3) float32, face frame, of the four lip contours, added to the basis's −AU12.

    basis : the muscle basis of the photo's face (its ``neutral`` is the photo's shape, face frame)
    own : the photo's own expression (``own_expression``, after ``lip_closure``)
    closure : what closes the photo's parted lips (``lip_closure``), (478, 3) face frame, if any

    A smile stretches the whole red of the lips, the middle little and the corners most; the basis's AU12 moves
    the corners and lets its pull fade over a few points, so taking a broad smile away pulled the corners in past
    their neighbours and the lip contours folded over beside them (a flat band with hooked ends, whose corners a
    landmark detector no longer finds). Each point's movement is instead drawn from the basis's towards the
    corner's movement on its side by its distance from the mouth's centre as a share of the half-width (the basis
    in the middle, the corner at the corner).
    Where an inner lip contour then lies outside its outer one (beside the corners of a broad open smile), it is
    brought back onto it, so the mouth opening never spreads over the skin. All zeros for a photo without a
    smile.
    """
    fix = np.zeros_like(basis.neutral, dtype=np.float32)
    smile = float(own.get(12, 0.0))
    if smile <= 0:
        return fix
    p = np.asarray(basis.neutral, np.float64)
    d = basis.apply(np.array([[-smile]], np.float32), (12,))[0].astype(np.float64) - p
    right, left = _CORNERS
    centre, half = (p[right, 0] + p[left, 0]) / 2, max(abs(p[left, 0] - p[right, 0]) / 2, 1e-6)
    lips = np.unique(np.concatenate([UPPER_LIP_OUTER, LOWER_LIP_OUTER, UPPER_LIP_INNER, LOWER_LIP_INNER]))
    # the skin around the lips goes along, less with distance from the nearest lip point, so no triangle between
    # the lips and the cheeks turns over
    near = np.linalg.norm(p[:, None, :2] - p[None, lips, :2], axis=-1).min(axis=1)
    weight = np.clip(1.0 - near / _RELAX_REACH, 0.0, 1.0) ** 2
    u = np.clip((p[:, 0] - centre) / half, -1.0, 1.0)
    corner = np.where((u < 0)[:, None], d[right, :2], d[left, :2])
    fix[:, :2] = weight[:, None] * np.abs(u)[:, None] * (corner - d[:, :2])
    aus = tuple(a for a in own if own[a] > 0)
    q = basis.apply(-np.array([[own[a] for a in aus]], np.float32), aus)[0] + fix
    if closure is not None:
        q = q + closure
    for inner, outer, up in ((UPPER_LIP_INNER, UPPER_LIP_OUTER, 1.0), (LOWER_LIP_INNER, LOWER_LIP_OUTER, -1.0)):
        i, o = np.asarray(inner), np.asarray(outer)
        o = o[np.argsort(q[o, 0])]
        beyond = up * (q[i, 1] - np.interp(q[i, 0], q[o, 0], q[o, 1]))
        fix[i, 1] -= up * np.maximum(beyond, 0.0)
    return fix
