"""Fold shading: strokes too faint to change a pixel are skipped without changing the output."""

import numpy as np

from facsynth.face.model import default_face
from facsynth.render import shading


def test_faint_strokes_skipped_without_changing_pixels(monkeypatch):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    image[::7] = 255                                                # bright rows: the truncation's worst case
    face = default_face().vertices[:, :2] * (100.0, -100.0) + 256.0  # model face, 100 px between the eyes
    skipped = []
    for trial in range(6):
        points = face + rng.normal(0, 2.0, face.shape)
        aus = {1: 3.0, 4: 0.004, 6: 0.005, 9: 2.0, 12: 0.003, 17: 4.0, 2: 0.002}
        fast = image.copy()
        faint = shading._faint
        monkeypatch.setattr(shading, "_faint", lambda *a: skipped.append(faint(*a)) or skipped[-1])
        shading.shade_folds(fast, points, aus, 100.0)
        slow = image.copy()
        monkeypatch.setattr(shading, "_faint", lambda dark, lo, hi, blur: np.zeros(len(dark), bool))
        shading.shade_folds(slow, points, aus, 100.0)
        assert np.array_equal(fast, slow)
        assert not np.array_equal(fast, image)                      # the strong folds are drawn
    assert sum(int(s.sum()) for s in skipped) > 0                   # and some faint strokes were left out
