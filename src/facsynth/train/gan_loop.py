"""Training loops of the image generators (GANimation; FESN with its LVSN): Adam 2e-4, tqdm progress, per-epoch
checkpoints with resume, per-epoch sample grids (PNG), per-epoch SSIM and FID on held-out subjects (computed on the
training device), bf16 autocast and channels_last on CUDA, and data-parallel training under ``torchrun``
(WORLD_SIZE > 1: NCCL on GPUs, gloo on CPU; gradients are averaged across processes every step).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.distributed as dist
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from ..atomic import atomic_path, atomic_write
from ..checkpoint import load_checkpoint, save_checkpoint
from ..errors import ModelError
from ..language.encoder import encode
from ..render.gan import CHECKPOINT_LAYOUT
from ..render.gan import losses as L
from ..render.gan.discriminators import FESNDiscriminators
from ..render.gan.fesn import FESN, level_sizes
from ..render.gan.ganimation import GANimationCritic, GANimationGenerator, compose
from ..render.gan.lvsn import VisualSemanticEncoder, lvsn_loss
from .metrics import FIDResult, frechet_distance, geometric_checks, random_cnn_features, ssim

__all__ = ["TrainConfig", "TrainResult", "train", "TextEncoder", "PAPER_MODELS", "TINY_MODELS"]

#: texts → (word features (B, T, D_w), sentence features (B, D_s), tokens per text)
TextEncoder = Callable[[list[str]], tuple]

#: Architecture sizes of the papers (GANimation 128², FESN 256²).
PAPER_MODELS = {
    "ganimation": {"generator": {"conv_dim": 64, "n_down": 2, "n_res": 6}, "critic": {"conv_dim": 64, "n_layers": 6}},
    "fesn": {"generator": {"code_dim": 512, "c_dim": 512, "base": 32, "ngf": 32, "n_res": 2},
             "discriminator": {"ndf": 32},
             "lvsn": {"backbone": "resnet", "width": 32, "n_stages": 5, "feature_dim": 512}},
}
#: Small sizes for CPU smoke runs and tests (use with image_size 32).
TINY_MODELS = {
    "ganimation": {"generator": {"conv_dim": 8, "n_down": 2, "n_res": 1}, "critic": {"conv_dim": 8, "n_layers": 4}},
    "fesn": {"generator": {"code_dim": 32, "c_dim": 16, "base": 8, "ngf": 8, "n_res": 1},
             "discriminator": {"ndf": 8}, "lvsn": {"backbone": "convnet", "width": 8, "n_stages": 3}},
}


@dataclass
class TrainConfig:
    """What to train and how.

    kind : "ganimation" or "fesn"; image_size : crop side in pixels (128 / 256 in the papers)
    epochs, batch_size, lr (Adam, 2e-4), betas; n_critic : critic steps per generator step (GANimation)
    lvsn_epochs, lvsn_lr : pre-training of the visual semantic encoder before the FESN (frozen afterwards);
        Hong et al. pre-train at 1e-5
    word_attention, matching : Hong et al.'s Table 1 ablations (False: no expressive word attention; no
        language–visual matching loss L_LVM in the generator's objective)
    lambdas : λ1, λ2, λ3 of Eq. 6 (adversarial, L_id, L1 reconstruction)
    models : architecture sizes (see PAPER_MODELS); aus : AU order of the condition vectors
    sample_count : faces in each epoch's sample grid; seed : random seed; workers : data-loading processes
    bf16, channels_last : bfloat16 autocast and channels-last memory; None = on with CUDA, off on CPU
    """

    kind: str
    image_size: int = 128
    epochs: int = 30
    batch_size: int = 16
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    n_critic: int = 5
    lvsn_epochs: int = 10
    lvsn_lr: float = 1e-5
    word_attention: bool = True
    matching: bool = True
    lambdas: tuple[float, float, float] = L.FESN_LAMBDAS
    models: dict = field(default_factory=dict)
    aus: tuple[int, ...] = ()
    sample_count: int = 8
    seed: int = 0
    workers: int = 0
    bf16: bool | None = None
    channels_last: bool | None = None

    def __post_init__(self) -> None:
        if self.kind not in PAPER_MODELS:
            raise ModelError(f"unknown generator {self.kind!r} (expected ganimation or fesn)")
        self.models = {**PAPER_MODELS[self.kind], **self.models}


@dataclass
class TrainResult:
    """What ``train`` returns: the per-epoch history (dicts of mean losses, SSIM, final FID) and the modules."""

    history: list[dict]
    modules: dict[str, nn.Module]


# ------------------------------------------------------------------ distributed helpers

def _setup_distributed() -> tuple[int, int, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    return rank, world, device


def _sync_params(modules: Sequence[nn.Module], world: int) -> None:
    if world > 1:
        for m in modules:
            for t in list(m.parameters()) + list(m.buffers()):
                dist.broadcast(t.data, 0)


def _average_grads(params: Sequence[torch.Tensor], world: int) -> None:
    """All-reduce the gradients of ``params`` in one flat buffer and divide by the number of processes."""
    if world == 1:
        return
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()


def _step(opt: torch.optim.Optimizer, loss: torch.Tensor, world: int) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    _average_grads([p for g in opt.param_groups for p in g["params"]], world)
    opt.step()


# ------------------------------------------------------------------ models

def _build(cfg: TrainConfig, text_dims: tuple[int, int] | None) -> tuple[dict, dict]:
    """→ (modules by name, generator constructor kwargs)."""
    m = cfg.models
    if cfg.kind == "ganimation":
        gen_kwargs = {"n_aus": len(cfg.aus), **m["generator"]}
        return {"generator": GANimationGenerator(**gen_kwargs),
                "critic": GANimationCritic(cfg.image_size, len(cfg.aus), **m["critic"])}, gen_kwargs
    word_dim, sentence_dim = text_dims
    gen_kwargs = {"image_size": cfg.image_size, "word_dim": word_dim, "attention": cfg.word_attention,
                  **m["generator"]}
    generator = FESN(**gen_kwargs)
    c_dim = generator.augment.fc.out_features // 2
    return {"generator": generator,
            "discriminators": FESNDiscriminators(cfg.image_size, c_dim, **m["discriminator"]),
            "lvsn": VisualSemanticEncoder(sentence_dim, **m["lvsn"])}, gen_kwargs


def _autocast(cfg: TrainConfig, device: torch.device):
    """bfloat16 autocast when ``cfg.bf16`` (default: on CUDA only)."""
    on = cfg.bf16 if cfg.bf16 is not None else device.type == "cuda"
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bool(on))


# ------------------------------------------------------------------ one step of each model

def _ganimation_step(mods: dict, opts: dict, batch: dict, it: int, cfg: TrainConfig, world: int) -> dict:
    G, D = mods["generator"], mods["critic"]
    w = L.GANIMATION_WEIGHTS
    src, tgt, ys, yt = batch["source"], batch["target"], batch["source_aus"], batch["target_aus"]
    with _autocast(cfg, src.device):
        with torch.no_grad():
            fake = G.edit(src, yt)
        real_patch, real_au = D(tgt)
        fake_patch, _ = D(fake)
        d_au = L.au_loss(real_au.float(), yt)
        gp = L.gradient_penalty(lambda x: D(x)[0].float(), tgt, fake)
        d_loss = L.wgan_critic_loss(real_patch.float(), fake_patch.float()) + w["gp"] * gp + w["au"] * d_au
    _step(opts["critic"], d_loss, world)
    out = {"d_loss": d_loss.item(), "d_au": d_au.item()}
    if it % cfg.n_critic == 0:
        with _autocast(cfg, src.device):
            color, att = G(src, yt)
            fake = compose(src, color, att)
            fake_patch, fake_au = D(fake)
            color2, att2 = G(fake, ys)
            rec = compose(fake, color2, att2)
            g_au, cyc = L.au_loss(fake_au.float(), yt), L.cycle_loss(rec.float(), src)
            g_loss = (L.wgan_generator_loss(fake_patch.float()) + w["au"] * g_au + w["cycle"] * cyc
                      + L.attention_loss(att.float()) + L.attention_loss(att2.float()))
        _step(opts["generator"], g_loss, world)
        out.update(g_loss=g_loss.item(), g_au=g_au.item(), cycle=cyc.item())
    return out


def _pyramid(x: torch.Tensor, sizes: Sequence[int]) -> list[torch.Tensor]:
    return [x if s == x.shape[-1] else nn.functional.interpolate(x, size=(s, s), mode="bilinear",
                                                                  align_corners=False, antialias=True) for s in sizes]


def _fesn_step(mods: dict, opts: dict, batch: dict, it: int, cfg: TrainConfig, world: int) -> dict:
    """One discriminator and one generator step of Hong et al.'s objective.

    Discriminators: L_D,total = L_syn + Σ_{n=1,2} (L_FV^n + L_EV^n) (Eqs. 2–4), conditioned on ŵ_N (held fixed).
    Generator: Eq. 6 with λ = cfg.lambdas over the three levels, where L_adv^m (Eq. 5) comes from D_FV^m at levels
    1–2 (plus D_EV^m, see docs/papers.md) and the synthesis discriminator at level 3; plus conditioning
    augmentation's KL term and, unless ablated, L_LVM of the frozen LVSN on the final image.
    """
    G, D, V = mods["generator"], mods["discriminators"], mods["lvsn"]
    src, tgt = batch["source"], batch["target"]
    wt, st, mt = batch["target_words"], batch["target_sentence"], batch["target_mask"]
    sizes = level_sizes(cfg.image_size)
    srcs, tgts = _pyramid(src, sizes), _pyramid(tgt, sizes)
    with _autocast(cfg, src.device):
        out = G(src, wt, mt)
        fakes, cond = out["images"], out["mu"].detach()
        reals = D.scores(tgts, srcs, cond)
        fake_scores = D.scores([f.detach() for f in fakes], srcs, cond)
        d_loss = sum(L.discriminator_pair_loss((r[0].float(), r[1].float()), (f[0].float(), f[1].float()))
                     for r, f in zip(reals, fake_scores))
    _step(opts["discriminators"], d_loss, world)

    with _autocast(cfg, src.device):
        adv = sum(L.adversarial_loss((u.float(), c.float())) for u, c in D.scores(fakes, srcs, cond))
        identity = sum(L.identity_loss(G.face_features(f).float(), G.face_features(t).detach().float())
                       for f, t in zip(fakes, tgts))
        reconstruction = sum((f.float() - t).abs().mean() for f, t in zip(fakes, tgts))
        g_loss = L.fesn_generator_loss(adv, identity, reconstruction, cfg.lambdas) + L.kl_loss(out["mu"].float(),
                                                                                            out["logvar"].float())
        matching = torch.zeros((), device=src.device)
        if cfg.matching and src.shape[0] > 1:  # the batch softmax of L_LVM needs two texts
            matching = lvsn_loss(V, fakes[-1], wt, st, mt).float()
            g_loss = g_loss + matching
    _step(opts["generator"], g_loss, world)
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "adversarial": adv.item(),
            "reconstruction": reconstruction.item() / 3, "identity": identity.item(), "matching": matching.item()}


# ------------------------------------------------------------------ text features

def _text_batch(texts: list[str], cache: dict, encoder: TextEncoder) -> tuple[torch.Tensor, ...]:
    missing = sorted(set(t for t in texts if t not in cache))
    if missing:
        with torch.no_grad():
            words, sentences, tokens = encoder(missing)
        words, sentences = torch.as_tensor(words, dtype=torch.float32), torch.as_tensor(sentences, dtype=torch.float32)
        for i, t in enumerate(missing):
            n = max(1, min(len(tokens[i]), words.shape[1])) if tokens is not None else words.shape[1]
            cache[t] = (words[i, :n], sentences[i])
    t_max = max(cache[t][0].shape[0] for t in texts)
    words = torch.zeros(len(texts), t_max, cache[texts[0]][0].shape[1])
    mask = torch.zeros(len(texts), t_max, dtype=torch.bool)
    for i, t in enumerate(texts):
        w = cache[t][0]
        words[i, :len(w)], mask[i, :len(w)] = w, True
    return words, torch.stack([cache[t][1] for t in texts]), mask


def _default_text_encoder(texts: list[str]):
    return encode(texts)


# ------------------------------------------------------------------ checkpoints, samples

def _save(path: Path, mods: dict, opts: dict, cfg: TrainConfig, gen_kwargs: dict, epoch: int, stage: str,
          history: list) -> None:
    state = {"kind": cfg.kind, "image_size": cfg.image_size, "aus": list(cfg.aus),
             "model": gen_kwargs, "config": asdict(cfg), "epoch": epoch, "stage": stage, "history": history,
             "generator": mods["generator"].state_dict(),
             "modules": {k: m.state_dict() for k, m in mods.items()},
             "optimizers": {k: o.state_dict() for k, o in opts.items()}}
    save_checkpoint(path, state, CHECKPOINT_LAYOUT)


def _grid(rows: list[torch.Tensor], path: Path) -> None:
    """Save rows of (N, 3, S, S) images in [-1, 1] as one PNG (rows top to bottom)."""
    rows = [nn.functional.interpolate(r, size=rows[0].shape[-2:], mode="nearest") if r.shape[-2:] != rows[0].shape[-2:]
            else r for r in rows]
    rows = [r.expand(-1, 3, -1, -1) for r in rows]
    grid = torch.cat([torch.cat(list(r), dim=2) for r in rows], dim=1)
    array = ((grid.clamp(-1, 1) + 1) * 127.5 + 0.5).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")


def _samples(mods: dict, batch: dict, cfg: TrainConfig, path: Path) -> float:
    """Write the sample grid (source / generated / target [/ attention]) and return the mean SSIM generated↔target."""
    G = mods["generator"]
    G.eval()
    with torch.no_grad():
        if cfg.kind == "ganimation":
            color, att = G(batch["source"], batch["target_aus"])
            fake = compose(batch["source"], color, att)
            rows = [batch["source"], fake, batch["target"], att * 2 - 1]
        else:
            fake = G(batch["source"], batch["target_words"], batch["target_mask"])["images"][-1]
            rows = [batch["source"], fake, batch["target"]]
    G.train()
    _grid(rows, path)
    to_np = lambda t: ((t.clamp(-1, 1) + 1) * 127.5).permute(0, 2, 3, 1).cpu().numpy()  # noqa: E731
    return float(np.mean([ssim(a, b) for a, b in zip(to_np(fake), to_np(batch["target"]))]))


def _collate(items: list[dict]) -> dict:
    out = {}
    for k in items[0]:
        v = [it[k] for it in items]
        out[k] = torch.stack(v) if isinstance(v[0], torch.Tensor) else v
    return out


# ------------------------------------------------------------------ the loop

def train(dataset, out_dir: str | Path, cfg: TrainConfig, text_encoder: TextEncoder | None = None,
          resume: bool = True, progress: bool = True, eval_dataset=None) -> TrainResult:
    """Train ``cfg.kind`` on ``dataset`` (a GANDataset or any dataset of its item dicts); write into ``out_dir``:

    - ``last.pt`` after every epoch (the generator checkpoint ``--weights`` takes; resumed from when present)
    - ``samples/epoch_NNN.png``: rows source, generated, target (and GANimation's attention mask), of held-out
      faces when there are any
    - ``history.jsonl``: per-epoch mean losses, SSIM of the sample faces and, with ``eval_dataset`` (the held-out
      subjects), their FID and mean SSIM; the epoch's training ``seconds`` (the steps and their data loading, not
      samples, evaluation or checkpoint), the ``faces`` (pairs) this process trained on, and on CUDA
      ``gpu_peak_gib``, the peak GPU memory allocated so far (torch.cuda.max_memory_allocated, GiB)
    - ``metrics.json``: the final held-out scores and the geometric checks (nothing is scored on training faces)

    The FESN first pre-trains its visual semantic encoder for ``cfg.lvsn_epochs`` with the language–visual
    matching loss, then freezes it. ``text_encoder`` defaults to facsynth.language.encoder.encode.
    Under torchrun (WORLD_SIZE > 1) every process trains on its shard and gradients are averaged.
    Returns the history and the trained modules (generator, critic or discriminators, lvsn).
    """
    rank, world, device = _setup_distributed()
    out_dir = Path(out_dir)
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    if not cfg.aus:
        cfg.aus = tuple(getattr(dataset, "aus", ()))
    encoder = text_encoder or _default_text_encoder
    cache: dict = {}
    text_dims = None
    if cfg.kind == "fesn":
        w, s, _ = _text_batch([dataset[0]["target_text"]], cache, encoder)
        text_dims = (w.shape[-1], s.shape[-1])
    mods, gen_kwargs = _build(cfg, text_dims)
    ckpt_path = out_dir / "last.pt"
    if resume and ckpt_path.is_file():
        state = load_checkpoint(ckpt_path, CHECKPOINT_LAYOUT, "generator")
        if state.get("kind") != cfg.kind or state.get("model") != gen_kwargs:
            raise ModelError(f"{ckpt_path} was trained with other settings; use a new output folder or --no-resume")
        for k, m in mods.items():
            m.load_state_dict(state["modules"][k])
    else:
        state = None
    for m in mods.values():
        m.to(device)
    _sync_params(list(mods.values()), world)
    channels_last = cfg.channels_last if cfg.channels_last is not None else device.type == "cuda"
    if channels_last:
        for m in mods.values():
            m.to(memory_format=torch.channels_last)
    opts = {k: torch.optim.Adam(m.parameters(), lr=cfg.lvsn_lr if k == "lvsn" else cfg.lr, betas=cfg.betas)
            for k, m in mods.items()}
    history: list = []
    start, stage = 1, "lvsn" if cfg.kind == "fesn" and cfg.lvsn_epochs > 0 else "gan"
    if state is not None:
        for k, o in opts.items():
            o.load_state_dict(state["optimizers"][k])
        history, stage = state["history"], state["stage"]
        start = state["epoch"] + 1

    sampler = DistributedSampler(dataset, world, rank, shuffle=True, seed=cfg.seed) if world > 1 else None
    loader = DataLoader(dataset, batch_size=cfg.batch_size, shuffle=sampler is None, sampler=sampler,
                        collate_fn=_collate, num_workers=cfg.workers, drop_last=len(dataset) >= 2 * cfg.batch_size,
                        persistent_workers=cfg.workers > 0, pin_memory=device.type == "cuda")
    shown = eval_dataset if eval_dataset is not None and len(eval_dataset) else dataset
    fixed = _collate([shown[i] for i in range(min(cfg.sample_count, len(shown)))])

    def prepare(batch: dict) -> dict:
        if cfg.kind == "fesn":
            for side in ("source", "target"):
                w, s, m = _text_batch(batch[f"{side}_text"], cache, encoder)
                batch[f"{side}_words"], batch[f"{side}_sentence"], batch[f"{side}_mask"] = w, s, m
        out = {}
        for k, v in batch.items():
            if isinstance(v, torch.Tensor):
                v = v.to(device, non_blocking=True)
                if channels_last and v.ndim == 4:
                    v = v.contiguous(memory_format=torch.channels_last)
            out[k] = v
        return out

    fixed = prepare(fixed)
    total = (cfg.lvsn_epochs if cfg.kind == "fesn" else 0) + cfg.epochs
    for epoch in range(start, total + 1):
        if stage == "lvsn" and epoch > cfg.lvsn_epochs:
            stage = "gan"
        if sampler is not None:
            sampler.set_epoch(epoch)
        if stage == "gan" and cfg.kind == "fesn":
            mods["lvsn"].eval().requires_grad_(False)
        sums: dict[str, float] = {}
        counts: dict[str, int] = {}
        it = faces = 0
        started = time.perf_counter()
        bar = tqdm(loader, desc=f"{cfg.kind} {stage} epoch {epoch}/{total}", disable=not progress or rank != 0,
                   leave=False)
        for batch in bar:
            batch = prepare(batch)
            it += 1
            faces += batch["source"].shape[0]
            if stage == "lvsn":
                imgs = torch.cat([batch["target"], batch["source"]])
                words = _pad_cat(batch["target_words"], batch["source_words"])
                masks = _pad_cat(batch["target_mask"], batch["source_mask"])
                loss = lvsn_loss(mods["lvsn"], imgs, words, torch.cat([batch["target_sentence"],
                                                                        batch["source_sentence"]]), masks)
                _step(opts["lvsn"], loss, world)
                logs = {"lvsn": loss.item()}
            elif cfg.kind == "ganimation":
                logs = _ganimation_step(mods, opts, batch, it, cfg, world)
            else:
                logs = _fesn_step(mods, opts, batch, it, cfg, world)
            for k, v in logs.items():
                if not math.isfinite(v):
                    raise ModelError(f"training diverged: {k} = {v} in epoch {epoch}")
                sums[k] = sums.get(k, 0.0) + v
                counts[k] = counts.get(k, 0) + 1
            bar.set_postfix({k: f"{v:.3g}" for k, v in logs.items()})
        record = {"epoch": epoch, "stage": stage, **{k: sums[k] / counts[k] for k in sums},
                  "seconds": time.perf_counter() - started, "faces": faces}
        if device.type == "cuda":
            record["gpu_peak_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
        if rank == 0:
            if stage == "gan":
                record["ssim"] = _samples(mods, fixed, cfg, out_dir / "samples" / f"epoch_{epoch:03d}.png")
                if eval_dataset is not None and len(eval_dataset) >= 2:
                    result, heldout_ssim, _ = _evaluate(mods, eval_dataset, cfg, prepare, device)
                    record.update(fid=result.value, fid_network=result.network, heldout_ssim=heldout_ssim)
            history.append(record)
            _save(ckpt_path, mods, opts, cfg, gen_kwargs, epoch, stage, history)
            with atomic_write(out_dir / "history.jsonl") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in history)
            if progress:
                print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()))
        else:
            history.append(record)
    held_out = len(eval_dataset) if eval_dataset is not None else 0
    if rank == 0 and stage == "gan" and history and held_out and "geometric" not in history[-1]:
        result, heldout_ssim, fakes = _evaluate(mods, eval_dataset, cfg, prepare, device)
        geometric = _geometric(eval_dataset, fakes, cfg)
        history[-1]["geometric"] = geometric.as_dict()
        _save(ckpt_path, mods, opts, cfg, gen_kwargs, history[-1]["epoch"], stage, history)
        with atomic_write(out_dir / "metrics.json") as fh:
            json.dump({"held_out_pairs": held_out, "fid": result.value if result else None,
                       "fid_network": result.network if result else None, "fid_text": str(result) if result else None,
                       "ssim": heldout_ssim, "geometric": geometric.as_dict(), "epoch": history[-1]["epoch"]},
                      fh, indent=2)
        if progress:
            print(f"held-out subjects, {held_out} pairs: SSIM {heldout_ssim:.3f}; {result or 'FID needs 2 pairs'}")
            print(f"geometric checks on {geometric.checked} pairs (faces re-detected): AU MAE {geometric.au_mae} "
                  f"(active AUs {geometric.au_mae_active}), "
                  f"identity distance {geometric.identity}; {geometric.skipped} without a detectable face")
    elif rank == 0 and progress and stage == "gan" and not held_out:
        print("no held-out subjects: nothing scored (FID, SSIM) on unseen faces")
    if world > 1:
        dist.barrier()
    return TrainResult(history, mods)


def _u8(images: torch.Tensor) -> np.ndarray:
    """(B, 3, S, S) in [-1, 1] → (B, S, S, 3) uint8."""
    return ((images.float().clamp(-1, 1) + 1) * 127.5 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def _evaluate(mods: dict, dataset, cfg: TrainConfig, prepare: Callable, device: torch.device, limit: int = 256):
    """Score generated against real target faces of ``dataset`` (the held-out subjects), up to ``limit`` pairs.

    The feature network runs on the training device: the FESN's frozen LVSN visual encoder (its 512-d f_s at the
    paper's sizes), GANimation's fixed random CNN. Returns (FIDResult or None below 2 pairs, mean SSIM,
    generated faces (n, S, S, 3) uint8).
    """
    n = min(limit, len(dataset))
    G = mods["generator"].eval()
    if cfg.kind == "fesn":
        lvsn = mods["lvsn"].eval()
        features = lambda x: lvsn.features(x)[1]  # noqa: E731
        name = f"LVSN visual encoder ({cfg.models['lvsn']['backbone']}, trained by this run)"
    else:
        net, name = random_cnn_features()
        features = net.to(device)
    real_f, fake_f, fakes, scores = [], [], [], []
    with torch.no_grad(), _autocast(cfg, device):
        for i in range(0, n, cfg.batch_size):
            batch = prepare(_collate([dataset[j] for j in range(i, min(n, i + cfg.batch_size))]))
            if cfg.kind == "ganimation":
                fake = G.edit(batch["source"], batch["target_aus"])
            else:
                fake = G(batch["source"], batch["target_words"], batch["target_mask"])["images"][-1]
            fake = fake.float().clamp(-1, 1)
            real_f.append(features(batch["target"]).float().flatten(1).cpu())
            fake_f.append(features(fake).float().flatten(1).cpu())
            made, real = _u8(fake), _u8(batch["target"])
            scores += [ssim(a, b) for a, b in zip(made, real)]
            fakes.append(made)
    G.train()
    result = None
    if n >= 2:
        value = frechet_distance(torch.cat(real_f).double().numpy(), torch.cat(fake_f).double().numpy())
        result = FIDResult(value, name, n, n)
    return result, float(np.mean(scores)), np.concatenate(fakes)


def _geometric(dataset, fakes: np.ndarray, cfg: TrainConfig, pairs: int = 16):
    """The photo issue's geometric checks (AUs re-read from landmarks, identity) on the first ``pairs`` held-out
    pairs and their generated faces."""
    k = min(pairs, len(fakes))
    sources = _u8(torch.stack([dataset[j]["source"] for j in range(k)]))
    targets = [dict(zip(cfg.aus, dataset[j]["target_aus"].tolist())) for j in range(k)]
    return geometric_checks(sources, fakes[:k], targets)


def _pad_cat(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    t = max(a.shape[1], b.shape[1])
    pad = lambda x: nn.functional.pad(x, (0, 0, 0, t - x.shape[1]) if x.ndim == 3 else (0, t - x.shape[1]))  # noqa: E731
    return torch.cat([pad(a), pad(b)])
