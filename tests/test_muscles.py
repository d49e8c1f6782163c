"""face.muscles: the anatomical AU basis (linear muscles, sphincters, jaw, lids) and its one-sided split."""

from __future__ import annotations

import numpy as np

from facsynth.face.model import default_face
from facsynth.face.muscles import build_basis, lip_regions, split_sides
from facsynth.face.topology import (LEFT_BROW, LEFT_LOWER_LID, LEFT_UPPER_LID, RIGHT_BROW, RIGHT_LOWER_LID,
                                    RIGHT_UPPER_LID)

CORNERS = (61, 291)          # right, left lip corner (face frame: x towards the subject's left, y up)
INNER_LIPS = (13, 14)        # upper, lower inner lip centre
INNER_BROWS = (55, 285)


def _basis():
    face = default_face()
    return build_basis(face.vertices, face.mirror)


def test_no_movement_is_the_neutral_face():
    basis = _basis()
    out = basis.apply(np.zeros((1, 3), np.float32), (1, 12, 26))[0]
    assert np.allclose(out, basis.neutral, atol=1e-6)


def test_each_muscle_moves_its_landmarks_the_facs_way():
    basis = _basis()
    n = basis.neutral

    def moved(au: int, value: float = 4.0) -> np.ndarray:
        return basis.apply(np.array([[value]], np.float32), (au,))[0] - n

    d12, d15, d26, d4 = moved(12), moved(15), moved(26), moved(4)
    assert all(d12[c, 1] > 0.02 for c in CORNERS)                            # corners up
    assert d12[CORNERS[0], 0] < 0 < d12[CORNERS[1], 0]                        # and out
    assert all(d15[c, 1] < -0.02 for c in CORNERS)                           # corners down
    gap = lambda d: (n[INNER_LIPS[0], 1] + d[INNER_LIPS[0], 1]) - (n[INNER_LIPS[1], 1] + d[INNER_LIPS[1], 1])
    assert gap(d26) > gap(np.zeros_like(d26)) + 0.1                          # jaw drop parts the lips
    assert all(d4[b, 1] < 0 for b in INNER_BROWS)                            # brows lowered
    assert d4[INNER_BROWS[0], 0] > 0 > d4[INNER_BROWS[1], 0]                 # and drawn together


def test_brow_aus_move_the_brow_as_one_band_and_leave_the_eyes_where_they_are():
    basis = _basis()
    n = basis.neutral
    eyes = list(set(RIGHT_UPPER_LID + RIGHT_LOWER_LID + LEFT_UPPER_LID + LEFT_LOWER_LID)) + list(range(468, 478))
    for au, pts, sign in ((1, (107, 336), 1.0), (2, (70, 300), 1.0), (4, (107, 336), -1.0)):
        d = basis.apply(np.array([[4.0]], np.float32), (au,))[0] - n
        assert np.abs(d[eyes]).max() < 1e-6, au                              # lid margins, corners, iris stay
        assert all(sign * d[p, 1] > 0.09 for p in pts), au                    # the brow moves ≥ 0.09 IOD
        for brow in (RIGHT_BROW, LEFT_BROW):                                   # upper and lower edge alike:
            upper, lower = np.array(brow[:5]), np.array(brow[5:])             # the brow keeps its thickness
            assert np.abs(d[upper, 1] - d[lower, 1]).max() < 0.2 * np.abs(d[upper, 1]).max() + 1e-3, au
    d9 = basis.apply(np.array([[4.0]], np.float32), (9,))[0] - n
    assert -0.05 < d9[list(INNER_BROWS), 1].max() < -0.015                   # AU9 lowers the inner brows a little
    assert np.abs(d9[[70, 300], 1]).max() < 1e-3                              # not their lateral ends
    assert d9[[48, 278], 1].min() > 0.05                                      # and lifts the nose wings
    d4 = basis.apply(np.array([[4.0]], np.float32), (4,))[0] - n
    spacing = lambda q: q[RIGHT_BROW[:5], 0][1:] - q[RIGHT_BROW[:5], 0][:-1]  # along the brow: not squeezed
    assert spacing(n + d4).min() > 0.6 * spacing(n).min()


def test_no_muscle_moves_the_eye_corners_and_au6_still_raises_the_lower_lid_and_cheek():
    basis = _basis()
    n = basis.neutral
    corners = [33, 133, 362, 263]
    for au in (6, 7, 12, 9, 1, 2, 4, 5):
        d = basis.apply(np.array([[5.0]], np.float32), (au,))[0] - n
        assert np.abs(d[corners]).max() < 1e-6, au
    d6 = basis.apply(np.array([[4.0]], np.float32), (6,))[0] - n
    assert d6[[145, 374], 1].min() > 0.03                                    # lower lid up in its middle
    assert d6[[117, 346], 1].min() > 0.03                                    # and the cheek


def test_au6_narrows_the_eye_from_below_and_does_not_lift_the_upper_lid():
    basis = _basis()
    n = basis.neutral
    d6 = basis.apply(np.array([[4.0]], np.float32), (6,))[0] - n
    upper = list(RIGHT_UPPER_LID[1:-1] + LEFT_UPPER_LID[1:-1])
    assert d6[upper, 1].max() < 0.002                                       # was 0.046 on the lateral half
    lid_top = n[upper, 1].max()
    above = np.nonzero((n[:468, 1] > lid_top) & (np.abs(n[:468, 0]) > 0.2) & (n[:468, 1] < lid_top + 0.3))[0]
    assert d6[above, 1].max() < 0.002                                       # nor the skin up to the brow
    gap = lambda q: q[[145, 374], 1] - q[[159, 386], 1]                      # lower minus upper lid, < 0
    assert (gap(n + d6) > gap(n) + 0.03).all()                              # the eye is narrower


def test_au5_raises_the_lid_under_the_eye_cover_fold():
    basis = _basis()
    n = basis.neutral
    d5 = basis.apply(np.array([[4.0]], np.float32), (5,))[0] - n
    assert d5[[159, 386], 1].min() > 0.05                                   # the lid margin's middle goes up
    fold = np.nonzero((np.abs(n[:468, 0]) > 0.3) & (np.abs(n[:468, 0]) < 0.6)
                      & (n[:468, 1] > n[159, 1] + 0.14) & (n[:468, 1] < n[159, 1] + 0.3))[0]
    assert len(fold) and np.abs(d5[fold]).max() < 0.001                     # the skin above the crease stays


def test_a_one_sided_au_moves_its_side_only():
    basis = _basis()
    right, left = split_sides(np.array([[4.0]], np.float32), (12,), {12: "L"})
    assert right[0, 0] == 0 and left[0, 0] == 4
    assert split_sides(np.ones((1, 1), np.float32), (12,), None)[1] is None
    d = basis.apply(right, (12,), left)[0] - basis.neutral
    assert np.linalg.norm(d[CORNERS[1]]) > 0.05 and np.linalg.norm(d[CORNERS[0]]) < 0.002


def test_lip_regions_split_upper_from_lower():
    upper, lower = lip_regions(default_face().vertices)
    assert INNER_LIPS[0] in upper and INNER_LIPS[1] in lower and not set(upper) & set(lower)


def _brows(basis, aus: dict[int, float]) -> np.ndarray:
    """Vertical movement (478,) of every vertex for the AU intensities ``aus``."""
    keys = tuple(aus)
    return basis.apply(np.array([[aus[k] for k in keys]], np.float32), keys)[0, :, 1] - basis.neutral[:, 1]


def test_brow_combinations_follow_facs_not_the_sum():
    basis = _basis()
    lateral, middle, inner = [70, 300], [105, 334], list(INNER_BROWS)
    four, one_four = _brows(basis, {4: 2.7}), _brows(basis, {1: 4.0, 4: 2.7})
    one, sum_ = _brows(basis, {1: 4.0}), _brows(basis, {1: 4.0}) + _brows(basis, {4: 2.7})
    # 1+4 (sadness): inner ends up, lateral brow barely lowered: less than 4 alone and less than the sum
    assert one_four[inner].min() > 0.03
    assert one_four[lateral].min() > four[lateral].max() + 0.005
    assert np.abs(one_four[lateral]).max() < 0.003
    assert (one_four[middle] > sum_[middle] + 1e-3).all()
    assert one_four[inner].max() < one[inner].min()                           # AU4 still acts against AU1 there
    # 1+2+4 (fear): a flat raised brow, inner and lateral ends about as high
    fear = _brows(basis, {1: 4.0, 2: 2.7, 4: 2.0})
    assert fear[inner + lateral].min() > 0.05
    assert np.abs(fear[inner].mean() - fear[lateral].mean()) < 0.25 * fear[inner].mean()


def test_brow_lowerers_take_the_larger_not_the_sum():
    basis = _basis()
    brows = list(RIGHT_BROW + LEFT_BROW)
    for a4, a9 in ((1.3, 4.0), (4.0, 4.0), (4.0, 1.0)):
        both = _brows(basis, {4: a4, 9: a9})[brows]
        alone = np.minimum(_brows(basis, {4: a4})[brows], _brows(basis, {9: a9})[brows])
        assert np.allclose(both, alone, atol=1e-5), (a4, a9)                  # as low as the larger, no lower
    # an AU taken away (negative intensity) moves the brow back by as much as it moved it
    assert np.allclose(_brows(basis, {4: -2.0}), -_brows(basis, {4: 2.0}), atol=1e-6)


def test_lip_tightener_narrows_a_wide_smiling_mouth_as_much_as_a_neutral_one():
    face = default_face()
    basis = _basis()
    smiling = basis.apply(np.array([[5.0, 3.0]], np.float32), (12, 25))[0]   # a broad open smile, as in a portrait
    wide = build_basis(smiling, face.mirror)
    width = lambda b, v: float(np.ptp(b.apply(np.array([[v]], np.float32), (23,))[0][list(CORNERS), 0]))
    narrowed = {id(b): width(b, 0.0) - width(b, 4.0) for b in (basis, wide)}
    assert width(wide, 0.0) > width(basis, 0.0) + 0.1                         # the photo's mouth is wider
    assert narrowed[id(wide)] > 0.8 * narrowed[id(basis)] > 0.02              # and AU23 still narrows it


def _red(q: np.ndarray) -> tuple[float, float]:
    """Height of the red of the upper and of the lower lip at the mouth's middle (outer minus inner contour)."""
    return float(q[0, 1] - q[13, 1]), float(q[14, 1] - q[17, 1])


def test_lip_thinning_aus_combine_as_contractions_not_as_a_sum():
    basis = _basis()
    n = basis.neutral

    def red(aus: dict[int, float]) -> np.ndarray:
        keys = tuple(aus)
        return np.array(_red(basis.apply(np.array([[aus[k] for k in keys]], np.float32), keys)[0])) / _red(n)

    anger, pressed = red({17: 3.3, 23: 4.0, 24: 4.0}), red({23: 4.0, 24: 4.0})
    alone = red({24: 4.0})
    assert (alone < 0.75).all()                                              # AU24 alone still thins the red
    assert (pressed < alone - 0.05).all() and anger[1] < pressed[1] - 0.05   # and each AU added thins it more
    assert anger.min() > 0.2                               # but a band stays (summed: 0.13 upper, -0.02 lower)
    # no combination moves the lips' outer contours past each other (summed, 23 + 24 + 28 at 5 crossed them)
    q = basis.apply(np.full((1, 3), 5.0, np.float32), (23, 24, 28))[0]
    assert q[0, 1] > q[17, 1] + 0.02
    # one-sided: the left side's lips move as the two-sided combination does, the right side's as AU23 alone
    right, left = split_sides(np.array([[4.0, 4.0]], np.float32), (23, 24), {24: "L"})
    one_sided = basis.apply(right, (23, 24), left)[0]
    both, only23 = (basis.apply(np.array([v], np.float32), (23, 24))[0] for v in ([4.0, 4.0], [4.0, 0.0]))
    assert np.allclose(one_sided[[270, 321], 1], both[[270, 321], 1], atol=1e-4)
    assert np.allclose(one_sided[[40, 91], 1], only23[[40, 91], 1], atol=1e-4)


ALAE = (98, 327)             # the nostril wings' lower ends, right and left
UPPER_LIP_TOP = 0


def test_nose_lifters_combine_as_contractions_not_as_a_sum():
    basis = _basis()
    n = basis.neutral

    def lift(aus: dict[int, float]) -> np.ndarray:
        keys = tuple(aus)
        q = basis.apply(np.array([[aus[k] for k in keys]], np.float32), keys)[0]
        return q[list(ALAE) + [UPPER_LIP_TOP], 1] - n[list(ALAE) + [UPPER_LIP_TOP], 1]

    nine, ten, both = lift({9: 4.0}), lift({10: 4.0}), lift({9: 4.0, 10: 4.0})
    assert (nine[:2] > 0.05).all() and (ten[:2] > 0.05).all()               # each alone lifts the nostril wings
    assert (both[:2] > np.maximum(nine[:2], ten[:2]) + 0.005).all()          # together a little more than either
    assert (both[:2] < 0.75 * (nine[:2] + ten[:2])).all()                    # but not their sum (0.185 IOD)
    assert abs(both[2] - ten[2]) < 1e-4 and ten[2] > 0.05                    # AU10's upper lip lift is its own
    # at 5 the wings go no higher than the strongest alone
    five = lift({9: 5.0, 10: 5.0})
    assert (five[:2] <= np.maximum(lift({9: 5.0})[:2], lift({10: 5.0})[:2]) + 1e-4).all()
