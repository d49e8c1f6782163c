"""SSIM and FID of facsynth.train.metrics."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from skimage.metrics import structural_similarity

from facsynth.train.metrics import fid, frechet_distance, random_cnn_features, ssim


def test_ssim_identical_is_one_and_agrees_with_skimage():
    a = data.astronaut()[:96, :96]
    assert ssim(a, a) == pytest.approx(1.0)
    noisy = np.clip(a + np.random.default_rng(0).normal(0, 25, a.shape), 0, 255).astype(np.uint8)
    ours = ssim(a, noisy)
    ref = structural_similarity(a, noisy, channel_axis=2, gaussian_weights=True, sigma=1.5,
                                use_sample_covariance=False, data_range=255)
    assert ours < 0.6 and ours == pytest.approx(ref, abs=0.03)
    with pytest.raises(ValueError):
        ssim(a, a[:10])


def test_frechet_distance_zero_for_same_and_grows_with_shift():
    x = np.random.default_rng(0).normal(size=(200, 4))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(x, x + 1.0) == pytest.approx(4.0, rel=0.05)


def test_fid_names_its_network():
    img = data.astronaut()[:64, :64]
    real = np.stack([np.roll(img, 3 * i, axis=0) for i in range(6)])
    net, name = random_cnn_features(seed=1, width=4)
    same = fid(real, real, net, name)
    other = fid(real, 255 - real, net, name)
    assert same.value == pytest.approx(0.0, abs=1e-4) and other.value > same.value
    assert "random CNN" in str(other) and "not comparable with published Inception-v3" in str(other)


def test_geometric_checks_read_the_target_aus_back_from_a_real_photo(hopper, rig):
    from facsynth.render.photo import render_frame
    from facsynth.train.metrics import geometric_checks

    target = {12: 3.0, 26: 3.0, 1: 3.0}
    good = geometric_checks([hopper], [render_frame(hopper, rig, target)], [target])
    unchanged = geometric_checks([hopper], [hopper], [target])
    assert good.checked == 1 and good.skipped == 0
    assert unchanged.au_mae_active == pytest.approx(3.0, abs=0.3)
    assert good.au_mae_active < 0.5 * unchanged.au_mae_active  # the re-expressed face shows the asked-for AUs
    assert unchanged.identity == pytest.approx(0.0, abs=1e-6) and good.identity < 0.45
    blank = np.full((128, 128, 3), 128, np.uint8)
    assert geometric_checks([blank], [blank], [target]).as_dict()["skipped_no_face"] == 1
