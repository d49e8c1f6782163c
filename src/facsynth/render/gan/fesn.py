"""Hong et al.'s facial expression synthesis network (FESN): a facial feature encoder (S×S → 2×2×512), a
three-level expression synthesizer with residual blocks, conditioning augmentation of the sentence feature and
expressive word attention (Eq. 1) at every level, and per level a discriminator with synthesis, face-verification
and expression-verification heads (Eqs. 2–4).

Images are tensors in [-1, 1]. Word features (B, T, D_w) and sentence features (B, D_s) come from the language
encoder as tensors; this module never imports the language side. The three levels produce S/4, S/2 and S images
(64, 128, 256 for the paper's S = 256).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "FaceEncoder",
    "ConditioningAugmentation",
    "WordAttention",
    "ExpressionSynthesizer",
    "FESN",
    "LevelDiscriminator",
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


class ConditioningAugmentation(nn.Module):
    """Sentence feature s (B, D_s) → c = μ(s) + σ(s)·ε (B, c_dim), with μ and log σ² returned for the KL term."""

    def __init__(self, sentence_dim: int, c_dim: int = 100):
        super().__init__()
        self.fc = nn.Linear(sentence_dim, 2 * c_dim)

    def forward(self, sentence: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = F.leaky_relu(self.fc(sentence), 0.2).chunk(2, dim=1)
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
    """One synthesis level: word attention, joining conv, residual blocks and an RGB head."""

    def __init__(self, channels: int, word_dim: int, n_res: int):
        super().__init__()
        self.attention = WordAttention(channels, word_dim)
        self.join = nn.Sequential(nn.Conv2d(2 * channels, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels),
                                  nn.ReLU(inplace=True))
        self.res = nn.Sequential(*[_Residual(channels) for _ in range(n_res)])
        self.to_rgb = nn.Sequential(nn.Conv2d(channels, 3, 3, 1, 1), nn.Tanh())

    def forward(self, h, words, mask):
        context, beta = self.attention(h, words, mask)
        h = self.res(self.join(torch.cat([h, context], dim=1)))
        return h, self.to_rgb(h), beta


class ExpressionSynthesizer(nn.Module):
    """Three-level synthesizer: face code (B, code_dim, 2, 2) + augmented sentence c (B, c_dim) + words →
    images at S/4, S/2 and S, each level refining the previous one's features after word attention.
    """

    def __init__(self, image_size: int = 256, code_dim: int = 512, c_dim: int = 100, word_dim: int = 256,
                 ngf: int = 32, n_res: int = 2):
        super().__init__()
        n_up = _log2(image_size, "image size") - 3  # 2×2 → S/4
        if n_up < 1:
            raise ValueError(f"image size {image_size} is too small (at least 16)")
        chans = [min(ngf * 2 ** (n_up - i), 16 * ngf) for i in range(n_up + 1)]
        self.start = nn.Sequential(nn.Conv2d(code_dim + c_dim, chans[0], 3, 1, 1, bias=False),
                                   nn.BatchNorm2d(chans[0]), nn.ReLU(inplace=True))
        self.grow = nn.Sequential(*[_up(chans[i], chans[i + 1]) for i in range(n_up)])
        self.levels = nn.ModuleList([_Level(ngf, word_dim, n_res) for _ in range(3)])
        self.ups = nn.ModuleList([_up(ngf, ngf) for _ in range(2)])

    def forward(self, code: torch.Tensor, c: torch.Tensor, words: torch.Tensor,
                mask: torch.Tensor | None = None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """→ (images [(B, 3, S/4, S/4), (B, 3, S/2, S/2), (B, 3, S, S)], attention maps β per level)."""
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
    """The full generator: encoder + conditioning augmentation + three-level synthesizer.

    forward(face (B, 3, S, S), words (B, T, D_w), sentence (B, D_s), mask (B, T) bool) →
    dict(images=[S/4, S/2, S], betas=[...], mu, logvar)
    """

    def __init__(self, image_size: int = 256, word_dim: int = 256, sentence_dim: int = 256, code_dim: int = 512,
                 c_dim: int = 100, base: int = 32, ngf: int = 32, n_res: int = 2):
        super().__init__()
        self.encoder = FaceEncoder(image_size, base, code_dim)
        self.augment = ConditioningAugmentation(sentence_dim, c_dim)
        self.synthesizer = ExpressionSynthesizer(image_size, code_dim, c_dim, word_dim, ngf, n_res)

    def forward(self, face: torch.Tensor, words: torch.Tensor, sentence: torch.Tensor,
                mask: torch.Tensor | None = None) -> dict:
        c, mu, logvar = self.augment(sentence)
        images, betas = self.synthesizer(self.encoder(face), c, words, mask)
        return {"images": images, "betas": betas, "mu": mu, "logvar": logvar}


class LevelDiscriminator(nn.Module):
    """Discriminators of one level (image size s): a shared trunk (B, 3, s, s) → (B, C, 4, 4) and three heads:

    - ``synthesis(x)``: is x a real face image (Eq. 2)?
    - ``face(x, ref)``: is x a real image of the same person as ``ref`` (face verification, Eq. 3)?
    - ``expression(x, sentence)``: does x show the expression the sentence describes (Eq. 4)?

    Each head returns logits (B,).
    """

    def __init__(self, image_size: int, sentence_dim: int, ndf: int = 32):
        super().__init__()
        n = _log2(image_size, "level size") - 2
        if n < 1:
            raise ValueError(f"level size {image_size} is too small (at least 8)")
        chans = [min(ndf * 2 ** i, 8 * ndf) for i in range(n)]
        layers = [nn.Conv2d(3, chans[0], 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        for i in range(1, n):
            layers += [nn.Conv2d(chans[i - 1], chans[i], 4, 2, 1, bias=False), nn.BatchNorm2d(chans[i]),
                       nn.LeakyReLU(0.2, inplace=True)]
        self.trunk = nn.Sequential(*layers)
        c = chans[-1]
        self.synthesis_head = nn.Conv2d(c, 1, 4)
        self.face_head = nn.Sequential(nn.Conv2d(2 * c, c, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(c, 1, 4))
        self.sentence = nn.Linear(sentence_dim, c)
        self.expression_head = nn.Sequential(nn.Conv2d(2 * c, c, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True),
                                             nn.Conv2d(c, 1, 4))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(x)

    def synthesis(self, feat: torch.Tensor) -> torch.Tensor:
        return self.synthesis_head(feat).flatten()

    def face(self, feat: torch.Tensor, ref_feat: torch.Tensor) -> torch.Tensor:
        return self.face_head(torch.cat([feat, ref_feat], dim=1)).flatten()

    def expression(self, feat: torch.Tensor, sentence: torch.Tensor) -> torch.Tensor:
        s = self.sentence(sentence)[:, :, None, None].expand(-1, -1, *feat.shape[2:])
        return self.expression_head(torch.cat([feat, s], dim=1)).flatten()
