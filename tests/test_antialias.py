"""render.antialias: where the warp's map jumps (lips that meet, a dropped triangle), the seam is soft, not a pixel
staircase; nothing else changes."""

from __future__ import annotations

import numpy as np

from facsynth.formats.image import read_image
from facsynth.render.antialias import seam_edges, seam_pairs, smooth_seams
from facsynth.render.mouth import LUMA
from facsynth.render.photo import render_frame, rig_photo
from facsynth.render.warp import sample, source_positions, strip_triangles


def _closing_strip() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A 60×40 mesh: an upper band, a strip 12 px high (the opening) and a lower band; the strip squashed to nothing
    along a slanted line, as parted lips closed by a target. Returns src, dst (n, 2) pixels, triangles, skin."""
    xs = np.linspace(0.0, 60.0, 7)
    rows = [0.0, 14.0, 26.0, 40.0]                                  # top, upper lip edge, lower lip edge, bottom
    src = np.array([(x, y) for y in rows for x in xs])
    dst = src.copy()
    n = len(xs)
    seam = 20.0 + 0.13 * xs                                         # slanted: a staircase when cut pixel by pixel
    dst[n:2 * n, 1] = seam
    dst[2 * n:3 * n, 1] = seam
    idx = np.arange(4 * n).reshape(4, n)
    bands = [strip_triangles(idx[r + 1], idx[r]) for r in (0, 2)]             # the two skin bands
    strip = strip_triangles(idx[2], idx[1])
    skin = np.concatenate(bands)
    return src, dst, np.concatenate([strip, skin]).astype(np.int32), skin.astype(np.int32)


def test_a_squashed_strip_is_a_seam_and_only_its_edges():
    src, dst, tris, skin = _closing_strip()
    edges = seam_edges(seam_pairs(src, tris, skin), dst, np.ones(len(tris), bool))
    assert len(edges) == 12                                         # both lips' edges, 6 segments each
    assert np.allclose(edges[..., 1], 20.0 + 0.13 * edges[..., 0])  # all on the line where the lips meet
    pairs = seam_pairs(src, tris, skin)
    assert len(seam_edges(pairs, src.copy(), np.zeros(len(tris), bool))) == 0    # nothing moved


def test_the_seam_is_blended_across_and_nothing_else_changes():
    src, dst, tris, skin = _closing_strip()
    image = np.zeros((40, 60, 3), np.uint8)
    image[:20] = (200, 150, 130)                                    # the upper lip's side: light
    image[20:] = (90, 40, 50)                                       # the lower lip's: dark
    box = (0, 0, 60, 40)
    out = sample(image, source_positions(src, dst, tris, box), box)
    before = out.copy()
    smooth_seams(out, seam_edges(seam_pairs(src, tris, skin), dst, np.ones(len(tris), bool)), box)
    luma = lambda a: a.astype(np.float64) @ LUMA                    # noqa: E731
    step = lambda a: np.abs(np.diff(luma(a[:, 5:55]), axis=0)).max(axis=0)   # noqa: E731
    assert step(before).min() > 80                                  # each column: one hard step
    assert step(out).max() < 0.6 * step(before).min()               # spread over more than one pixel
    seam = 20.0 + 0.13 * np.arange(60)
    far = np.abs(np.arange(40)[:, None] - seam[None, :]) > 3
    assert np.array_equal(out[far], before[far])


def _row_steps(image: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """Per column of the mouth (corners left out), the largest luma step between two neighbouring rows."""
    x0, x1 = int(lm[61, 0]) + 4, int(lm[291, 0]) - 4
    y0, y1 = int(lm[0, 1]) - 2, int(lm[17, 1]) + 2
    return np.abs(np.diff(image[y0:y1, x0:x1].astype(np.float64) @ LUMA, axis=0)).max(axis=0)


def test_lips_closed_by_a_target_meet_in_a_line_as_soft_as_a_real_closed_mouth(shared_data):
    """GRID id2's parted lips closed by anger meet in a line about as soft as the closed lips of another GRID rest
    frame (bbaf2n's own photo): 75th percentile of the per-column steps 26.6 against its 25.9 (a one-pixel dark
    line was 35.3)."""
    faces = shared_data / "faces"
    parted, closed = (read_image(faces / f) for f in ("grid_id2_vcd_swwp2s_rest.png", "grid_bbaf2n_rest.png"))
    rig = rig_photo(parted)
    frame = render_frame(parted, rig, {4: 4.0, 5: 3.3, 7: 2.7, 17: 3.3, 23: 4.0, 24: 4.0})
    own = _row_steps(closed, rig_photo(closed).vertices)
    assert np.percentile(_row_steps(frame, rig.vertices), 75) <= 1.1 * np.percentile(own, 75)
