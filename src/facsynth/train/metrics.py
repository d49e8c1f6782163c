"""Image quality metrics for the generators: SSIM, and FID with a configurable feature network whose name is
always reported with the number (no Inception-v3 weights exist offline, so FIDs here are not the published kind).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["ssim", "FIDResult", "frechet_distance", "fid", "random_cnn_features"]


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 255.0, sigma: float = 1.5) -> float:
    """Mean structural similarity (Wang et al. 2004) of two images.

    a, b : np.ndarray [shape=(H, W) or (H, W, C)], same shape; pixel values on a scale of ``data_range``
    sigma : float, std of the Gaussian window in pixels (11×11 window for 1.5)
    Returns a float in [-1, 1]; 1 exactly for identical images. Colour images are averaged over channels.
    """
    from scipy.ndimage import gaussian_filter

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"SSIM needs images of one shape, got {a.shape} and {b.shape}")
    if a.ndim == 3:
        return float(np.mean([ssim(a[..., c], b[..., c], data_range, sigma) for c in range(a.shape[2])]))
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    blur = lambda x: gaussian_filter(x, sigma, truncate=3.5)  # noqa: E731  (11-pixel window at sigma 1.5)
    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a ** 2, blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return float(s.mean())


@dataclass(frozen=True)
class FIDResult:
    """A Fréchet distance and the feature network that produced it."""

    value: float
    network: str
    n_real: int
    n_fake: int

    def __str__(self) -> str:
        note = "" if "inception" in self.network.lower() else "; not comparable with published Inception-v3 FIDs"
        return f"FID {self.value:.3f} (features: {self.network}; {self.n_real} real, {self.n_fake} generated{note})"


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """‖μ_r − μ_f‖² + Tr(Σ_r + Σ_f − 2(Σ_r Σ_f)^½) of two feature sets (N, D) and (M, D)."""
    import warnings

    from scipy.linalg import LinAlgWarning, sqrtm

    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1] or min(len(real), len(fake)) < 2:
        raise ValueError("FID needs two feature sets (N ≥ 2, D) of one width")
    mu_r, mu_f = real.mean(0), fake.mean(0)
    cov_r, cov_f = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    with warnings.catch_warnings():  # few samples give singular covariances; regularise instead of warning
        warnings.simplefilter("ignore", LinAlgWarning)
        covmean = sqrtm(cov_r @ cov_f)
        if not np.isfinite(covmean).all():
            eps = 1e-6 * np.eye(len(mu_r))
            covmean = sqrtm((cov_r + eps) @ (cov_f + eps))
    covmean = np.real(covmean)
    return float(max(0.0, ((mu_r - mu_f) ** 2).sum() + np.trace(cov_r + cov_f - 2 * covmean)))


def fid(real: np.ndarray, fake: np.ndarray, features: Callable, network: str, batch_size: int = 32) -> FIDResult:
    """FID of image sets ``real`` (N, H, W, 3) and ``fake`` (M, H, W, 3) uint8 under ``features``.

    ``features`` maps a float tensor (B, 3, H, W) in [-1, 1] to (B, D); ``network`` names it in the result
    (e.g. "LVSN visual encoder (resnet, trained on CK+)" or "random CNN, seed 0").
    """
    import torch

    def embed(images: np.ndarray) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(images), batch_size):
                x = torch.from_numpy(np.ascontiguousarray(images[i:i + batch_size])).permute(0, 3, 1, 2)
                out.append(torch.as_tensor(features(x.float() / 127.5 - 1.0)).flatten(1).double().numpy())
        return np.concatenate(out)

    return FIDResult(frechet_distance(embed(real), embed(fake)), network, len(real), len(fake))


def random_cnn_features(seed: int = 0, width: int = 32) -> tuple[Callable, str]:
    """A fixed, randomly initialised CNN as a feature network (a weak but reproducible FID baseline).

    Returns (features callable, its name for FIDResult).
    """
    import torch
    from torch import nn

    gen = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    cin = 3
    for i in range(4):
        conv = nn.Conv2d(cin, width * 2 ** i, 3, 2, 1)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * (2.0 / (cin * 9)) ** 0.5)
            conv.bias.zero_()
        layers += [conv, nn.ReLU()]
        cin = width * 2 ** i
    net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten()).eval()
    return net, f"random CNN (seed {seed}, {cin}-d, untrained)"
