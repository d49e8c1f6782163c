"""Hong et al.'s language–visual semantic network (LVSN): a visual semantic encoder that maps a face image to
region features and a global feature in the language encoder's space, trained with the language–visual matching
loss and then frozen to score FESN's outputs.

The paper used an ImageNet Inception-v3; no pretrained weights can be fetched offline, so the backbone is
configurable (``BACKBONES``) and trained here from scratch on the faces and sentences of the training set.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .losses import matching_loss

__all__ = ["VisualSemanticEncoder", "BACKBONES", "lvsn_loss"]


def _conv_stage(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class _ResStage(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout),
                                  nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(cout))
        self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, 2, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.skip(x))


#: Backbone name → stage constructor (stride-2 stages, channels doubling from ``width``).
BACKBONES = {"convnet": _conv_stage, "resnet": _ResStage}


class VisualSemanticEncoder(nn.Module):
    """Image (B, 3, S, S) in [-1, 1] → (region features (B, D, N), global feature (B, D)) in the language space.

    Parameters
    ----------
    embed_dim : int, D, the language encoder's feature size
    feature_dim : int, size of the visual semantic features f_s (512 in the paper; default D); when it differs
        from D a linear map takes them into the language space for matching
    backbone : "convnet" or "resnet"
    width : int, channels of the first stage (doubling per stage, capped at 8·width)
    n_stages : int, stride-2 stages; regions come from the second-to-last (N = (S / 2**(n_stages-1))²)
    """

    def __init__(self, embed_dim: int, backbone: str = "resnet", width: int = 32, n_stages: int = 5,
                 feature_dim: int | None = None):
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"unknown backbone {backbone!r} (known: {', '.join(BACKBONES)})")
        if n_stages < 2:
            raise ValueError("the visual encoder needs at least 2 stages")
        chans = [min(width * 2 ** i, 8 * width) for i in range(n_stages)]
        make = BACKBONES[backbone]
        self.stages = nn.ModuleList([make(3 if i == 0 else chans[i - 1], chans[i]) for i in range(n_stages)])
        feature_dim = feature_dim or embed_dim
        self.local = nn.Conv2d(chans[-2], feature_dim, 1)
        self.glob = nn.Linear(chans[-1], feature_dim)
        self.to_text = nn.Identity() if feature_dim == embed_dim else nn.Linear(feature_dim, embed_dim, bias=False)

    def features(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The visual semantic features: regions (B, feature_dim, N) and f_s (B, feature_dim)."""
        h = image
        for stage in self.stages[:-1]:
            h = stage(h)
        return self.local(h).flatten(2), self.glob(self.stages[-1](h).mean(dim=(2, 3)))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        local, glob = self.features(image)
        return self.to_text(local.transpose(1, 2)).transpose(1, 2), self.to_text(glob)


def lvsn_loss(encoder: VisualSemanticEncoder, images: torch.Tensor, words: torch.Tensor, sentence: torch.Tensor,
              mask: torch.Tensor | None = None) -> torch.Tensor:
    """Language–visual matching loss of ``images`` (B, 3, S, S) against their texts (words (B, T, D), sentence (B, D))."""
    local, glob = encoder(images)
    return matching_loss(local, glob, words, sentence, mask)
