"""GANimation (Pumarola et al. 2018): an AU-conditioned generator giving a colour image and an attention mask, and
its critic with a PatchGAN realism head and an AU-regression head.

Images are float tensors in [-1, 1], shape (B, 3, S, S), S = 128 in the paper. AU targets are FACS intensities
0–5 (OpenFace scale) in a fixed AU order; the networks see them divided by 5 (0–1, as in the paper's code).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["GANimationGenerator", "GANimationCritic", "ResidualBlock", "compose", "AU_SCALE"]

#: FACS intensities are divided by this before they enter either network.
AU_SCALE = 5.0


class ResidualBlock(nn.Module):
    """conv3×3 → InstanceNorm → ReLU → conv3×3 → InstanceNorm, plus the input; shape (B, C, H, W) kept."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            nn.InstanceNorm2d(channels, affine=True),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class GANimationGenerator(nn.Module):
    """G(I, y) → (C, A): colour image C (B, 3, S, S) in [-1, 1] and attention A (B, 1, S, S) in [0, 1].

    Parameters
    ----------
    n_aus : int, length of the AU vector y
    conv_dim : int, channels of the first convolution (64 in the paper)
    n_down : int, stride-2 down- and up-sampling stages (2 in the paper)
    n_res : int, residual blocks at the bottleneck (6 in the paper)

    The edited face is ``compose(I, C, A) = A·I + (1 − A)·C``: A says where the input is kept.
    """

    def __init__(self, n_aus: int = 17, conv_dim: int = 64, n_down: int = 2, n_res: int = 6):
        super().__init__()
        self.n_aus = n_aus
        layers: list[nn.Module] = [
            nn.Conv2d(3 + n_aus, conv_dim, 7, 1, 3, bias=False),
            nn.InstanceNorm2d(conv_dim, affine=True),
            nn.ReLU(inplace=True),
        ]
        c = conv_dim
        for _ in range(n_down):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.InstanceNorm2d(2 * c, affine=True),
                       nn.ReLU(inplace=True)]
            c *= 2
        layers += [ResidualBlock(c) for _ in range(n_res)]
        for _ in range(n_down):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.InstanceNorm2d(c // 2, affine=True),
                       nn.ReLU(inplace=True)]
            c //= 2
        self.body = nn.Sequential(*layers)
        self.color = nn.Sequential(nn.Conv2d(c, 3, 7, 1, 3, bias=False), nn.Tanh())
        self.attention = nn.Sequential(nn.Conv2d(c, 1, 7, 1, 3, bias=False), nn.Sigmoid())

    def forward(self, image: torch.Tensor, aus: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """image (B, 3, S, S) in [-1, 1], aus (B, n_aus) FACS 0–5 → (colour (B, 3, S, S), attention (B, 1, S, S))."""
        y = (aus / AU_SCALE)[:, :, None, None].expand(-1, -1, image.shape[2], image.shape[3])
        h = self.body(torch.cat([image, y], dim=1))
        return self.color(h), self.attention(h)

    def edit(self, image: torch.Tensor, aus: torch.Tensor) -> torch.Tensor:
        """The re-expressed face (B, 3, S, S) in [-1, 1]."""
        color, attention = self(image, aus)
        return compose(image, color, attention)


def compose(image: torch.Tensor, color: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
    """A·I + (1 − A)·C: keep the input where the attention is 1, paint the colour image elsewhere."""
    return attention * image + (1.0 - attention) * color


class GANimationCritic(nn.Module):
    """D(I) → (realism patch map (B, 1, k, k), AU estimate (B, n_aus) in FACS units), k = S / 2**n_layers.

    Parameters
    ----------
    image_size : int, S (128 in the paper, giving a 2×2 patch map with 6 layers)
    n_aus : int, AUs regressed by the second head
    conv_dim : int, channels of the first layer (64 in the paper)
    n_layers : int, stride-2 convolutions with LeakyReLU(0.01) (6 in the paper)
    """

    def __init__(self, image_size: int = 128, n_aus: int = 17, conv_dim: int = 64, n_layers: int = 6):
        super().__init__()
        k = image_size // 2 ** n_layers
        if k < 1 or image_size % 2 ** n_layers:
            raise ValueError(f"image size {image_size} is not divisible by 2**{n_layers}")
        layers: list[nn.Module] = [nn.Conv2d(3, conv_dim, 4, 2, 1), nn.LeakyReLU(0.01, inplace=True)]
        c = conv_dim
        for _ in range(n_layers - 1):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1), nn.LeakyReLU(0.01, inplace=True)]
            c *= 2
        self.body = nn.Sequential(*layers)
        self.patch = nn.Conv2d(c, 1, 3, 1, 1, bias=False)
        self.au = nn.Conv2d(c, n_aus, k, bias=False)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(image)
        return self.patch(h), self.au(h).flatten(1) * AU_SCALE
