"""A lip opening asked of a smiling photo shows: no closed-lips line is drawn over it."""

import numpy as np
import pytest

from facsynth.face import topology
from facsynth.face.landmarks import detect_faces
from facsynth.face.model import default_face
from facsynth.formats.image import read_image
from facsynth.render.photo import expressed_landmarks, movement, render_frame, rig_photo
from facsynth.render.relax import paint_closed_lips

UP, LO = np.asarray(topology.UPPER_LIP_INNER), np.asarray(topology.LOWER_LIP_INNER)


@pytest.fixture(scope="module")
def obama(shared_data):
    image = read_image(shared_data / "faces" / "obama_official_portrait.jpg")
    return image, rig_photo(image)


def test_the_mouth_line_is_drawn_only_where_the_lips_meet():
    points = default_face().vertices[:, :2] * (100.0, -100.0) + 256.0     # 100 px between the eyes
    mid = (points[UP] + points[LO]) / 2
    closed, parted = points.copy(), points.copy()
    closed[UP], closed[LO] = mid, mid
    open_by = np.r_[0, 0, 0, 3, 5, 6, 5, 3, 0, 0, 0][:, None] * (0.0, 1.0)  # px, the middle parted by 6 px
    parted[UP], parted[LO] = mid - open_by, mid + open_by
    colours = np.array([[150, 90, 80], [180, 110, 100]], np.float32)
    centre = np.round(mid[5]).astype(int)
    corner = np.round(mid[1]).astype(int)
    light = {}
    for name, pts in (("closed", closed), ("parted", parted)):
        image = np.full((512, 512, 3), (170, 120, 100), np.uint8)
        paint_closed_lips(image, pts, colours, 100.0)
        light[name] = (int(image[centre[1], centre[0]].sum()), int(image[corner[1], corner[0]].sum()))
    assert light["parted"][0] > light["closed"][0] + 60          # no dark line across the opening
    assert abs(light["parted"][1] - light["closed"][1]) <= 3       # where they still meet, the same line


def test_lips_apart_on_a_smiling_photo_show_an_opening(obama):
    """AU25 on the smiling portrait (relaxed to its target) parts the drawn lips and shows what is between them, not
    the closed-mouth line: with the jaw closed, the upper teeth (fixed to the skull, mouth.incisal_edge), before
    them the dark inside. Judged on the pixels, not by MediaPipe: on this photo MediaPipe reads a 7 px opening as
    0.006-0.021 IOD depending on the lips' texture around it (docs/expressions.md)."""
    image, rig = obama
    iod = np.linalg.norm(rig.vertices[33, :2] - rig.vertices[263, :2])

    def opening(aus):
        pts = expressed_landmarks(rig, movement(rig, aus, False))
        x, y = np.round((pts[13] + pts[14]) / 2).astype(int)
        frame = render_frame(image, rig, aus).astype(np.float64)
        return (pts[14, 1] - pts[13, 1]) / iod, frame[y - 1:y + 2, x - 1:x + 2].mean()

    gap, inside = opening({25: 4.0})
    closed_gap, line = opening({})
    assert gap > 0.03 and closed_gap < 0.005
    assert inside > 2.0 * line                                     # teeth show: 196 against the line's 71
