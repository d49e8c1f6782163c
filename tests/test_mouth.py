"""render.mouth.cover_stray_teeth: tooth and mouth-cavity pixels left on closing lips are filled from the lips."""

from __future__ import annotations

import numpy as np

from facsynth.render.mouth import (LUMA, MouthLook, cover_stray_teeth, edge_softness, mend_mouth_line, mouth_look,
                                   paint_mouth_interior)

LIP = np.array([170, 80, 90], np.float64)
#: the look of a sharp portrait (black shadows, bright skin) and of a soft, warm GRID video frame (MouthLook)
PORTRAIT = MouthLook(0.3, 225.0, 2.0, np.float32([200, 160, 130]))
VIDEO = MouthLook(1.5, 175.0, 32.0, np.float32([182, 133, 92]))


def _lips() -> tuple[np.ndarray, np.ndarray]:
    """A 80×120 skin image with a lip-red ellipse carrying a texture, and the ellipse's contour."""
    rng = np.random.default_rng(0)
    img = np.full((80, 120, 3), (210, 170, 140), np.float64)
    yy, xx = np.mgrid[:80, :120]
    inside = ((xx - 60) / 40) ** 2 + ((yy - 40) / 15) ** 2 <= 1
    img[inside] = LIP + rng.normal(0, 4, (inside.sum(), 3))
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    contour = np.stack([60 + 38 * np.cos(t), 40 + 13.5 * np.sin(t)], axis=1)   # just inside the red
    return img.astype(np.uint8), contour


def test_teeth_and_cavity_on_the_lips_are_filled_with_lip_colour():
    img, contour = _lips()
    img[36:44, 40:52] = (240, 240, 235)      # a tooth sliver
    img[36:44, 70:82] = (25, 15, 15)         # the mouth's dark inside
    before = img.copy()
    cover_stray_teeth(img, contour)
    for patch in (img[37:43, 42:50], img[37:43, 72:80]):
        assert np.abs(patch.reshape(-1, 3).mean(axis=0) - LIP).max() < 25
    assert np.array_equal(img[:20], before[:20]) and np.array_equal(img[:, :15], before[:, :15])   # skin kept


def test_a_tooth_sliver_just_below_the_lips_is_covered_and_the_skin_around_kept():
    """A lip that closes by rising over the photo's jaw leaves, just below it, what its photo contour ran over: a
    tooth sliver a few pixels outside the outer contour is filled from the skin around it; the skin, as bright and
    grey against the red lips as teeth are, stays."""
    img, contour = _lips()
    img[55:58, 52:64] = (245, 245, 240)      # 1.5–4.5 px below the contour, on the skin
    before = img.copy()
    cover_stray_teeth(img, contour)
    skin = float(before[62:66, 52:64].reshape(-1, 3).mean(axis=0) @ LUMA)
    assert (img[55:58, 53:63].astype(np.float64) @ LUMA).max() < skin + 10      # no white left (it was skin + 62)
    assert np.array_equal(img[:20], before[:20]) and np.array_equal(img[68:], before[68:])


def test_clean_lips_are_left_alone():
    img, contour = _lips()
    before = img.copy()
    cover_stray_teeth(img, contour)
    assert np.abs(img.astype(int) - before).max() <= 1


def test_a_squeezed_dark_band_on_the_lips_edges_is_filled_and_a_thin_line_drawn_where_they_meet():
    """Lips carrying a 3 px band of teeth and dark inside along their seam lose it, closed or apart; a faint line
    stays only where they meet; nothing changes away from the mouth."""
    img, _ = _lips()
    img[39:42, 30:90] = (40, 25, 25)                                    # the squeezed band, rows 39–41
    img[39:42, 50:56] = (225, 225, 215)                                 # a tooth remnant in it
    before = img.copy()
    xs = np.linspace(25, 95, 11)
    upper, lower = np.stack([xs, np.full(11, 40.0)], 1), np.stack([xs, np.full(11, 40.0)], 1)
    lower[6:, 1] += 4.0                                                 # apart on the right: 4 px = 0.08 IOD
    mend_mouth_line(img, upper, lower, scale=50.0)
    luma = lambda a: a.astype(np.float64) @ [0.299, 0.587, 0.114]       # noqa: E731
    lip = luma(before[30:34, 40:60]).mean()
    band = luma(img[39:42, 32:88])
    assert band.min() > 0.6 * lip and band.max() < lip + 20           # no dark slit, no tooth, closed or apart
    assert luma(img[40, 35:60]).mean() < luma(img[44, 35:60]).mean() - 5   # a line where they meet
    assert abs(luma(img[40, 78:88]).mean() - luma(img[36, 78:88]).mean()) < 10   # none where they are apart
    assert np.array_equal(img[:30], before[:30]) and np.array_equal(img[:, 100:], before[:, 100:])


def test_lower_teeth_are_the_front_ones_and_lit_as_teeth():
    """A wide opening shows the lower front teeth in the middle, lit as teeth (not a dim grey band), and no tooth
    colour along the rest of the lower lip (there the mouth's dark inside and the tongue meet the lip)."""
    img = np.full((140, 200, 3), (200, 160, 130), np.uint8)
    upper, lower = _open_mouth()
    paint_mouth_interior(img, upper, lower, PORTRAIT)
    above_lip = {x: img[int(np.interp(x, lower[:, 0], lower[:, 1])) - 2, x].astype(np.float64) for x in (100, 130)}
    middle, side = above_lip[100], above_lip[130]
    assert middle @ LUMA > 130 and middle[0] / middle[1] < 1.2        # a lit, near-white tooth
    assert side @ LUMA < 60 and side[0] / side[1] > 1.8                # dark red: the inside, not a grey tooth


def test_the_line_where_closed_lips_meet_is_a_soft_shadow_not_a_stroke(monkeypatch):
    """mend_mouth_line's line is LINE_DARK deep in its middle and more than a pixel across at half that depth (a
    GRID frame's own closed mouth is a shadow 3-5 px wide; a one-pixel line looked drawn)."""
    from facsynth.render import mouth

    xs = np.linspace(25, 95, 11)
    seam = np.stack([xs, np.full(11, 40.0)], 1)

    def mended(dark: float) -> np.ndarray:
        monkeypatch.setattr(mouth, "LINE_DARK", dark)
        img, _ = _lips()
        mend_mouth_line(img, seam, seam.copy(), scale=50.0)
        return img[:, 40:80].astype(np.float64) @ LUMA

    dark = mouth.LINE_DARK
    depth = (1.0 - mended(dark) / mended(0.0)).mean(axis=1)
    peak = int(np.argmax(depth))
    assert abs(peak - 40) <= 1 and 0.8 * dark < depth[peak] <= dark + 0.01
    assert min(depth[peak - 1], depth[peak + 1]) > 0.5 * depth[peak]


def _open_mouth(gap: float = 40.0) -> tuple[np.ndarray, np.ndarray]:
    """Inner lip contours of a mouth 100 px wide (x 50–150), the upper lip straight at y 40, open ``gap`` px."""
    xs = np.linspace(50, 150, 41)
    return (np.stack([xs, np.full(41, 40.0)], 1),
            np.stack([xs, 40.0 + gap * np.sin(np.linspace(0, np.pi, 41))], 1))


def test_edge_softness_reads_a_blur_and_mouth_look_the_levels():
    """A crisp pattern of steps reads under half a pixel soft, the same blurred by 1 and 2 px reads within 0.35 px
    of that; the black level is the photo's darkest pixels, not 0, and the bright level its brightest skin."""
    import cv2

    rng = np.random.default_rng(0)
    grey = np.full((120, 160), 150.0, np.float32)
    for _ in range(25):
        x, y = rng.integers(0, 140), rng.integers(0, 100)
        grey[y:y + rng.integers(6, 20), x:x + rng.integers(6, 20)] = rng.uniform(40, 230)
    assert edge_softness(grey) < 0.5
    for sigma in (1.0, 2.0):
        assert abs(edge_softness(cv2.GaussianBlur(grey, (0, 0), sigma)) - sigma) < 0.35
    img = np.full((200, 200, 3), (180, 130, 100), np.uint8)
    img[:, :40] = (38, 30, 28)                                            # the darkest the frame gets
    img[90:110, 60:140] = (240, 200, 170)                                 # a highlight beside the lips
    look = mouth_look(img, np.array([[80.0, 120.0], [120.0, 120.0], [100.0, 130.0]]))
    assert 28 <= look.black <= 33 and look.bright > 200
    assert np.abs(look.light - (200, 155, 124)).max() < 40


def test_the_interior_takes_the_photos_levels():
    """On a soft video frame's look the inside is lifted to its black level in the skin's hue (dark red-brown,
    not black) and the teeth are no brighter than its brightest skin; on a sharp portrait's look the inside stays
    near-black and the teeth bright."""
    upper, lower = _open_mouth(30.0)
    inside = {}
    for name, look in (("portrait", PORTRAIT), ("video", VIDEO)):
        img = np.full((140, 200, 3), look.light, np.uint8)
        paint_mouth_interior(img, upper, lower, look)
        pixels = img[45:65, 75:125].reshape(-1, 3).astype(np.float64)
        luma = pixels @ LUMA
        inside[name] = (luma.min(), luma.max(), pixels[np.argmin(luma)])
    (dark_p, teeth_p, _), (dark_v, teeth_v, darkest_v) = inside["portrait"], inside["video"]
    assert dark_p < 15 and teeth_p > 190
    assert dark_v > 25 and darkest_v[0] > darkest_v[1] > darkest_v[2]   # lifted, red-brown
    assert teeth_v <= 1.05 * VIDEO.bright


def test_tooth_gaps_are_as_soft_as_the_photo():
    """The gaps between the front teeth are softer in a softer photo: the dip of the middle gap along the upper
    teeth is shallower."""
    upper, lower = _open_mouth(30.0)

    def dip(softness: float) -> float:
        img = np.zeros((140, 200, 3), np.uint8)
        paint_mouth_interior(img, upper, lower, MouthLook(softness, 225.0, 0.0, np.float32([128, 128, 128])))
        row = img[43, 90:111].astype(np.float64) @ LUMA                   # the upper teeth across the middle gap
        return 1.0 - row[10] / row[[6, 14]].mean()                        # between the gaps: 4 px either side
    crisp, soft = dip(0.0), dip(2.0)
    assert crisp > 0.03 and soft < 0.7 * crisp


def test_a_raised_upper_lip_uncovers_the_upper_teeth_down_to_their_edge():
    """The upper teeth are fixed to the skull: with the upper lip raised 12 px over a closed jaw (AU10) and the
    cutting edge 3 px below the lips' rest line, the opening is teeth down to that edge, not a dark slit with a
    band hanging from the lip; below the edge it stays the mouth's dark inside; without the edge, as before."""
    xs = np.linspace(50, 150, 41)
    upper = np.stack([xs, 40.0 - 12.0 * np.sin(np.linspace(0, np.pi, 41))], 1)   # raised, corners where they were
    lower = np.stack([xs, 40.0 + 10.0 * np.sin(np.linspace(0, np.pi, 41))], 1)
    edge = np.stack([xs, np.full(41, 43.0)], 1)

    def column(incisal) -> np.ndarray:
        img = np.full((100, 200, 3), (200, 160, 130), np.uint8)
        paint_mouth_interior(img, upper, lower, PORTRAIT, incisal=incisal)
        return img[29:47, 100].astype(np.float64) @ LUMA                 # the middle, from the lip down to y 46

    fixed, hanging = column(edge), column(None)
    assert fixed[2:13].min() > 120                                     # teeth from just below the lip to y 41
    assert fixed[-2:].max() < 80                                       # below the edge (y 45, 46): dark inside
    assert (hanging[10:13] < 60).all()                                 # hanging from the lip, they stopped short


def test_the_upper_teeth_are_drawn_tooth_by_tooth_at_the_skulls_size():
    """The upper teeth are a dentition, not a white band: across them the light dips at each gap between two
    crowns, the central incisors are the widest, the teeth are sized by the face (pixels per inter-ocular
    distance), not by how wide the lips are stretched, and each crown's cutting edge rounds off at its corners."""
    upper, lower = _open_mouth(40.0)                                  # a mouth 100 px wide, upper lip at y 40

    def teeth(scale: float) -> np.ndarray:
        img = np.zeros((140, 200, 3), np.uint8)
        paint_mouth_interior(img, upper, lower, MouthLook(0.3, 225.0, 0.0, np.float32([128, 128, 128])),
                             incisal=np.stack([upper[:, 0], np.full(41, 52.0)], 1), scale=scale)
        return img.astype(np.float64) @ LUMA

    def gaps(luma: np.ndarray) -> np.ndarray:
        row = luma[46, 60:141]                                        # across the upper teeth, 6 px below the lip
        dips = [i for i in range(1, len(row) - 1) if row[i] < row[i - 1] and row[i] <= row[i + 1]
                and row[i] < 0.9 * row[max(i - 4, 0):i + 5].max()]
        return 60 + np.array(dips)

    small, large = teeth(100.0), teeth(150.0)
    at_100, at_150 = gaps(small), gaps(large)
    assert len(at_100) >= 5 and np.min(np.abs(at_100 - 100)) <= 1      # a gap at the midline, and others
    beside = np.sort(at_100[at_100 > 101])
    assert beside[0] - 100 > beside[1] - beside[0]                      # a central incisor: wider than the next
    assert 1.3 < (np.sort(at_150[at_150 > 101])[0] - 100) / (beside[0] - 100) < 1.7   # 1.5x the face, 1.5x the tooth
    # the cutting edge: at the midline gap the teeth end above where they end across a central incisor's middle
    bottom = lambda col: int(np.argmax(large[44:70, col] < 80))       # noqa: E731  rows of tooth below y 44
    assert bottom(100) < bottom(100 + round(1.5 * (beside[0] - 100)) // 2)
