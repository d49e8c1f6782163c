"""The AU basis: a Waters-style muscle model that turns AU intensities into 3D displacements of the face mesh.

Every AU of the catalogue is made of anatomical actuators, all placed in the normalised face frame (origin
between the eyes, x to the subject's left, y up, z towards the viewer, unit = inter-ocular distance; see
``facsynth.face.landmarks.Pose``) relative to MediaPipe landmarks, so the same model fits any face shape:

* linear muscles (Waters 1987): bony attachment A, skin insertion I, a cone of influence of half-angle Ω
  around A→I and a radial falloff that grows from A to I and fades to zero a ``reach`` beyond I; each vertex
  moves towards A by ``amount`` × angular falloff × radial falloff;
* sphincter muscles (orbicularis oris): an elliptical zone around the mouth that contracts towards its centre,
  pushes forward (pucker, funnel) or back (lip suck), with a smooth cos falloff to the ellipse border;
* the jaw (AU26, AU27): rotation of the mandible about the temporomandibular axis, weighted per vertex;
* the eyelids (AU5, AU43, AU45, and AU6/AU7 on the lower lid): the upper lid margin and lid skin move a
  fraction of the way onto the (possibly raised) lower lid; closure is capped at 1 so the upper lid never
  goes below the lower lid;
* lip parting (AU25): lower lip down, upper lip slightly up;
* the brows (AU1, AU2, AU4, AU9's medial brow): each brow is carried as one band, its hair keeping its shape, by
  a movement that goes from its inner to its outer end by a smoothstep; the skin above fades out over
  ``BROW_SPREAD``, the upper lid skin between the lid margin and the brow stretches or folds, and the eye itself
  (lid margins, corners, iris) stays where it is. A Waters muscle squeezed or stretched the brow along its length
  and dragged the upper lid, which changed who the face is (dlib's descriptor) more than it showed the AU.
  The brows combine as FACS describes, not as a sum: the raisers (AU1, AU2) add up; of the lowerers (AU4, AU9)
  the brow goes as low as the strongest asks, not the sum; and the frontalis holds the brow's lateral part up
  against the lowering (1+4: inner ends up and together, an oblique brow whose lateral part barely lowers;
  1+2+4: a flat raised brow pulled together), see ``AUBasis.apply``.

One-sided AUs (``AUTrack.sides``): ``AUBasis.apply`` takes the intensities of the person's left side apart from
the right side's (``split_sides``); the linear displacement blends from the right side's to the left side's across
the midline (a smoothstep ``MIDLINE_BLEND`` face units either side of x = 0), each eye's lids follow their own
side's intensities, and the jaw the mean of both.

Linear parts are precomputed as a displacement basis (n_aus, n_vertices, 3) at intensity 5 (FACS E) and
scaled by intensity / 5; jaw rotation, lid closure and the lip non-crossing constraint are applied on top,
vectorised over frames (see AUBasis.apply). The lips' red is thinned by several AUs (``LIP_THINNERS``: the
orbicularis oris' contractions and the mentalis); their movements towards the mouth line combine as contractions,
each acting on what the others left, not as a sum that pressed the red of 17+23+24 (anger) to nearly nothing; so do
the lifts of the nostril wings by AU9 and AU10 (``NOSE_LIFTERS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..facs import ALL_AUS, MAX_INTENSITY
from .topology import (LEFT_BROW, LEFT_LOWER_LID, LEFT_UPPER_LID, LOWER_LIP_INNER, LOWER_LIP_OUTER, RIGHT_BROW,
                       RIGHT_LOWER_LID, RIGHT_UPPER_LID, UPPER_LIP_INNER, UPPER_LIP_OUTER)

__all__ = ["AUBasis", "Combination", "build_basis", "lip_regions", "split_sides", "LINEAR_MUSCLES", "SPHINCTERS",
           "JAW_ANGLE", "LID_WEIGHTS", "LIP_THINNERS", "NOSE_LIFTERS", "MIDLINE_BLEND", "BROW_BANDS", "BROW_SPREAD",
           "EYE_CORNERS", "CANTHUS_REACH", "BELOW_EYE", "EYE_LINE_FADE"]

# ------------------------------------------------------------------------------------------ the anatomy table
# Linear muscles of the subject's right side (mirrored onto the left unless centred):
#   AU: [(name, insertion landmarks, attachment = insertion mean + offset (x, y, z), half-angle Ω in degrees,
#         reach beyond the insertion, amount at intensity 5), …]. Units: inter-ocular distances.
LINEAR_MUSCLES: dict[int, list[tuple]] = {
    6: [("orbicularis oculi, pars orbitalis (cheek)", (118, 117, 101, 50, 36), (0.0, 0.75, -0.1), 28, 0.20, 0.15)],
    7: [("orbicularis oculi, pars palpebralis (lower lid)", (145, 153, 144), (0.0, 0.5, 0.0), 15, 0.08, 0.04)],
    9: [("levator labii superioris alaeque nasi", (129, 64, 98, 48), (0.08, 0.75, -0.05), 18, 0.20, 0.14)],
    10: [("levator labii superioris", (39, 40, 185, 37), (-0.05, 0.65, -0.05), 28, 0.16, 0.15),
         ("levator labii superioris, medial fibres", (0, 37, 267), (0.0, 0.6, -0.1), 22, 0.12, 0.05)],
    12: [("zygomaticus major", (61,), (-0.80, 0.55, -0.4), 28, 0.30, 0.27)],
    14: [("buccinator", (61,), (-0.55, 0.02, -0.7), 22, 0.18, 0.18)],
    15: [("depressor anguli oris", (61,), (-0.12, -0.6, -0.05), 24, 0.22, 0.20)],
    16: [("depressor labii inferioris", (84, 181, 91), (-0.08, -0.55, 0.1), 22, 0.16, 0.10)],
    17: [("mentalis", (200, 199, 18), (0.0, 0.65, 0.25), 22, 0.22, 0.16)],
    20: [("risorius with platysma", (61,), (-0.65, -0.25, -0.6), 22, 0.22, 0.22)],
    25: [("depressor labii inferioris, lips part", (14, 17, 87, 317), (0.0, -0.6, 0.0), 24, 0.10, 0.07),
         ("orbicularis oris relaxed, upper lip", (13, 0, 82, 312), (0.0, 0.6, 0.0), 24, 0.06, 0.025)],
}
#: Brow AUs (frontalis, pars medialis / lateralis; corrugator, depressor supercilii and procerus): AU → (movement
#: towards the midline, upward movement, share of it at the brow's inner end, at its outer end), face units at
#: intensity 5. The whole brow moves; its inner and outer ends by the given shares, a smoothstep between (so AU1's
#: and AU2's shares add up to one along the brow). AU9: the FACS manual lists "lowers the medial portion of the
#: eyebrows" among its appearance changes (the levator labii superioris alaeque nasi pulls the skin between the
#: brows down with the nose's); a small lowering of the inner brow only. The vertical movement of the lowerers (AU4,
#: AU9) does not add up: the brow goes as low as the strongest of them asks (``AUBasis.apply``), so disgust (4 + 9)
#: does not lower the brows twice.
BROW_BANDS: dict[int, tuple[float, float, float, float]] = {
    1: (0.0, 0.161, 1.0, 0.0),
    2: (0.0, 0.142, 0.0, 1.0),
    4: (0.12, -0.12, 1.0, 0.2),
    9: (0.0, -0.04, 1.0, 0.0),
}
#: The eye corners (outer and inner canthus of each eye) and the distance (face units) within which every linear
#: muscle's displacement fades to none towards them (a smoothstep): the canthi are tied to the orbital rim by the
#: palpebral ligaments. AU6's cheek muscle (orbicularis oculi, pars orbitalis) lifted the outer corners 0.05 IOD at
#: intensity 4, as far as the middle of the lower lid: the eye tilted, which changed who the face is (dlib) more
#: than it showed the cheek raise. Only AU6 changes by more than 0.001 IOD.
EYE_CORNERS = (33, 133, 362, 263)
CANTHUS_REACH = 0.15
#: AUs whose linear muscles move the skin below the eye only. AU6's cheek muscle (orbicularis oculi, pars orbitalis)
#: is modelled as a linear muscle pulling the cheek up towards the orbit; that pull also lifted the lateral half of
#: the upper lid margin (0.046 IOD at intensity 4) and the skin above it, so the eye opened upwards where the FACS
#: manual (Ekman, Friesen & Hager 2002, AU6) has it narrowed: the orbital part draws the skin around the eye towards
#: the eye (the cheek up from below, the eye cover fold down from above, the lateral brow "lowered to a small
#: extent"), and the upper lid's own small closure is the lid model's (``LID_WEIGHTS``). Their displacement fades
#: from all below the line between the two lid margins to none above it, over ``EYE_LINE_FADE`` face units (a
#: smoothstep centred on the line; beside the eye the line is the canthus's height).
BELOW_EYE = (6,)
EYE_LINE_FADE = 0.05
#: Gaussian width (face units) over which the skin above and beside a brow follows it.
BROW_SPREAD = 0.18
#: Muscles whose insertion lies on the midline (one muscle, not a mirrored pair).
_CENTRED = {"mentalis", "levator labii superioris, medial fibres", "depressor labii inferioris, lips part", "orbicularis oris relaxed, upper lip"}
#: Muscles that act on one lip only: the closed lips touch, so distance alone cannot tell them apart.
_LIP_SIDE = {"depressor labii inferioris": "lower", "mentalis": "lower",
             "depressor labii inferioris, lips part": "lower", "orbicularis oris relaxed, upper lip": "upper",
             "levator labii superioris": "upper", "levator labii superioris, medial fibres": "upper",
             "levator labii superioris alaeque nasi": "upper"}

# Sphincters of the mouth (orbicularis oris): AU → (contraction in x, contraction in y towards the mouth line,
# forward push z, lip eversion (upper lip up / lower lip down), all at intensity 5).
SPHINCTERS: dict[int, tuple[float, float, float, float]] = {
    18: (0.38, 0.10, 0.14, 0.0),    # lip pucker
    22: (0.22, 0.0, 0.12, 0.05),    # lip funneler: forward and flared
    23: (0.20, 0.40, 0.0, 0.0),     # lip tightener: narrowed, thinned
    24: (0.06, 0.60, -0.03, 0.0),   # lip pressor: lips pressed together
    28: (0.06, 0.55, -0.12, 0.0),   # lip suck: lips drawn in
}
#: AUs that thin the red of the lips by moving it vertically towards the mouth line: the sphincter's contraction
#: (orbicularis oris: AU18, AU23, AU24, AU28) and the mentalis (AU17), which pushes the lower lip up from below.
#: Their movements towards the mouth line combine as contractions, not as a sum (``AUBasis.apply``): each acts on
#: the distance to the mouth line that the others left, so no combination moves a point past the line where the
#: lips meet (nor further than the strongest of them alone at intensity 5 would). Summed, 23 + 24 at 4 moved the
#: lips' outer contour 0.8 of its distance towards the mouth line, and anger's 17 + 23 + 24 at 4 left 0.14 of the
#: lower lip's red on the shipped face: next to no lips. FACS (Ekman, Friesen & Hager 2002) has 23 + 24 press the
#: lips together and narrow the red, which stays visible as a thin band (the manual's 23 + 24 photos, posed anger in
#: CK+). Each AU alone moves exactly as before.
LIP_THINNERS = (17, 18, 23, 24, 28)
#: AUs that lift the nostril wings and the skin beside the nose: the levator labii superioris alaeque nasi (AU9) and
#: the levator labii superioris (AU10), whose fibres insert side by side at the alar base. Their upward movements
#: combine as contractions, as the lip thinners' do, with as room the furthest either alone lifts the skin at
#: intensity 5: summed, disgust's 9 + 10 at 4 lifted the nostril wings 0.185 IOD, twice what either lifts them alone
#: (0.09), a nose reshaped further than any single AU asks. Combined they rise 0.11. The upper lip, which AU9 does
#: not move here, rises with AU10 as before.
NOSE_LIFTERS = (9, 10)
_MOUTH_AXES = (0.65, 0.38)  # semi-axes of the sphincter zone (x, y)
#: The zone's x semi-axis is at least this many of the mouth's half-widths: the basis of a smiling photo is built
#: on its wide mouth (Obama's, Biden's portraits: corners 0.55 IOD from the centre, 0.41 on the shipped face), whose
#: corners then lay at the zone's edge, so AU23/AU24 did not narrow them and anger kept the smile's width.
_MOUTH_REACH = 1.57

#: Jaw rotation at intensity 5, radians, about the temporomandibular axis; the sum is capped at 0.5.
JAW_ANGLE: dict[int, float] = {26: 0.24, 27: 0.40}
_JAW_MAX = 0.5
_TMJ_OFFSET = (0.0, -0.15)  # pivot (y, z) relative to the ear-level face contour landmarks 234/454
_JAW_GLIDE = 0.8  # forward translation of the condyles per radian of opening, face units

#: Eyelid closure per unit of intensity / 5: (upper-lid closure c, lower-lid raise l). c < 0 opens the eye; AU5's c
#: is also the widest opening. AU5 alone widens the eye (the brow AUs leave the lid margins where they are). At
#: intensity 4 AU5 raises the upper lid by 0.56 of the eye's opening: sclera shows above the iris, which the photo
#: renderer keeps round behind the lids (render.eyes); the 0.9 it had while the warp stretched the iris with the lid
#: made eyes that stare.
LID_WEIGHTS: dict[int, tuple[float, float]] = {5: (-0.7, 0.0), 6: (0.08, 0.30), 7: (0.20, 0.45),
                                               43: (1.0, 0.0), 45: (1.0, 0.0)}
#: Depth (face units) of the eyelid skin that follows a moving lid margin, fading linearly to none: the upper lid's
#: when it closes, the lower lid's.
_UPPER_SKIN, _LOWER_SKIN = 0.20, 0.14
#: The same for the upper lid when it opens (AU5): the skin that rises with the margin ends at the lid crease, where
#: the levator's aponeurosis inserts into the skin (8–10 mm above the lash line in women, 6–8 mm in men: about 0.14
#: IOD); the skin above it, the eye cover fold, is not lifted: FACS's AU5 raises the lid under the fold, so the lid
#: may disappear from view. With the closing depth the fold and the skin up to the brow rose with AU5 (compressed
#: against a brow that stays), which moved dlib's identity descriptor more than the wider eye did. A closing lid
#: unfolds and draws the fold's skin down with it, hence the deeper band there.
_UPPER_SKIN_OPENING = 0.14

#: Half-width of the band across the midline (face units) over which a one-sided AU fades from full to none.
MIDLINE_BLEND = 0.15

_INNER_LIP_PAIRS = np.array([(u, l) for u, l in zip(UPPER_LIP_INNER[1:-1], LOWER_LIP_INNER[1:-1])], np.int64)


# ------------------------------------------------------------------------------------------ actuators
def _linear_muscle(p: np.ndarray, a: np.ndarray, i: np.ndarray, omega: float, reach: float,
                   amount: float) -> np.ndarray:
    """Waters linear muscle: displacement (n, 3) of points p (n, 3) for attachment a and insertion i."""
    axis = i - a
    length = np.linalg.norm(axis)
    axis = axis / length
    d = p - a
    dist = np.maximum(np.linalg.norm(d, axis=1), 1e-9)
    ang = np.arccos(np.clip(d @ axis / dist, -1.0, 1.0))
    om = np.radians(omega)
    angular = np.where(ang < om, np.cos(ang / om * np.pi / 2), 0.0)
    radial = np.where(dist <= length, np.sin(dist / length * np.pi / 2),
                      np.where(dist <= length + reach, np.cos((dist - length) / reach * np.pi / 2), 0.0))
    return amount * (angular * radial)[:, None] * (-d / dist[:, None])


def _sphincter(p: np.ndarray, centre: np.ndarray, lower: np.ndarray, kx: float, ky: float, kz: float,
               ev: float) -> np.ndarray:
    """Mouth sphincter: displacement (n, 3) of points p (n, 3) in an ellipse around ``centre``.

    lower : (n,) 1 on the lower lip and below, 0 on the upper lip and above (the sign of the lip eversion).
    The ellipse's semi-axes are ``_MOUTH_AXES``, its x semi-axis widened to ``_MOUTH_REACH`` half-widths of a wide
    mouth (corners 61 and 291).
    """
    rel = p - centre
    ax = max(_MOUTH_AXES[0], _MOUTH_REACH * abs(p[291, 0] - p[61, 0]) / 2)
    rho = np.sqrt((rel[:, 0] / ax) ** 2 + (rel[:, 1] / _MOUTH_AXES[1]) ** 2)
    f = np.where(rho < 1, np.cos(np.minimum(rho, 1) * np.pi / 2) ** 2, 0.0)
    out = np.zeros_like(p)
    out[:, 0] = -kx * rel[:, 0]
    out[:, 1] = -ky * rel[:, 1] + ev * (1 - 2 * lower)
    out[:, 2] = kz
    return out * f[:, None]


def _brow_band(p: np.ndarray, brow: tuple[int, ...], upper_lid: tuple[int, ...], side: float, medial: float,
               rise: float, inner: float, outer: float) -> np.ndarray:
    """Displacement (n, 3) of points p (n, 3) that carries one brow as a band (see BROW_BANDS).

    brow : the brow's landmarks, upper edge then lower edge, each from the outer to the inner end (topology);
    upper_lid : the same side's upper lid margin; side : +1 for the person's left brow (x > 0), -1 for the right.
    Inside the brow every point moves alike at the same x; above and beyond its ends the movement fades as a
    Gaussian of the distance (BROW_SPREAD); below it, it fades to nothing at the top of the upper lid margin.
    """
    half = len(brow) // 2
    top, bottom = np.asarray(brow[:half]), np.asarray(brow[half:])
    x = side * p[:, 0]                                      # distance from the midline on this side
    order_t, order_b = np.argsort(side * p[top, 0]), np.argsort(side * p[bottom, 0])
    y_top = np.interp(x, side * p[top, 0][order_t], p[top, 1][order_t])
    y_bottom = np.interp(x, side * p[bottom, 0][order_b], p[bottom, 1][order_b])
    x_in, x_out = (side * p[list(brow), 0]).min(), (side * p[list(brow), 0]).max()
    along = inner + (outer - inner) * _smoothstep((x - x_in) / (x_out - x_in))
    beyond = np.maximum(p[:, 1] - y_top, 0.0) ** 2 + np.maximum(x_in - x, 0.0) ** 2 + np.maximum(x - x_out, 0.0) ** 2
    lid_top = p[list(upper_lid), 1].max()
    below = _smoothstep((p[:, 1] - lid_top) / np.maximum(y_bottom - lid_top, 1e-3))
    w = along * np.exp(-beyond / BROW_SPREAD ** 2) * below * _smoothstep(x / MIDLINE_BLEND)
    w[468:] = 0.0                                           # the iris (its top lies under the upper lid) stays
    return w[:, None] * np.array([-side * medial, rise, 0.0])


def _brow_lateral(p: np.ndarray, brow: tuple[int, ...], side: float) -> np.ndarray:
    """How lateral each point of p (n, 3) lies along one brow (n,): 0 at or inside its inner end, 1 at or beyond
    its outer end, a smoothstep between; 0 on the other side of the face (side: +1 the person's left, -1 right)."""
    x = side * p[:, 0]
    x_in, x_out = (side * p[list(brow), 0]).min(), (side * p[list(brow), 0]).max()
    return np.where(x > 0, _smoothstep((x - x_in) / (x_out - x_in)), 0.0)


def _below_eye(p: np.ndarray) -> np.ndarray:
    """Share (n,) of a below-the-eye muscle's movement each point of p (n, 3) takes (see BELOW_EYE): 1 under the
    line midway between the upper and lower lid margins of its side's eye, 0 above it, a smoothstep of width
    EYE_LINE_FADE across it; beyond the eye's corners the line keeps the corner's height."""
    w = np.ones(len(p))
    for upper, lower, side in ((RIGHT_UPPER_LID, RIGHT_LOWER_LID, -1.0), (LEFT_UPPER_LID, LEFT_LOWER_LID, 1.0)):
        line = 0.0
        for margin in (np.asarray(upper), np.asarray(lower)):
            order = np.argsort(p[margin, 0])
            line = line + 0.5 * np.interp(p[:, 0], p[margin[order], 0], p[margin[order], 1])
        w = np.where(side * p[:, 0] > 0, _smoothstep((line - p[:, 1]) / EYE_LINE_FADE + 0.5), w)
    return w


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _interp_rows(margin: tuple[int, ...], s_margin: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices (n, 2) and weights (n, 2) that interpolate a lid margin polyline at parameters s (n,)."""
    k = np.clip(np.searchsorted(s_margin, s) - 1, 0, len(margin) - 2)
    t = np.clip((s - s_margin[k]) / np.maximum(s_margin[k + 1] - s_margin[k], 1e-9), 0, 1)
    idx = np.stack([np.asarray(margin)[k], np.asarray(margin)[k + 1]], axis=1)
    return idx, np.stack([1 - t, t], axis=1)


@dataclass(frozen=True)
class Combination:
    """AUs that move the same skin the same way along y, whose movements combine as contractions: each acts on
    what the others left, 1 − Π(1 − share), never past ``room`` and never as a sum.

    rows  : (k,) the AUs' rows of the basis
    zone  : (m,) the vertices that two or more of them move
    moved : (k, m) how far each moves them at intensity 5, face units ≥ 0, along ``sign``
    room  : (m,) the furthest any combination moves them (≥ every AU's own movement at 5)
    sign  : (m,) +1 where the movement is up, -1 where it is down
    """

    rows: np.ndarray
    zone: np.ndarray
    moved: np.ndarray
    room: np.ndarray
    sign: np.ndarray

    def correction(self, w: np.ndarray) -> np.ndarray:
        """Vertical correction (frames, m) of the zone's vertices, face units, that turns the sum of the AUs'
        movements into their combination, for AU weights w (frames, n_aus) (intensity / 5).

        One AU alone moves as far as before (the correction is 0 in frames with fewer than two of them). A negative
        weight (an expression taken away) moves the skin back linearly, as before.
        """
        push = np.maximum(w[:, self.rows], 0.0)
        correction = np.zeros((w.shape[0], len(self.zone)), np.float32)
        several = np.count_nonzero(push, axis=1) > 1
        if not several.any():
            return correction
        moved = push[several, :, None] * self.moved                     # (f, k, m) each AU's movement
        left = np.prod(1.0 - np.minimum(moved / self.room, 1.0), axis=1)
        correction[several] = (self.room * (1.0 - left) - moved.sum(axis=1)) * self.sign
        return correction


def _combination(linear: np.ndarray, aus: tuple[int, ...], sign: np.ndarray, reach: np.ndarray) -> Combination:
    """The Combination of ``aus`` from the basis rows ``linear`` (n_aus, n, 3): their movements along ``sign`` (n,)
    (±1), with as room each vertex's ``reach`` (n,) or the furthest any of them alone moves it, whichever is more."""
    rows = np.array([ALL_AUS.index(a) for a in aus], np.int64)
    moved = np.maximum(linear[rows, :, 1] * sign, 0.0)
    zone = np.nonzero(np.count_nonzero(moved > 1e-6, axis=0) > 1)[0]
    room = np.maximum(reach, moved.max(axis=0))[zone]
    return Combination(rows=rows, zone=zone, moved=moved[:, zone].astype(np.float32),
                       room=room.astype(np.float32), sign=sign[zone].astype(np.float32))


@dataclass(frozen=True)
class AUBasis:
    """The muscle model of one neutral face, ready to evaluate (build it with build_basis).

    neutral   : (n, 3) float32, face frame
    aus       : tuple of AU numbers, the rows of ``linear``
    linear    : (n_aus, n * 3) float32, displacement at intensity 5 of the linear muscles and sphincters
    jaw_index : (m,) vertices moved by the jaw; jaw_weight (m,) their share of the rotation; jaw_pivot (2,) (y, z)
    scalar_coef : (n_aus, 3) jaw angle, upper-lid closure and lower-lid raise at intensity 5
    lid_*     : eyelid rows: vertex (k,), gap (k, n) interpolation matrix (lower − upper margin at the vertex's
                place along the eye), role (k,) 1 for upper-lid vertices, -1 for lower-lid vertices, and their
                falloff weight (k,) when the lid closes, lid_falloff_opening (k,) when the upper lid opens (AU5);
                lid_gap_margin the gap rows of the upper lid margins, whose vertices are
                margin_vertex
    lip_slack : (9,) how far the neutral's inner lower lip already lies above the upper one (closed lips)
    left_weight : (n,) share of the person's left side in each vertex's movement: 1 on the left half, 0 on the
                right, a smoothstep across the midline; lid_left (k,) whether each eyelid row is of the left eye
    brow_lowerer : (b,) rows of the brow-lowering AUs (AU4, AU9), whose upward movement is not in ``linear``:
                brow_lower (b, n) is each one's lowering (face units, ≥ 0) at intensity 5, brow_drop (b,) its
                lowering at the brow's inner end; brow_pull (n_aus,) the frontalis' rise of each AU (AU1, AU2) at
                intensity 5; brow_lateral (n,) how lateral each vertex lies along its brow, 0 at the inner end to 1
                at the outer end (see ``_brow_lowering``)
    combined  : the groups of AUs whose vertical movements of the same skin combine as contractions, not as a
                sum (``Combination``): the lip thinners (``LIP_THINNERS``), the nose lifters (``NOSE_LIFTERS``)
    """

    neutral: np.ndarray
    aus: tuple[int, ...]
    linear: np.ndarray
    jaw_index: np.ndarray
    jaw_weight: np.ndarray
    jaw_pivot: np.ndarray
    lid_vertex: np.ndarray
    lid_gap: np.ndarray
    lid_gap_margin: np.ndarray
    lid_role: np.ndarray
    lid_falloff: np.ndarray
    lid_falloff_opening: np.ndarray
    lip_slack: np.ndarray
    scalar_coef: np.ndarray
    margin_vertex: np.ndarray
    left_weight: np.ndarray
    lid_left: np.ndarray
    brow_lowerer: np.ndarray
    brow_lower: np.ndarray
    brow_drop: np.ndarray
    brow_pull: np.ndarray
    brow_lateral: np.ndarray
    combined: tuple[Combination, ...]
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def apply(self, values: np.ndarray, aus: tuple[int, ...], left: np.ndarray | None = None) -> np.ndarray:
        """Deformed vertices (frames, n, 3) float32 for intensities ``values`` (frames, len(aus)), FACS 0–5.

        left : (frames, len(aus)) intensities of the person's left side when they differ from the right side's
            (one-sided AUs, see ``split_sides``); ``values`` are then the right side's. None: both sides alike.
        """
        v = np.asarray(values, np.float32)
        cols = self._columns(tuple(aus))
        w = np.zeros((v.shape[0], len(self.aus)), np.float32)
        w[:, cols] = v * (1.0 / MAX_INTENSITY)
        p = (w @ self.linear).reshape(v.shape[0], -1, 3)
        lowering = self._brow_lowering(w)
        p[..., 1] -= lowering
        combining = [c.correction(w) for c in self.combined]
        for c, dy in zip(self.combined, combining):
            p[:, c.zone, 1] += dy
        k = w @ self.scalar_coef  # jaw angle, upper-lid closure and lower-lid raise of every frame, (frames, 3)
        k_lid = k[:, 1:, None]  # the lids' (frames, 2, 1), or (frames, 2, k) per eye when the sides differ
        if left is not None:
            w_left = np.zeros_like(w)
            w_left[:, cols] = np.asarray(left, np.float32) * (1.0 / MAX_INTENSITY)
            p += ((w_left - w) @ self.linear).reshape(p.shape) * self.left_weight[:, None]
            p[..., 1] -= (self._brow_lowering(w_left) - lowering) * self.left_weight
            for c, dy in zip(self.combined, combining):
                p[:, c.zone, 1] += (c.correction(w_left) - dy) * self.left_weight[c.zone]
            k_left = w_left @ self.scalar_coef
            k_lid = np.where(self.lid_left, k_left[:, 1:, None], k_lid)
            k = (k + k_left) / 2
        p += self.neutral
        theta = np.minimum(k[:, 0], _JAW_MAX)
        # jaw: rotation about the TMJ axis by the vertex's share of the angle, plus a forward glide
        if theta.any():
            ang = theta[:, None] * self.jaw_weight
            c, s = np.cos(ang), np.sin(ang)
            ry = p[:, self.jaw_index, 1] - self.jaw_pivot[0]
            rz = p[:, self.jaw_index, 2] - self.jaw_pivot[1]
            p[:, self.jaw_index, 1] = self.jaw_pivot[0] + ry * c - rz * s
            p[:, self.jaw_index, 2] = self.jaw_pivot[1] + ry * s + rz * c + _JAW_GLIDE * ang
        # eyelids: the lower lid rises by l of the gap, the upper lid closes c of what is left
        close = np.minimum(np.maximum(k_lid[:, 0], LID_WEIGHTS[5][0]), 1.0)
        lower = np.minimum(np.maximum(k_lid[:, 1], 0.0), 0.5)
        if close.any() or lower.any():
            coef = np.where(self.lid_role > 0, close * (1 - lower), -lower)
            falloff = np.where(close < 0, self.lid_falloff_opening, self.lid_falloff)
            p[:, self.lid_vertex] += (coef * falloff)[..., None] * self._lid_gap(p)
        # constraints: upper lid margin never below the lower lid, upper lip never below the lower lip
        gap = self._lid_gap(p, margin_only=True)[..., 1]
        p[:, self.margin_vertex, 1] += np.maximum(gap, 0.0)
        up, lo = _INNER_LIP_PAIRS[:, 0], _INNER_LIP_PAIRS[:, 1]
        cross = np.maximum(p[:, lo, 1] - p[:, up, 1] - self.lip_slack, 0.0) * 0.5
        p[:, up, 1] += cross
        p[:, lo, 1] -= cross
        return p

    def _brow_lowering(self, w: np.ndarray) -> np.ndarray:
        """How far each vertex's brow is lowered (frames, n), face units, for AU weights w (frames, n_aus) (intensity / 5).

        FACS's brow combinations, not a sum: the brow goes as low as the strongest lowerer asks (AU4 and AU9's
        medial lowering do not add up), and the frontalis (AU1, AU2) holds the brow's lateral part up against it,
        fully once its rise is as large as the lowering at the inner end: 1+4 raises the inner ends and draws them
        together while the lateral brow barely lowers (an oblique brow), 1+2+4 gives a flat raised brow pulled
        together. At the inner end the lowering acts against the raise (the two add with their signs). A negative
        weight (an expression taken away) moves the brow back linearly.
        """
        a = w[:, self.brow_lowerer]
        lowering = np.zeros((w.shape[0], self.brow_lower.shape[1]), np.float32)
        if not a.any():
            return lowering
        push = np.maximum(a, 0.0)
        for j in range(len(self.brow_lowerer)):
            np.maximum(lowering, push[:, j, None] * self.brow_lower[j], out=lowering)
        lowering += np.minimum(a, 0.0) @ self.brow_lower
        drop = (push * self.brow_drop).max(axis=1)
        hold = np.where(drop > 0, np.clip((w @ self.brow_pull) / np.maximum(drop, 1e-9), 0.0, 1.0), 0.0)
        return lowering * (1.0 - hold[:, None] * self.brow_lateral)

    def _columns(self, aus: tuple[int, ...]) -> np.ndarray:
        """Rows of the basis for the AU numbers ``aus`` (cached per tuple)."""
        cols = self._cache.get(aus)
        if cols is None:
            index = {a: j for j, a in enumerate(self.aus)}
            cols = self._cache[aus] = np.array([index[a] for a in aus], np.int64)
        return cols

    def _lid_gap(self, p: np.ndarray, margin_only: bool = False) -> np.ndarray:
        """Lower minus upper lid margin at the lid vertices' positions along the eye, (frames, k, 3)."""
        return np.matmul(self.lid_gap_margin if margin_only else self.lid_gap, p)


def split_sides(values: np.ndarray, aus: tuple[int, ...], sides: dict[int, str] | None
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """Intensities (frames, len(aus)) of the right and of the left side for ``AUBasis.apply(right, aus, left)``.

    sides : {AU: "L" | "R"} one-sided AUs (``AUTrack.sides``): an AU on the left is 0 on the right and the other
        way round. Returns (values, None) when no AU is one-sided.
    """
    if not sides:
        return values, None
    right = np.array(values, np.float32, copy=True)
    left = right.copy()
    for j, au in enumerate(aus):
        side = sides.get(au)
        if side == "L":
            right[..., j] = 0.0
        elif side == "R":
            left[..., j] = 0.0
    return right, left


def lip_regions(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of the upper lip and of the lower lip (their contours and everything between), index arrays."""
    def line(ids: tuple[int, ...], x: np.ndarray) -> np.ndarray:
        order = np.argsort(p[list(ids), 0])
        return np.interp(x, p[list(ids), 0][order], p[list(ids), 1][order])

    x, y = p[:468, 0], p[:468, 1]
    between = (x > min(p[61, 0], p[291, 0])) & (x < max(p[61, 0], p[291, 0]))
    mid = line(UPPER_LIP_INNER, x)
    upper = between & (y >= mid) & (y <= line(UPPER_LIP_OUTER, x) + 0.02)
    lower = between & (y < mid) & (y >= line(LOWER_LIP_OUTER, x) - 0.02)
    up = set(np.nonzero(upper)[0]) | set(UPPER_LIP_INNER + UPPER_LIP_OUTER)
    lo = (set(np.nonzero(lower)[0]) | set(LOWER_LIP_INNER + LOWER_LIP_OUTER)) - set(UPPER_LIP_INNER[1:-1])
    up -= set(LOWER_LIP_INNER)
    return np.array(sorted(up), np.int64), np.array(sorted(lo - up), np.int64)


def build_basis(neutral: np.ndarray, mirror: np.ndarray) -> AUBasis:
    """The muscle model fitted to one neutral face.

    Parameters
    ----------
    neutral : np.ndarray [shape=(478, 3)], the neutral face in the normalised face frame
    mirror  : np.ndarray [shape=(478,)], int, left–right mirror index of each landmark (topology asset)

    Returns
    -------
    AUBasis over every AU of the catalogue (facs.ALL_AUS).
    """
    p = np.asarray(neutral, np.float64)
    n = len(p)
    flip = np.array([-1.0, 1.0, 1.0])
    rows = []
    mouth = p[list(UPPER_LIP_INNER) + list(LOWER_LIP_INNER)].mean(axis=0)
    corners_y = (p[61, 1] + p[291, 1]) / 2
    upper_lip, lower_lip = lip_regions(p)
    lower_mask = _smoothstep((corners_y + 0.04 - p[:, 1]) / 0.08)
    lower_mask[lower_lip] = 1.0
    lower_mask[upper_lip] = 0.0
    side_mask = {"lower": lower_mask[:, None], "upper": 1 - lower_mask[:, None]}
    lowerers, lower_rows = [], []
    below_eye = _below_eye(p)
    for au in ALL_AUS:
        d = np.zeros((n, 3))
        for name, ins, offset, omega, reach, amount in LINEAR_MUSCLES.get(au, []):
            i = p[list(ins)].mean(axis=0)
            m = _linear_muscle(p, i + np.asarray(offset), i, omega, reach, amount)
            if name not in _CENTRED:
                i2 = p[[int(mirror[k]) for k in ins]].mean(axis=0)
                m += _linear_muscle(p, i2 + np.asarray(offset) * flip, i2, omega, reach, amount)
            d += m * side_mask[_LIP_SIDE[name]] if name in _LIP_SIDE else m
        if au in BELOW_EYE:
            d *= below_eye[:, None]
        if au in SPHINCTERS:
            d += _sphincter(p, mouth, lower_mask, *SPHINCTERS[au])
        if au in BROW_BANDS:
            band = (_brow_band(p, RIGHT_BROW, RIGHT_UPPER_LID, -1.0, *BROW_BANDS[au])
                    + _brow_band(p, LEFT_BROW, LEFT_UPPER_LID, 1.0, *BROW_BANDS[au]))
            if BROW_BANDS[au][1] < 0:                       # a lowerer: its vertical part combines in apply
                lowerers.append(len(rows))
                lower_rows.append(-band[:, 1])
                band[:, 1] = 0.0
            d += band
        rows.append(d.reshape(-1))
    # the eye corners are tied to the orbital rim (palpebral ligaments): no muscle drags them
    canthi = np.linalg.norm(p[:, None, :2] - p[None, list(EYE_CORNERS), :2], axis=-1).min(axis=1)
    tied = _smoothstep(canthi / CANTHUS_REACH)
    linear = (np.stack(rows).reshape(len(rows), n, 3) * tied[None, :, None]).reshape(len(rows), -1).astype(np.float32)
    lateral = np.maximum(_brow_lateral(p, RIGHT_BROW, -1.0), _brow_lateral(p, LEFT_BROW, 1.0))
    # movements of the same skin that combine in apply: the lip thinners' towards the mouth line (as far as the
    # line), the nose lifters' up (as far as the strongest alone)
    towards_line = np.where(lower_mask >= 0.5, 1.0, -1.0)
    per_au = linear.reshape(len(rows), n, 3)
    combined = (_combination(per_au, LIP_THINNERS, towards_line, np.maximum(towards_line * (mouth[1] - p[:, 1]), 0.0)),
                _combination(per_au, NOSE_LIFTERS, np.ones(n), np.zeros(n)))

    # jaw: below the mouth line all, upper lip none, lower lip most (less towards the corners)
    half_width = abs(p[291, 0] - p[61, 0]) / 2
    w = _smoothstep((corners_y + 0.02 - p[:, 1]) / 0.3)
    w[lower_lip] = np.maximum(
        w[lower_lip], 1 - 0.6 * np.clip(np.abs(p[lower_lip, 0] - mouth[0]) / half_width, 0, 1) ** 2)
    w[upper_lip] = 0.0
    w[468:] = 0.0
    jaw_index = np.nonzero(w > 1e-3)[0]
    ear = (p[234] + p[mirror[234]]) / 2
    pivot = np.array([ear[1] + _TMJ_OFFSET[0], ear[2] + _TMJ_OFFSET[1]])

    # eyelids: every vertex within the lid skin band above the upper margin or below the lower margin
    verts, idx, wts, role, fall, fall_opening, margin = [], [], [], [], [], [], []
    for up, lo in ((RIGHT_UPPER_LID, RIGHT_LOWER_LID), (LEFT_UPPER_LID, LEFT_LOWER_LID)):
        outer, inner = p[up[0]], p[up[-1]]
        axis = (inner - outer)[:2]
        span = np.linalg.norm(axis)
        axis /= span
        s_of = lambda q: ((q[..., :2] - outer[:2]) @ axis) / span  # noqa: E731  position along the eye 0–1
        s_up, s_lo = s_of(p[list(up)]), s_of(p[list(lo)])
        s_all = s_of(p[:468])
        inside = np.nonzero((s_all > 0.02) & (s_all < 0.98))[0]
        iu, wu = _interp_rows(up, s_up, s_all[inside])
        il, wl = _interp_rows(lo, s_lo, s_all[inside])
        y_up = (p[iu, 1] * wu).sum(axis=1)
        y_lo = (p[il, 1] * wl).sum(axis=1)
        dy_up = p[inside, 1] - y_up
        dy_lo = y_lo - p[inside, 1]
        taper = np.sin(np.pi * np.clip(s_all[inside], 0, 1)) ** 0.5
        for sel, r, f in (((dy_up >= -1e-6) & (dy_up < _UPPER_SKIN), 1, 1 - dy_up / _UPPER_SKIN),
                          ((dy_lo >= -1e-6) & (dy_lo < _LOWER_SKIN), -1, 1 - dy_lo / _LOWER_SKIN)):
            for k in np.nonzero(sel)[0]:
                v = inside[k]
                on_margin = v in (up if r > 0 else lo)
                if v in up[1:-1] and r < 0 or v in lo[1:-1] and r > 0:
                    continue
                if on_margin and r > 0:
                    margin.append(len(verts))
                verts.append(v)
                idx.append(np.concatenate([il[k], iu[k]]))
                wts.append(np.concatenate([wl[k], -wu[k]]))
                role.append(r)
                fall.append(1.0 if on_margin else float(np.clip(f[k], 0, 1) * taper[k]))
                opening = 1 - dy_up[k] / _UPPER_SKIN_OPENING if r > 0 else f[k]
                fall_opening.append(1.0 if on_margin else float(np.clip(opening, 0, 1) * taper[k]))
    gap_matrix = np.zeros((len(verts), n), np.float32)
    for r, (ix, wt) in enumerate(zip(idx, wts)):
        np.add.at(gap_matrix[r], ix, wt)
    margin = np.array(margin, np.int64)
    return AUBasis(
        neutral=p.astype(np.float32), aus=ALL_AUS, linear=linear,
        jaw_index=jaw_index, jaw_weight=w[jaw_index].astype(np.float32), jaw_pivot=pivot.astype(np.float32),
        lid_vertex=np.array(verts, np.int64), lid_gap=gap_matrix, lid_gap_margin=gap_matrix[margin],
        lid_role=np.array(role, np.int8), lid_falloff=np.array(fall, np.float32),
        lid_falloff_opening=np.array(fall_opening, np.float32),
        scalar_coef=np.array([(JAW_ANGLE.get(a, 0.0), *LID_WEIGHTS.get(a, (0.0, 0.0))) for a in ALL_AUS],
                             np.float32),
        margin_vertex=np.array(verts, np.int64)[margin],
        left_weight=_smoothstep((p[:, 0] + MIDLINE_BLEND) / (2 * MIDLINE_BLEND)).astype(np.float32),
        lid_left=p[np.array(verts, np.int64), 0] > 0,
        brow_lowerer=np.array(lowerers, np.int64), brow_lower=(np.array(lower_rows) * tied).astype(np.float32),
        brow_drop=np.array([-BROW_BANDS[ALL_AUS[r]][1] * BROW_BANDS[ALL_AUS[r]][2] for r in lowerers], np.float32),
        brow_pull=np.array([max(BROW_BANDS.get(a, (0.0, 0.0))[1], 0.0) for a in ALL_AUS], np.float32),
        brow_lateral=lateral.astype(np.float32),
        combined=combined,
        lip_slack=np.maximum(p[_INNER_LIP_PAIRS[:, 1], 1] - p[_INNER_LIP_PAIRS[:, 0], 1], 0).astype(np.float32))
