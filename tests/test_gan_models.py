"""Shapes of GANimation, FESN (with its discriminators) and LVSN as in the papers, Eq. 6's weights, the Table 1
ablations, and every generator loss finite and differentiable."""

from __future__ import annotations

import pytest
import torch

from facsynth.render.gan import losses as L
from facsynth.render.gan.discriminators import ExpressionVerification, FaceVerification, FESNDiscriminators
from facsynth.render.gan.fesn import FESN, WordAttention, last_word, level_sizes
from facsynth.render.gan.ganimation import GANimationCritic, GANimationGenerator, compose
from facsynth.render.gan.lvsn import VisualSemanticEncoder, lvsn_loss
from facsynth.train.gan_loop import PAPER_MODELS, TrainConfig

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
    assert patch.shape == (1, 1, 2, 2) and aus.shape == (1, 17)  # GANimation's PatchGAN: H/2⁶ × W/2⁶
    # attention 1 keeps the input, 0 paints the colour image
    assert torch.equal(compose(x, color, torch.ones_like(att)), x)
    assert torch.equal(compose(x, color, torch.zeros_like(att)), color)


def test_fesn_paper_shapes():
    torch.manual_seed(0)
    G = FESN(256, word_dim=32, **PAPER_MODELS["fesn"]["generator"]).eval()
    face = torch.rand(1, 3, 256, 256) * 2 - 1
    words = torch.randn(1, 6, 32)
    with torch.no_grad():
        code = G.encoder(face)
        out = G(face, words)
    assert code.shape == (1, 512, 2, 2)  # f_f ∈ R^{2×2×512}
    assert out["condition"].shape == (1, 512)  # ŵ_N, tiled to 2×2×512 beside f_f
    assert [tuple(i.shape) for i in out["images"]] == [(1, 3, 64, 64), (1, 3, 128, 128), (1, 3, 256, 256)]
    assert [tuple(b.shape) for b in out["betas"]] == [(1, 64 * 64, 6), (1, 128 * 128, 6), (1, 256 * 256, 6)]
    assert level_sizes(256) == (64, 128, 256)


def test_fesn_discriminators_as_the_paper():
    """D_FV and D_EV at levels 1–2 (64², 128²), the synthesis discriminator at level 3 (256²), each scoring with
    and without ŵ_N; D_EV sees the expression change f_EV(I) − f_EV(I_i) only."""
    torch.manual_seed(0)
    D = FESNDiscriminators(256, 512, **PAPER_MODELS["fesn"]["discriminator"]).eval()
    assert len(D.fv) == len(D.ev) == 2 and isinstance(D.syn, FaceVerification)
    assert [d.encoder.body[0].in_channels for d in D.fv] == [3, 3]
    imgs = [torch.rand(2, 3, s, s) * 2 - 1 for s in level_sizes(256)]
    cond = torch.randn(2, 512)
    with torch.no_grad():
        scores = D.scores(imgs, imgs, cond)
        assert len(scores) == 5 and all(u.shape == c.shape == (2,) for u, c in scores)
        ev = D.ev[0]
        same = ev(imgs[0], imgs[0], cond)  # no change: f_EV(I) − f_EV(I) = 0, whatever the face
        other = ev(imgs[0].flip(0), imgs[0].flip(0), cond)
        assert torch.allclose(same[0], other[0]) and torch.allclose(same[1], other[1])
        assert not torch.allclose(same[1], ev(imgs[0], imgs[0], -cond)[1])  # the conditional head reads ŵ_N
    assert isinstance(D.ev[1], ExpressionVerification)


def test_last_word_feature_is_the_condition():
    words = torch.arange(2 * 4 * 3, dtype=torch.float32).reshape(2, 4, 3)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    assert torch.equal(last_word(words, mask), torch.stack([words[0, 1], words[1, 3]]))
    G = FESN(32, word_dim=3, code_dim=16, c_dim=4, base=4, ngf=4, n_res=1).eval()
    face = torch.rand(2, 3, 32, 32)
    changed = words.clone()
    changed[0, 0] += 5  # not the last word: ŵ_N unchanged
    assert torch.equal(G(face, words, mask)["condition"], G(face, changed, mask)["condition"])


def test_eq6_weights_and_table1_ablations():
    assert L.FESN_LAMBDAS == (1.0, 5.0, 0.005)  # λ1 adversarial, λ2 L_id, λ3 L1 reconstruction (Sec. 3.2)
    adv, ident, rec = torch.tensor(2.0), torch.tensor(3.0), torch.tensor(7.0)
    assert L.fesn_generator_loss(adv, ident, rec).item() == pytest.approx(2 + 5 * 3 + 0.005 * 7)
    a, b = torch.randn(2, 8, 2, 2), torch.randn(2, 8, 2, 2)
    assert L.identity_loss(a, b).item() == pytest.approx(((a - b) ** 2).mean().item())  # L2 on FFE features
    cfg = TrainConfig("fesn")
    assert cfg.lambdas == L.FESN_LAMBDAS and cfg.lvsn_lr == 1e-5 and cfg.lr == 2e-4
    with_att = FESN(32, word_dim=8, code_dim=16, c_dim=4, base=4, ngf=4, n_res=1)
    without = FESN(32, word_dim=8, code_dim=16, c_dim=4, base=4, ngf=4, n_res=1, attention=False)
    assert all(level.attention is None for level in without.synthesizer.levels)
    out = without(torch.rand(2, 3, 32, 32), torch.randn(2, 5, 8))
    assert out["betas"] == [None, None, None] and out["images"][-1].shape == (2, 3, 32, 32)
    assert sum(p.numel() for p in without.parameters()) < sum(p.numel() for p in with_att.parameters())
    # the L_id features hold the encoder's weights fixed: its gradient reaches the image, not the encoder
    x = torch.rand(2, 3, 16, 16, requires_grad=True)
    with_att.face_features(x).sum().backward()
    assert x.grad is not None and all(p.grad is None for p in with_att.encoder.parameters())


def test_vse_features_are_512_d():
    V = VisualSemanticEncoder(256, **PAPER_MODELS["fesn"]["lvsn"])
    with torch.no_grad():
        regions, f_s = V.features(torch.rand(1, 3, 256, 256))
        local, glob = V(torch.rand(1, 3, 256, 256))
    assert f_s.shape == (1, 512) and regions.shape[1] == 512  # f_s ∈ R^512
    assert glob.shape == (1, 256) and local.shape[1] == 256  # mapped into a 256-d language space for L_LVM


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
    G = FESN(32, word_dim=8, code_dim=16, c_dim=4, base=4, ngf=4, n_res=1)
    V = VisualSemanticEncoder(8, backbone="convnet", width=4, n_stages=3)
    D = FESNDiscriminators(32, 4, ndf=4)
    x, y = torch.rand(3, 3, 32, 32) * 2 - 1, torch.rand(3, 3, 32, 32) * 2 - 1
    words, sentence = torch.randn(3, 5, 8), torch.randn(3, 8)
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[0, 3:] = False
    out = G(x, words, mask)
    params = list(G.parameters())
    sources = [x[..., ::4, ::4], x[..., ::2, ::2], x]
    adv = sum(L.adversarial_loss(s) for s in D.scores(out["images"], sources, out["mu"].detach()))
    kl = L.kl_loss(out["mu"], out["logvar"])
    match = lvsn_loss(V, out["images"][-1], words, sentence, mask)
    rec = sum((f - t).abs().mean() for f, t in zip(out["images"], [y[..., ::4, ::4], y[..., ::2, ::2], y]))
    ident = sum(L.identity_loss(G.face_features(f), G.face_features(t).detach())
                for f, t in zip(out["images"], [y[..., ::4, ::4], y[..., ::2, ::2], y]))
    for loss in (adv, kl, match, rec, ident, L.fesn_generator_loss(adv, ident, rec)):
        _finite_grads(loss, params)
    reals = D.scores([y[..., ::4, ::4], y[..., ::2, ::2], y], sources, out["mu"].detach())
    fakes = D.scores([f.detach() for f in out["images"]], sources, out["mu"].detach())
    d_loss = sum(L.discriminator_pair_loss(r, f) for r, f in zip(reals, fakes))
    _finite_grads(d_loss, list(D.parameters()))
    _finite_grads(lvsn_loss(V, y, words, sentence, mask), list(V.parameters()))


def test_matching_loss_prefers_matching_pairs():
    torch.manual_seed(0)
    words = torch.randn(4, 3, 8)
    sentence = words.mean(1)
    regions = words.transpose(1, 2)  # each image's regions are its own words: a perfect match
    matched = L.matching_loss(regions, sentence, words, sentence)
    shuffled = L.matching_loss(regions.roll(1, 0), sentence.roll(1, 0), words, sentence)
    assert matched < shuffled
