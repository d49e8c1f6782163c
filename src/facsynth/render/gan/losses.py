"""Losses of the image generators: WGAN-GP, AU regression, cycle, attention smoothness (GANimation); for Hong et
al.'s FESN the discriminator losses (Eqs. 2–4), the adversarial loss (Eq. 5), the generator objective (Eq. 6) with
the paper's λ1 = 1, λ2 = 5, λ3 = 0.005, conditioning augmentation's KL term and the language–visual matching loss
L_LVM (AttnGAN's DAMSM similarity, word and sentence level).

Images are tensors in [-1, 1]; AU vectors are FACS intensities 0–5 and compared after division by 5.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

__all__ = [
    "gradient_penalty",
    "wgan_critic_loss",
    "wgan_generator_loss",
    "au_loss",
    "cycle_loss",
    "attention_loss",
    "GANIMATION_WEIGHTS",
    "bce_real",
    "bce_fake",
    "kl_loss",
    "discriminator_pair_loss",
    "adversarial_loss",
    "identity_loss",
    "fesn_generator_loss",
    "FESN_LAMBDAS",
    "sentence_matching_loss",
    "word_matching_loss",
    "matching_loss",
]

#: GANimation's weights: gradient penalty, attention saturation, attention total variation, AU, cycle.
GANIMATION_WEIGHTS = {"gp": 10.0, "attention": 0.1, "tv": 1e-4, "au": 4000.0, "cycle": 10.0}
#: FESN Eq. 6 (Sec. 3.2): λ1 on the adversarial loss, λ2 on L_id, λ3 on the L1 reconstruction.
FESN_LAMBDAS = (1.0, 5.0, 0.005)


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP term E[(‖∇D(x̂)‖₂ − 1)²] on random interpolates x̂ of ``real`` and ``fake`` (B, 3, S, S).

    ``critic`` maps images to realism scores of any shape; the graph is kept so the penalty trains the critic.
    """
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    score = critic(mixed)
    (grad,) = torch.autograd.grad(score.sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1.0) ** 2).mean()


def wgan_critic_loss(real_score: torch.Tensor, fake_score: torch.Tensor) -> torch.Tensor:
    """Wasserstein critic loss E[D(fake)] − E[D(real)] (to minimise)."""
    return fake_score.mean() - real_score.mean()


def wgan_generator_loss(fake_score: torch.Tensor) -> torch.Tensor:
    """Wasserstein generator loss −E[D(G(I, y))]."""
    return -fake_score.mean()


def au_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared AU error (B, n_aus), FACS 0–5, computed on the 0–1 scale the networks use."""
    return F.mse_loss(predicted / 5.0, target / 5.0)


def cycle_loss(reconstructed: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """L1 between G(G(I, y_target), y_source) and I."""
    return (reconstructed - original).abs().mean()


def attention_loss(attention: torch.Tensor, tv_weight: float = GANIMATION_WEIGHTS["tv"],
                   saturation_weight: float = GANIMATION_WEIGHTS["attention"]) -> torch.Tensor:
    """Attention smoothness and saturation: λ_TV·TV(A) + λ_A·E[A] for A (B, 1, S, S) in [0, 1].

    The saturation term stops A from reaching 1 everywhere (which would copy the input unchanged).
    """
    tv = ((attention[:, :, 1:, :] - attention[:, :, :-1, :]) ** 2).mean() + \
        ((attention[:, :, :, 1:] - attention[:, :, :, :-1]) ** 2).mean()
    return tv_weight * tv + saturation_weight * attention.mean()


# ------------------------------------------------------------------ FESN

def bce_real(logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating GAN loss for logits that should say "real"."""
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


def bce_fake(logits: torch.Tensor) -> torch.Tensor:
    """GAN loss for logits that should say "fake" (or "mismatched")."""
    return F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))


def kl_loss(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) of conditioning augmentation, averaged over the batch and dimensions."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).mean()


def discriminator_pair_loss(real: tuple[torch.Tensor, torch.Tensor],
                            fake: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Eqs. 2 and 3: −½{log D(real) + log(1 − D(fake))} − ½{log D(real; ŵ_N) + log(1 − D(fake; ŵ_N))}, from the
    (unconditional, conditional) logits of a real and a generated image (B,) each."""
    return 0.5 * (bce_real(real[0]) + bce_fake(fake[0])) + 0.5 * (bce_real(real[1]) + bce_fake(fake[1]))


def adversarial_loss(fake: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Eq. 5: −½{log D(I_s) + log D(I_s; ŵ_N)} from the (unconditional, conditional) logits of a generated image."""
    return 0.5 * (bce_real(fake[0]) + bce_real(fake[1]))


def identity_loss(generated_features: torch.Tensor, target_features: torch.Tensor) -> torch.Tensor:
    """L_id: mean squared (L2) distance of the facial feature encoder's features of I_s and I_t."""
    return F.mse_loss(generated_features, target_features)


def fesn_generator_loss(adversarial: torch.Tensor, identity: torch.Tensor, reconstruction: torch.Tensor,
                        lambdas: tuple[float, float, float] = FESN_LAMBDAS) -> torch.Tensor:
    """Eq. 6: L_G,total = Σ_m (λ1·L_adv^m + λ2·L_id^m + λ3·L_recon^m), each argument already summed over the
    levels m = 1, 2, 3: ``adversarial`` (Eq. 5), ``identity`` (``identity_loss``) and ``reconstruction``
    (L1 between I_t^m and I_s^m)."""
    l1, l2, l3 = lambdas
    return l1 * adversarial + l2 * identity + l3 * reconstruction


def _cosine_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).transpose(-1, -2)


def sentence_matching_loss(image_global: torch.Tensor, sentence: torch.Tensor, gamma3: float = 10.0) -> torch.Tensor:
    """Sentence-level matching: softmax over the batch of γ3·cos(image_i, sentence_j), both directions.

    image_global (B, D), sentence (B, D); the matching pairs are on the diagonal.
    """
    logits = gamma3 * _cosine_matrix(image_global, sentence)
    labels = torch.arange(logits.shape[0], device=logits.device)
    return F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)


def word_matching_loss(image_local: torch.Tensor, words: torch.Tensor, mask: torch.Tensor | None = None,
                       gamma1: float = 5.0, gamma2: float = 5.0, gamma3: float = 10.0) -> torch.Tensor:
    """Word-level matching: each word attends over the image regions; the region context is compared with the word.

    image_local (B, D, N) region features, words (B, T, D), mask (B, T) bool (True for real words).
    R(Q_i, D_j) = log(Σ_t exp(γ2·cos(c_t, e_t)))^(1/γ2), then a batch softmax with γ3, both directions.
    """
    b, t, _ = words.shape
    if mask is None:
        mask = torch.ones(b, t, dtype=torch.bool, device=words.device)
    regions = image_local.transpose(1, 2)  # (B, N, D)
    # scores[i, j, t, n]: word t of text j against region n of image i
    scores = torch.einsum("jtd,ind->ijtn", words, regions)
    scores = scores.masked_fill(~mask[None, :, :, None], float("-inf")).softmax(dim=2)  # normalise over words
    attn = (gamma1 * scores).softmax(dim=3)  # then over regions; padded words drop out below
    context = torch.einsum("ijtn,ind->ijtd", attn, regions)
    cos = F.cosine_similarity(context, words[None].expand_as(context), dim=-1)  # (B_img, B_txt, T)
    cos = (gamma2 * cos).masked_fill(~mask[None], float("-inf"))
    sim = torch.logsumexp(cos, dim=2) / gamma2  # (B_img, B_txt)
    logits = gamma3 * sim
    labels = torch.arange(b, device=words.device)
    return F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)


def matching_loss(image_local: torch.Tensor, image_global: torch.Tensor, words: torch.Tensor,
                  sentence: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """The LVSN language–visual matching loss: word-level plus sentence-level (see the two functions above)."""
    return word_matching_loss(image_local, words, mask) + sentence_matching_loss(image_global, sentence)
