"""AUTrack: validation, construction, resampling, smoothing."""

import numpy as np
import pytest

from facsynth.errors import AUSpecError, TrackError
from facsynth.track import AUTrack


def test_still_track_is_one_frame():
    t = AUTrack.still({"AU12": 3, 1: 2})
    assert t.n_frames == 1 and t.values.dtype == np.float32
    assert t.frame(0) == {1: 2.0, 12: 3.0}
    assert 12 in t and "AU12" in t and 3 not in t


def test_still_adds_columns_outside_default_set():
    t = AUTrack.still({27: 4})
    assert 27 in t.aus and t.curve(27)[0] == 4


@pytest.mark.parametrize("values,fragment", [
    ([[0, np.nan]], "frame 0 has a non-finite value for AU02"),
    ([[0, 1], [0, 6]], "frame 1 has AU02 = 6"),
    ([[0, 1], [-1, 0]], "frame 1 has AU01 = -1"),
])
def test_bad_values_name_the_row(values, fragment):
    with pytest.raises(TrackError, match=fragment):
        AUTrack(np.array(values, np.float32), (1, 2), 30)


def test_bad_codes_and_shapes():
    with pytest.raises(AUSpecError):
        AUTrack(np.zeros((2, 1)), (3,), 30)
    with pytest.raises(TrackError, match="repeat"):
        AUTrack(np.zeros((2, 2)), (1, 1), 30)
    with pytest.raises(TrackError, match="shape"):
        AUTrack(np.zeros((2, 3)), (1, 2), 30)
    with pytest.raises(TrackError, match="frame rate"):
        AUTrack(np.zeros((2, 2)), (1, 2), 0)


def test_values_are_read_only():
    t = AUTrack.zeros(3)
    with pytest.raises(ValueError):
        t.values[0, 0] = 1


def test_resample_keeps_duration_and_shape_of_curve():
    x = np.linspace(0, 5, 30, dtype=np.float32)
    t = AUTrack(x[:, None], (12,), 30)
    r = t.resample(60)
    assert r.n_frames == 60 and r.fps == 60
    assert r.duration == pytest.approx(t.duration)
    assert np.all(np.diff(r.curve(12)[:-2]) > 0)


def test_resample_to_a_frame_count_and_a_start_time():
    curve = np.array([0.0, 1.0, 2.0, 3.0, 4.0], np.float32)  # 100 fps: value = 100 · time
    t = AUTrack(curve[:, None], (26,), 100)
    assert t.resample(50, frames=4).curve(26).tolist() == [0.0, 2.0, 4.0, 4.0]  # past the end: the last value
    assert t.resample(100, frames=3, start=0.015).curve(26).tolist() == pytest.approx([1.5, 2.5, 3.5])
    assert t.resample(100, frames=2, start=-1.0).curve(26).tolist() == [0.0, 0.0]  # before the start: the first
    assert AUTrack.still({12: 3.0}).resample(10, frames=3).curve(12).tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(TrackError):
        t.resample(30, frames=0)


def test_smooth_reduces_jitter_and_keeps_mean_level():
    rng = np.random.default_rng(0)
    x = np.clip(2.5 + rng.normal(0, 1, 300), 0, 5).astype(np.float32)
    t = AUTrack(x[:, None], (25,), 30)
    s = t.smooth(0.1)
    assert np.std(np.diff(s.curve(25))) < 0.3 * np.std(np.diff(t.curve(25)))
    assert abs(s.curve(25).mean() - t.curve(25).mean()) < 0.1


def test_clamped_cleans_model_output():
    t = AUTrack.clamped(np.array([[np.nan, 7.0, -2.0]]), (1, 2, 4))
    assert t.values.tolist() == [[0.0, 5.0, 0.0]]


def test_with_aus_concat_scaled():
    a = AUTrack.still({12: 4})
    b = a.with_aus((12, 27))
    assert b.aus == (12, 27) and b.curve(27)[0] == 0
    c = a.concat(AUTrack.still({27: 2}))
    assert c.n_frames == 2 and c.curve(27).tolist() == [0, 2]
    assert a.scaled(2).curve(12)[0] == 5.0


def test_still_accepts_any_iterable_of_aus_and_smooth_rejects_negative():
    t = AUTrack.still({12: 3}, aus=(a for a in (1, 12)))
    assert t.aus == (1, 12)
    with pytest.raises(TrackError, match="non-negative"):
        t.smooth(-1)
