"""Image generators at the papers' sizes on CPU: parameter counts, one generator pass, one training step."""

from __future__ import annotations

import time

import torch

from facsynth.render.gan import losses as L
from facsynth.render.gan.fesn import FESN, LevelDiscriminator, level_sizes
from facsynth.render.gan.ganimation import GANimationCritic, GANimationGenerator, compose
from facsynth.train.gan_loop import PAPER_MODELS


def _millions(m: torch.nn.Module) -> float:
    return sum(p.numel() for p in m.parameters()) / 1e6


def _timed(fn, repeat: int = 2) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat


def run():
    torch.manual_seed(0)
    out = []
    G = GANimationGenerator(17, **PAPER_MODELS["ganimation"]["generator"])
    D = GANimationCritic(128, 17, **PAPER_MODELS["ganimation"]["critic"])
    out += [("GANimation generator parameters", _millions(G), "M", "-"),
            ("GANimation critic parameters", _millions(D), "M", "-")]
    x, y = torch.rand(1, 3, 128, 128) * 2 - 1, torch.rand(1, 17) * 5
    with torch.no_grad():
        out.append(("GANimation generator, one 128² face, CPU 1 thread", _timed(lambda: G(x, y)) * 1e3, "ms", "-"))
    xb, yb = x.expand(4, -1, -1, -1), y.expand(4, -1)
    opt = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))

    def g_step():
        color, att = G(xb, yb)
        fake = compose(xb, color, att)
        patch, aus = D(fake)
        loss = L.wgan_generator_loss(patch) + 4000 * L.au_loss(aus, yb) + L.attention_loss(att)
        opt.zero_grad()
        loss.backward()
        opt.step()

    out.append(("GANimation generator training step, batch 4, CPU 1 thread", _timed(g_step, 1), "s", "-"))
    F = FESN(256, word_dim=256, sentence_dim=256, **PAPER_MODELS["fesn"]["generator"]).eval()
    Ds = [LevelDiscriminator(s, 256, **PAPER_MODELS["fesn"]["discriminator"]) for s in level_sizes(256)]
    out += [("FESN generator parameters", _millions(F), "M", "-"),
            ("FESN discriminators (3 levels) parameters", sum(_millions(d) for d in Ds), "M", "-")]
    face, words, sentence = torch.rand(1, 3, 256, 256) * 2 - 1, torch.randn(1, 12, 256), torch.randn(1, 256)
    with torch.no_grad():
        out.append(("FESN generator, one 256² face, CPU 1 thread", _timed(lambda: F(face, words, sentence)) * 1e3,
                    "ms", "-"))
    return out
