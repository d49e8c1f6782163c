"""Hong et al.'s discriminators of the FESN: face verification D_FV and expression verification D_EV at levels 1–2
(S/4 and S/2), and the synthesis discriminator at level 3 (S). Each gives an unconditional and a conditional
score, the condition being ŵ_N, the last word feature after conditioning augmentation (Eqs. 2–4).

D_EV scores the expression change f_EV(I) − f_EV(I_i) of an image I against the input face I_i, with its own
convolutional encoder f_EV. Images are tensors in [-1, 1]; every score is a logit (B,).
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["ConvEncoder", "ConditionalHeads", "FaceVerification", "ExpressionVerification", "FESNDiscriminators"]


class ConvEncoder(nn.Module):
    """Stride-2 convolutions: image (B, 3, s, s) → features (B, C, 4, 4), channels doubling from ``ndf`` (≤ 8·ndf)."""

    def __init__(self, image_size: int, ndf: int = 32):
        super().__init__()
        n = int(round(math.log2(image_size))) - 2
        if n < 1 or 2 ** (n + 2) != image_size:
            raise ValueError(f"level size must be a power of two ≥ 8, got {image_size}")
        chans = [min(ndf * 2 ** i, 8 * ndf) for i in range(n)]
        layers: list[nn.Module] = [nn.Conv2d(3, chans[0], 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        for i in range(1, n):
            layers += [nn.Conv2d(chans[i - 1], chans[i], 4, 2, 1, bias=False), nn.BatchNorm2d(chans[i]),
                       nn.LeakyReLU(0.2, inplace=True)]
        self.body = nn.Sequential(*layers)
        self.channels = chans[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class ConditionalHeads(nn.Module):
    """features (B, C, 4, 4) [+ condition (B, D)] → (unconditional logits (B,), conditional logits (B,))."""

    def __init__(self, channels: int, cond_dim: int):
        super().__init__()
        self.plain = nn.Conv2d(channels, 1, 4)
        self.cond = nn.Linear(cond_dim, channels)
        self.joint = nn.Sequential(nn.Conv2d(2 * channels, channels, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True),
                                   nn.Conv2d(channels, 1, 4))

    def forward(self, feat: torch.Tensor, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.cond(cond)[:, :, None, None].expand(-1, -1, *feat.shape[2:])
        return self.plain(feat).flatten(), self.joint(torch.cat([feat, c], dim=1)).flatten()


class FaceVerification(nn.Module):
    """D_FV (and the synthesis discriminator): is the image a real face, alone and given ŵ_N (Eq. 2)?

    forward(x (B, 3, s, s), cond (B, D)) → (unconditional, conditional) logits (B,) each.
    """

    def __init__(self, image_size: int, cond_dim: int, ndf: int = 32):
        super().__init__()
        self.encoder = ConvEncoder(image_size, ndf)
        self.heads = ConditionalHeads(self.encoder.channels, cond_dim)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.heads(self.encoder(x), cond)


class ExpressionVerification(nn.Module):
    """D_EV with its encoder f_EV: is the change f_EV(x) − f_EV(input) a real expression change, alone and given
    ŵ_N (Eq. 3)? forward(x, input face (B, 3, s, s), cond (B, D)) → (unconditional, conditional) logits (B,).
    """

    def __init__(self, image_size: int, cond_dim: int, ndf: int = 32):
        super().__init__()
        self.f_ev = ConvEncoder(image_size, ndf)
        self.heads = ConditionalHeads(self.f_ev.channels, cond_dim)

    def forward(self, x: torch.Tensor, source: torch.Tensor, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.heads(self.f_ev(x) - self.f_ev(source), cond)


class FESNDiscriminators(nn.Module):
    """All of the FESN's discriminators for images of side S: ``fv`` and ``ev`` at S/4 and S/2, ``syn`` at S."""

    def __init__(self, image_size: int, cond_dim: int, ndf: int = 32):
        super().__init__()
        sizes = (image_size // 4, image_size // 2)
        self.fv = nn.ModuleList([FaceVerification(s, cond_dim, ndf) for s in sizes])
        self.ev = nn.ModuleList([ExpressionVerification(s, cond_dim, ndf) for s in sizes])
        self.syn = FaceVerification(image_size, cond_dim, ndf)

    def scores(self, images: list[torch.Tensor], sources: list[torch.Tensor],
               cond: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Score one image per level (S/4, S/2, S) against the input face at those sizes →
        [D_FV¹, D_EV¹, D_FV², D_EV², D_syn] as (unconditional, conditional) logit pairs."""
        out = []
        for n in range(2):
            out += [self.fv[n](images[n], cond), self.ev[n](images[n], sources[n], cond)]
        return out + [self.syn(images[2], cond)]
