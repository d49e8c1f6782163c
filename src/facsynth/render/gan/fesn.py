"""Hong et al.'s facial expression synthesis network (FESN): a facial feature encoder (FFE, S×S → 2×2×512), a
three-level expression synthesizer with residual blocks, conditioning augmentation of the last word feature w_N
(ŵ_N, joined to the face code as a 2×2×512 map) and expressive word attention (Eq. 1) at every level. Its
discriminators are in ``discriminators.py``.

Images are tensors in [-1, 1]. Word features (B, T, D_w) come from the language encoder as tensors; this module
never imports the language side. The three levels produce S/4, S/2 and S images (64, 128, 256 for S = 256).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

__all__ = [
    "FaceEncoder",
    "ConditioningAugmentation",
    "WordAttention",
    "ExpressionSynthesizer",
    "FESN",
    "last_word",
    "level_sizes",
]


def _log2(n: int, what: str) -> int:
    k = int(round(math.log2(n)))
    if n < 1 or 2 ** k != n:
        raise ValueError(f"{what} must be a power of two, got {n}")
    return k


def level_sizes(image_size: int) -> tuple[int, int, int]:
    """Output sizes of the three synthesis levels: (S/4, S/2, S)."""
    return image_size // 4, image_size // 2, image_size


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.LeakyReLU(0.2, inplace=True))


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class _Residual(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                                  nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class FaceEncoder(nn.Module):
    """Facial feature encoder: image (B, 3, S, S) → face code (B, code_dim, 2, 2) by log2(S/2) stride-2 convs.

    Channels double from ``base`` and are capped at ``code_dim`` (512 in the paper).
    """

    def __init__(self, image_size: int = 256, base: int = 32, code_dim: int = 512):
        super().__init__()
        n = _log2(image_size, "image size") - 1
        chans = [min(base * 2 ** i, code_dim) for i in range(n)]
        chans[-1] = code_dim
        layers = [_down(3, chans[0])] + [_down(chans[i - 1], chans[i]) for i in range(1, n)]
        self.body = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.body(image)


def last_word(words: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """w_N: the feature of each text's last real word. words (B, T, D), mask (B, T) bool → (B, D)."""
    if mask is None:
        return words[:, -1]
    last = (mask.long().cumsum(1).argmax(1)).clamp_min(0)
    return words[torch.arange(words.shape[0], device=words.device), last]


class ConditioningAugmentation(nn.Module):
    """Word feature w (B, D_w) → ŵ = μ(w) + σ(w)·ε (B, c_dim), with μ and log σ² returned for the KL term."""

    def __init__(self, word_dim: int, c_dim: int = 512):
        super().__init__()
        self.fc = nn.Linear(word_dim, 2 * c_dim)

    def forward(self, word: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = F.leaky_relu(self.fc(word), 0.2).chunk(2, dim=1)
        c = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        return c, mu, logvar


class WordAttention(nn.Module):
    """Expressive word attention (Eq. 1): every image location j gathers a word context c_j = Σ_i β_ji e'_i with
    β_ji = softmax_i(h_jᵀ e'_i), e'_i = U e_i the word features projected to the image-feature space.

    forward(h (B, C, H, W), words (B, T, D_w), mask (B, T) bool) → (context (B, C, H, W), β (B, H·W, T))
    """

    def __init__(self, channels: int, word_dim: int):
        super().__init__()
        self.project = nn.Linear(word_dim, channels, bias=False)

    def forward(self, h: torch.Tensor, words: torch.Tensor,
                mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        b, c, hh, ww = h.shape
        e = self.project(words)  # (B, T, C)
        scores = torch.bmm(h.flatten(2).transpose(1, 2), e.transpose(1, 2))  # (B, N, T)
        if mask is not None:
            scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
        beta = scores.softmax(dim=2)
        context = torch.bmm(beta, e).transpose(1, 2).reshape(b, c, hh, ww)
        return context, beta


class _Level(nn.Module):
    """One synthesis level: word attention (unless ablated), joining conv, residual blocks and an RGB head."""

    def __init__(self, channels: int, word_dim: int, n_res: int, attention: bool = True):
        super().__init__()
        self.attention = WordAttention(channels, word_dim) if attention else None
        joined = 2 * channels if attention else channels
        self.join = nn.Sequential(nn.Conv2d(joined, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels),
                                  nn.ReLU(inplace=True))
        self.res = nn.Sequential(*[_Residual(channels) for _ in range(n_res)])
        self.to_rgb = nn.Sequential(nn.Conv2d(channels, 3, 3, 1, 1), nn.Tanh())

    def forward(self, h, words, mask):
        if self.attention is None:
            return (h := self.res(self.join(h))), self.to_rgb(h), None
        context, beta = self.attention(h, words, mask)
        h = self.res(self.join(torch.cat([h, context], dim=1)))
        return h, self.to_rgb(h), beta


class ExpressionSynthesizer(nn.Module):
    """Three-level synthesizer: [face code (B, code_dim, 2, 2); ŵ_N tiled to 2×2 (B, c_dim, 2, 2)] + words →
    images at S/4, S/2 and S, each level refining the previous one's features after word attention (``attention``
    False: the ablation of Hong et al.'s Table 1, words then enter through ŵ_N only).
    """

    def __init__(self, image_size: int = 256, code_dim: int = 512, c_dim: int = 512, word_dim: int = 256,
                 ngf: int = 32, n_res: int = 2, attention: bool = True):
        super().__init__()
        n_up = _log2(image_size, "image size") - 3  # 2×2 → S/4
        if n_up < 1:
            raise ValueError(f"image size {image_size} is too small (at least 16)")
        chans = [min(ngf * 2 ** (n_up - i), 16 * ngf) for i in range(n_up + 1)]
        self.start = nn.Sequential(nn.Conv2d(code_dim + c_dim, chans[0], 3, 1, 1, bias=False),
                                   nn.BatchNorm2d(chans[0]), nn.ReLU(inplace=True))
        self.grow = nn.Sequential(*[_up(chans[i], chans[i + 1]) for i in range(n_up)])
        self.levels = nn.ModuleList([_Level(ngf, word_dim, n_res, attention) for _ in range(3)])
        self.ups = nn.ModuleList([_up(ngf, ngf) for _ in range(2)])

    def forward(self, code: torch.Tensor, c: torch.Tensor, words: torch.Tensor,
                mask: torch.Tensor | None = None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """→ (images [(B, 3, S/4, S/4), (B, 3, S/2, S/2), (B, 3, S, S)], attention maps β per level (None when
        ablated))."""
        x = torch.cat([code, c[:, :, None, None].expand(-1, -1, *code.shape[2:])], dim=1)
        h = self.grow(self.start(x))
        images, betas = [], []
        for i, level in enumerate(self.levels):
            if i:
                h = self.ups[i - 1](h)
            h, img, beta = level(h, words, mask)
            images.append(img)
            betas.append(beta)
        return images, betas


class FESN(nn.Module):
    """The full generator: facial feature encoder + conditioning augmentation of w_N + three-level synthesizer.

    forward(face (B, 3, S, S), words (B, T, D_w), mask (B, T) bool) →
    dict(images=[S/4, S/2, S], betas=[...], condition=ŵ_N (B, c_dim), mu, logvar)
    """

    def __init__(self, image_size: int = 256, word_dim: int = 256, code_dim: int = 512, c_dim: int = 512,
                 base: int = 32, ngf: int = 32, n_res: int = 2, attention: bool = True):
        super().__init__()
        self.image_size = image_size
        self.encoder = FaceEncoder(image_size, base, code_dim)
        self.augment = ConditioningAugmentation(word_dim, c_dim)
        self.synthesizer = ExpressionSynthesizer(image_size, code_dim, c_dim, word_dim, ngf, n_res, attention)

    def forward(self, face: torch.Tensor, words: torch.Tensor, mask: torch.Tensor | None = None) -> dict:
        c, mu, logvar = self.augment(last_word(words, mask))
        images, betas = self.synthesizer(self.encoder(face), c, words, mask)
        return {"images": images, "betas": betas, "condition": c, "mu": mu, "logvar": logvar}

    def face_features(self, image: torch.Tensor) -> torch.Tensor:
        """The FFE's features of ``image`` (B, 3, s, s), resized to S, with the encoder's weights held fixed: the
        features of L_id (Eq. 6), which must not train the encoder to map every face alike. → (B, code_dim, 2, 2)."""
        size = self.image_size
        if image.shape[-1] != size:
            image = F.interpolate(image, size=(size, size), mode="bilinear", align_corners=False)
        fixed = {k: v.detach() for k, v in self.encoder.named_parameters()}
        return functional_call(self.encoder, fixed, (image,))
