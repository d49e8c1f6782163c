"""Image generators at the papers' sizes on CPU: parameter counts, one generator pass, one training step, and
training throughput (faces/s) of the full steps (critic/discriminators + generator) at tiny sizes."""

from __future__ import annotations

import time

import torch

from facsynth.render.gan import losses as L
from facsynth.render.gan.discriminators import FESNDiscriminators
from facsynth.render.gan.fesn import FESN
from facsynth.render.gan.ganimation import GANimationCritic, GANimationGenerator, compose
from facsynth.train.gan_loop import PAPER_MODELS, TINY_MODELS


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
    F = FESN(256, word_dim=256, **PAPER_MODELS["fesn"]["generator"]).eval()
    Ds = FESNDiscriminators(256, 512, **PAPER_MODELS["fesn"]["discriminator"])
    out += [("FESN generator parameters", _millions(F), "M", "-"),
            ("FESN discriminators (D_FV, D_EV at 64² and 128², D_syn at 256²) parameters", _millions(Ds), "M", "-")]
    face, words = torch.rand(1, 3, 256, 256) * 2 - 1, torch.randn(1, 12, 256)
    with torch.no_grad():
        out.append(("FESN generator, one 256² face, CPU 1 thread", _timed(lambda: F(face, words)) * 1e3, "ms", "-"))
    out += _throughput()
    return out


def _throughput(batch: int = 8, steps: int = 3) -> list:
    """Faces per second of full training steps (the loop's own step functions) at tiny sizes, 64² faces, CPU."""
    from facsynth.train import gan_loop as loop

    rows = []
    for kind in ("ganimation", "fesn"):
        cfg = loop.TrainConfig(kind, image_size=64, batch_size=batch, n_critic=1, models=TINY_MODELS[kind])
        cfg.aus = tuple(range(17))
        mods, _ = loop._build(cfg, (16, 16))
        opts = {k: torch.optim.Adam(m.parameters(), 2e-4) for k, m in mods.items()}
        mods.get("lvsn", torch.nn.Identity()).requires_grad_(False)
        x = torch.rand(batch, 3, 64, 64) * 2 - 1
        b = {"source": x, "target": x.flip(0), "source_aus": torch.rand(batch, 17) * 5,
             "target_aus": torch.rand(batch, 17) * 5, "target_words": torch.randn(batch, 6, 16),
             "target_sentence": torch.randn(batch, 16), "target_mask": torch.ones(batch, 6, dtype=torch.bool)}
        step = loop._ganimation_step if kind == "ganimation" else loop._fesn_step
        seconds = _timed(lambda: [step(mods, opts, b, 1, cfg, 1) for _ in range(steps)], 1)
        rows.append((f"{kind} training, tiny sizes, 64² faces, batch {batch}, CPU {torch.get_num_threads()} "
                     f"thread(s)", batch * steps / seconds, "faces/s", "-"))
    return rows
