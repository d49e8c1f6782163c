"""Image quality metrics for the generators: SSIM, FID with a configurable feature network whose name is
always reported with the number (no Inception-v3 weights exist offline, so FIDs here are not the published kind),
and the photo renderer's geometric checks (AUs re-read from landmarks, identity kept).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from scipy.linalg import LinAlgWarning, sqrtm
from scipy.ndimage import gaussian_filter
from torch import nn

from ..errors import NoFaceError
from ..face.analyze import analyze
from ..face.identity import available, identity_distance
from ..facs import OPENFACE_AUS
from ..render.photo import expression_renderer

__all__ = ["ssim", "FIDResult", "frechet_distance", "fid", "random_cnn_features", "GeometricResult",
           "geometric_checks"]


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 255.0, sigma: float = 1.5) -> float:
    """Mean structural similarity (Wang et al. 2004) of two images.

    a, b : np.ndarray [shape=(H, W) or (H, W, C)], same shape; pixel values on a scale of ``data_range``
    sigma : float, std of the Gaussian window in pixels (11×11 window for 1.5)
    Returns a float in [-1, 1]; 1 exactly for identical images. Colour images are averaged over channels.
    """

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


@dataclass(frozen=True)
class GeometricResult:
    """AU error and identity distance of generated faces, measured by re-detecting their landmarks.

    au_mae : mean |analysed − target| intensity over the 17 OpenFace AUs (FACS 0–5), analysed against the source
        face as the neutral reference (the photo issue's round-trip figure; sparse targets make it small even for
        an unchanged face, so read it with) au_mae_active : the same over the AUs each target sets (≥ 1 only);
    identity : mean dlib descriptor distance source ↔ output (same person < 0.6), None without the ``identity``
        extra (dlib); checked : pairs where both faces
        were found (others are left out and counted in ``skipped``).
    """

    au_mae: float | None
    au_mae_active: float | None
    identity: float | None
    checked: int
    skipped: int

    def as_dict(self) -> dict:
        return {"au_mae": self.au_mae, "au_mae_active": self.au_mae_active, "identity_distance": self.identity,
                "checked": self.checked, "skipped_no_face": self.skipped}


def geometric_checks(sources: Sequence[np.ndarray], outputs: Sequence[np.ndarray],
                     targets: Sequence[Mapping[int, float]]) -> GeometricResult:
    """The photo issue's checks on generated faces: do the landmarks show the target AUs, is the person kept?

    sources, outputs : (H, W, 3) uint8 RGB face images, the generator's input and output for each pair
    targets : the AU intensities {AU: 0–5} asked of each output
    """
    errors, active, identities, skipped = [], [], [], 0
    for src, out, target in zip(sources, outputs, targets):
        try:
            got = analyze(out, neutral=src, render=expression_renderer).frame(0, nonzero=False)
            dist = identity_distance(src, out) if available() else None  # dlib is the optional identity extra
        except NoFaceError:
            skipped += 1
            continue
        errors.append(np.mean([abs(got.get(au, 0.0) - float(target.get(au, 0.0))) for au in OPENFACE_AUS]))
        active += [abs(got.get(au, 0.0) - float(v)) for au, v in target.items() if au in OPENFACE_AUS and v >= 1]
        if dist is not None:
            identities.append(dist)
    if not errors:
        return GeometricResult(None, None, None, 0, skipped)
    return GeometricResult(float(np.mean(errors)), float(np.mean(active)) if active else None,
                           float(np.mean(identities)) if identities else None, len(errors), skipped)
