"""speech.peaks: peak picking and running medians in numpy, against scipy's find_peaks and median_filter."""

import numpy as np
import pytest
from scipy.ndimage import median_filter
from scipy.signal import find_peaks as scipy_find_peaks

from facsynth.speech.peaks import find_peaks, running_median


def test_peaks_of_a_small_curve():
    x = np.array([0, 3, 1, 2, 2, 2, 0, 5, 5, 1, 4], float)
    assert find_peaks(x)[0].tolist() == [1, 4, 7]                 # plateaus count once at their middle; not the end
    assert find_peaks(x, height=2.5)[0].tolist() == [1, 7]
    assert find_peaks(x, distance=4)[0].tolist() == [1, 7]         # 4 is dropped: 7 is higher and closer than 4
    peaks, heights = find_peaks(x, prominence=2.5)
    assert peaks.tolist() == [1, 7] and heights.tolist() == [3.0, 5.0]


@pytest.mark.parametrize("kw", [{}, {"prominence": 2.0, "distance": 10}, {"height": 2.0, "distance": 60,
                                                                        "prominence": 1.5}, {"distance": 3}])
def test_find_peaks_is_scipys(kw):
    rng = np.random.default_rng(len(kw))
    for k in range(60):
        x = rng.standard_normal(int(rng.integers(1, 500))).cumsum()
        x = np.round(x) if k % 2 else x                             # with plateaus and ties
        assert np.array_equal(find_peaks(x, **kw)[0], scipy_find_peaks(x, **kw)[0])


def test_running_median_is_scipys_and_removes_spikes():
    x = np.random.default_rng(3).standard_normal(200)
    assert np.allclose(running_median(x, 5), median_filter(x, size=5, mode="nearest"))
    step = np.r_[np.zeros(10), np.ones(10)]
    step[5] = 9.0
    assert np.array_equal(running_median(step, 5), np.r_[np.zeros(10), np.ones(10)])
