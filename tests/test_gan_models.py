"""Shapes of GANimation, FESN and LVSN as in the papers, and every generator loss finite and differentiable."""

from __future__ import annotations

import pytest
import torch

from facsynth.render.gan import losses as L
from facsynth.render.gan.fesn import FESN, LevelDiscriminator, WordAttention, level_sizes
from facsynth.render.gan.ganimation import GANimationCritic, GANimationGenerator, compose
from facsynth.render.gan.lvsn import VisualSemanticEncoder, lvsn_loss
from facsynth.train.gan_loop import PAPER_MODELS

torch.set_num_threads(1)


def test_ganimation_paper_shapes():
    torch.manual_seed(0)
    G = GANimationGenerator(17, **PAPER_MODELS["ganimation"]["generator"])
    D = GANimationCritic(128, 17, **PAPER_MODELS["ganimation"]["critic"])
    x, y = torch.rand(1, 3, 128, 128) * 2 - 1, torch.rand(1, 17) * 5
    with torch.no_grad():
        color, att = G(x, y)
        patch, aus = D(x)
    assert color.shape == (1, 3, 128, 128) and att.shape == (1, 1, 128, 128)
    assert color.abs().max() <= 1 and 0 <= att.min() and att.max() <= 1
    assert patch.shape == (1, 1, 2, 2) and aus.shape == (1, 17)
    # attention 1 keeps the input, 0 paints the colour image
    assert torch.equal(compose(x, color, torch.ones_like(att)), x)
    assert torch.equal(compose(x, color, torch.zeros_like(att)), color)


def test_fesn_paper_shapes():
    torch.manual_seed(0)
    G = FESN(256, word_dim=32, sentence_dim=32, **PAPER_MODELS["fesn"]["generator"]).eval()
    face = torch.rand(1, 3, 256, 256) * 2 - 1
    words, sentence = torch.randn(1, 6, 32), torch.randn(1, 32)
    with torch.no_grad():
        code = G.encoder(face)
        out = G(face, words, sentence)
    assert code.shape == (1, 512, 2, 2)
    assert [tuple(i.shape) for i in out["images"]] == [(1, 3, 64, 64), (1, 3, 128, 128), (1, 3, 256, 256)]
    assert [tuple(b.shape) for b in out["betas"]] == [(1, 64 * 64, 6), (1, 128 * 128, 6), (1, 256 * 256, 6)]
    assert out["mu"].shape == (1, 100)
    assert level_sizes(256) == (64, 128, 256)
    for size in level_sizes(256):
        D = LevelDiscriminator(size, 32, **PAPER_MODELS["fesn"]["discriminator"])
        f = D.features(torch.rand(2, 3, size, size))
        assert D.synthesis(f).shape == D.face(f, f).shape == D.expression(f, torch.randn(2, 32)).shape == (2,)


def test_word_attention_is_eq1():
    torch.manual_seed(0)
    att = WordAttention(4, 3)
    h, words = torch.randn(1, 4, 2, 2), torch.randn(1, 5, 3)
    mask = torch.tensor([[True, True, True, False, False]])
    context, beta = att(h, words, mask)
    assert torch.allclose(beta.sum(-1), torch.ones(1, 4))
    assert torch.all(beta[..., 3:] == 0)  # padded words get no attention
    e = att.project(words)[0]
    j = 2  # location (1, 0)
    expected = torch.softmax(h[0].flatten(1)[:, j] @ e[:3].T, 0) @ e[:3]
    assert torch.allclose(context[0].flatten(1)[:, j], expected, atol=1e-6)


def test_lvsn_shapes_and_backbones():
    for backbone in ("convnet", "resnet"):
        V = VisualSemanticEncoder(24, backbone=backbone, width=8, n_stages=4)
        local, glob = V(torch.rand(2, 3, 64, 64))
        assert local.shape == (2, 24, 8 * 8) and glob.shape == (2, 24)
    with pytest.raises(ValueError, match="backbone"):
        VisualSemanticEncoder(24, backbone="inception")


def _finite_grads(loss, params):
    assert torch.isfinite(loss), loss
    grads = torch.autograd.grad(loss, params, allow_unused=True, retain_graph=True)
    flat = torch.cat([g.flatten() for g in grads if g is not None])
    assert torch.isfinite(flat).all() and flat.abs().sum() > 0


def test_ganimation_losses_finite_and_differentiable():
    torch.manual_seed(0)
    G, D = GANimationGenerator(5, conv_dim=4, n_res=1), GANimationCritic(32, 5, conv_dim=4, n_layers=4)
    x, y = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 5) * 5
    color, att = G(x, y)
    fake = compose(x, color, att)
    patch, aus = D(fake)
    gp = lambda: L.gradient_penalty(lambda im: D(im)[0], x, fake)  # noqa: E731
    for loss, params in [
        (L.wgan_critic_loss(D(x)[0], patch), list(D.parameters())),
        (gp(), list(D.parameters())),
        (L.wgan_generator_loss(patch), list(G.parameters())),
        (L.au_loss(aus, y), list(G.parameters())),
        (L.cycle_loss(compose(fake, *G(fake, y)), x), list(G.parameters())),
        (L.attention_loss(att), list(G.parameters())),
    ]:
        _finite_grads(loss, params)


def test_fesn_and_matching_losses_finite_and_differentiable():
    torch.manual_seed(0)
    G = FESN(32, word_dim=8, sentence_dim=8, code_dim=16, c_dim=4, base=4, ngf=4, n_res=1)
    V = VisualSemanticEncoder(8, backbone="convnet", width=4, n_stages=3)
    Ds = [LevelDiscriminator(s, 8, ndf=4) for s in level_sizes(32)]
    x, y = torch.rand(3, 3, 32, 32) * 2 - 1, torch.rand(3, 3, 32, 32) * 2 - 1
    words, sentence = torch.randn(3, 5, 8), torch.randn(3, 8)
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[0, 3:] = False
    out = G(x, words, sentence, mask)
    params = list(G.parameters())
    adv = sum(L.bce_real(D.synthesis(D.features(f))) + L.bce_real(D.face(D.features(f), D.features(r)))
              + L.bce_real(D.expression(D.features(f), sentence))
              for D, f, r in zip(Ds, out["images"], [x[..., ::4, ::4], x[..., ::2, ::2], x]))
    kl = L.kl_loss(out["mu"], out["logvar"])
    match = lvsn_loss(V, out["images"][-1], words, sentence, mask)
    rec, ident = (out["images"][-1] - y).abs().mean(), (out["images"][-1] - x).abs().mean()
    for loss in (adv, kl, match, rec, L.fesn_generator_loss(adv, ident, rec, match, kl)):
        _finite_grads(loss, params)
    d_loss = L.bce_fake(Ds[0].synthesis(Ds[0].features(out["images"][0].detach())))
    _finite_grads(d_loss, list(Ds[0].parameters()))
    _finite_grads(lvsn_loss(V, y, words, sentence, mask), list(V.parameters()))
    assert L.FESN_LAMBDAS == (1.0, 5.0, 0.005)


def test_matching_loss_prefers_matching_pairs():
    torch.manual_seed(0)
    words = torch.randn(4, 3, 8)
    sentence = words.mean(1)
    regions = words.transpose(1, 2)  # each image's regions are its own words: a perfect match
    matched = L.matching_loss(regions, sentence, words, sentence)
    shuffled = L.matching_loss(regions.roll(1, 0), sentence.roll(1, 0), words, sentence)
    assert matched < shuffled
