"""Training loops of the image generators (GANimation; FESN with its LVSN): Adam 2e-4, tqdm progress, per-epoch
checkpoints with resume, per-epoch sample grids (PNG), SSIM per epoch, and data-parallel training under
``torchrun`` (WORLD_SIZE > 1: NCCL on GPUs, gloo on CPU; gradients are averaged across processes every step).
"""

from __future__ import annotations

import json
import math
import os
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from ..atomic import atomic_path, atomic_write
from ..checkpoint import load_checkpoint, save_checkpoint
from ..errors import ModelError
from ..render.gan import CHECKPOINT_LAYOUT
from ..render.gan import losses as L
from ..render.gan.fesn import FESN, LevelDiscriminator, level_sizes
from ..render.gan.ganimation import GANimationCritic, GANimationGenerator, compose
from ..render.gan.lvsn import VisualSemanticEncoder, lvsn_loss

__all__ = ["TrainConfig", "TrainResult", "train", "TextEncoder", "PAPER_MODELS", "TINY_MODELS"]

#: texts → (word features (B, T, D_w), sentence features (B, D_s), tokens per text)
TextEncoder = Callable[[list[str]], tuple]

#: Architecture sizes of the papers (GANimation 128², FESN 256²).
PAPER_MODELS = {
    "ganimation": {"generator": {"conv_dim": 64, "n_down": 2, "n_res": 6}, "critic": {"conv_dim": 64, "n_layers": 6}},
    "fesn": {"generator": {"code_dim": 512, "c_dim": 100, "base": 32, "ngf": 32, "n_res": 2},
             "discriminator": {"ndf": 32}, "lvsn": {"backbone": "resnet", "width": 32, "n_stages": 5}},
}
#: Small sizes for CPU smoke runs and tests (use with image_size 32).
TINY_MODELS = {
    "ganimation": {"generator": {"conv_dim": 8, "n_down": 2, "n_res": 1}, "critic": {"conv_dim": 8, "n_layers": 4}},
    "fesn": {"generator": {"code_dim": 32, "c_dim": 8, "base": 8, "ngf": 8, "n_res": 1},
             "discriminator": {"ndf": 8}, "lvsn": {"backbone": "convnet", "width": 8, "n_stages": 3}},
}


@dataclass
class TrainConfig:
    """What to train and how.

    kind : "ganimation" or "fesn"; image_size : crop side in pixels (128 / 256 in the papers)
    epochs, batch_size, lr (Adam, 2e-4), betas; n_critic : critic steps per generator step (GANimation)
    lvsn_epochs : pre-training epochs of the visual semantic encoder before the FESN (frozen afterwards)
    models : architecture sizes (see PAPER_MODELS); aus : AU order of the condition vectors
    sample_count : faces in each epoch's sample grid; seed : random seed
    """

    kind: str
    image_size: int = 128
    epochs: int = 30
    batch_size: int = 16
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    n_critic: int = 5
    lvsn_epochs: int = 10
    models: dict = field(default_factory=dict)
    aus: tuple[int, ...] = ()
    sample_count: int = 8
    seed: int = 0
    workers: int = 0

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
    gen_kwargs = {"image_size": cfg.image_size, "word_dim": word_dim, "sentence_dim": sentence_dim, **m["generator"]}
    return {"generator": FESN(**gen_kwargs),
            "discriminators": nn.ModuleList([LevelDiscriminator(s, sentence_dim, **m["discriminator"])
                                             for s in level_sizes(cfg.image_size)]),
            "lvsn": VisualSemanticEncoder(sentence_dim, **m["lvsn"])}, gen_kwargs


# ------------------------------------------------------------------ one step of each model

def _ganimation_step(mods: dict, opts: dict, batch: dict, it: int, cfg: TrainConfig, world: int) -> dict:
    G, D = mods["generator"], mods["critic"]
    w = L.GANIMATION_WEIGHTS
    src, tgt, ys, yt = batch["source"], batch["target"], batch["source_aus"], batch["target_aus"]
    with torch.no_grad():
        fake = G.edit(src, yt)
    real_patch, real_au = D(tgt)
    fake_patch, _ = D(fake)
    d_au = L.au_loss(real_au, yt)
    gp = L.gradient_penalty(lambda x: D(x)[0], tgt, fake)
    d_loss = L.wgan_critic_loss(real_patch, fake_patch) + w["gp"] * gp + w["au"] * d_au
    _step(opts["critic"], d_loss, world)
    out = {"d_loss": d_loss.item(), "d_au": d_au.item()}
    if it % cfg.n_critic == 0:
        color, att = G(src, yt)
        fake = compose(src, color, att)
        fake_patch, fake_au = D(fake)
        color2, att2 = G(fake, ys)
        rec = compose(fake, color2, att2)
        g_au, cyc = L.au_loss(fake_au, yt), L.cycle_loss(rec, src)
        g_loss = (L.wgan_generator_loss(fake_patch) + w["au"] * g_au + w["cycle"] * cyc
                  + L.attention_loss(att) + L.attention_loss(att2))
        _step(opts["generator"], g_loss, world)
        out.update(g_loss=g_loss.item(), g_au=g_au.item(), cycle=cyc.item())
    return out


def _pyramid(x: torch.Tensor, sizes: Sequence[int]) -> list[torch.Tensor]:
    return [x if s == x.shape[-1] else nn.functional.interpolate(x, size=(s, s), mode="bilinear",
                                                                  align_corners=False, antialias=True) for s in sizes]


def _fesn_step(mods: dict, opts: dict, batch: dict, it: int, cfg: TrainConfig, world: int) -> dict:
    G, Ds, V = mods["generator"], mods["discriminators"], mods["lvsn"]
    src, tgt = batch["source"], batch["target"]
    wt, st, mt = batch["target_words"], batch["target_sentence"], batch["target_mask"]
    sizes = level_sizes(cfg.image_size)
    srcs, tgts = _pyramid(src, sizes), _pyramid(tgt, sizes)
    out = G(src, wt, st, mt)
    fakes = out["images"]
    mismatch = src.shape[0] > 1
    d_loss = torch.zeros((), device=src.device)
    for D, real, ref, fake in zip(Ds, tgts, srcs, fakes):
        fr, ff, fref = D.features(real), D.features(fake.detach()), D.features(ref)
        d_loss = d_loss + L.bce_real(D.synthesis(fr)) + L.bce_fake(D.synthesis(ff))
        d_loss = d_loss + L.bce_real(D.face(fr, fref)) + L.bce_real(D.expression(fr, st))
        if mismatch:  # fakes and mismatched pairs share the "no" side (Eqs. 3–4)
            d_loss = d_loss + 0.5 * (L.bce_fake(D.face(ff, fref)) + L.bce_fake(D.face(fr, fref.roll(1, 0))))
            d_loss = d_loss + 0.5 * (L.bce_fake(D.expression(ff, st)) + L.bce_fake(D.expression(fr, st.roll(1, 0))))
        else:
            d_loss = d_loss + L.bce_fake(D.face(ff, fref)) + L.bce_fake(D.expression(ff, st))
    _step(opts["discriminators"], d_loss, world)

    adv = torch.zeros((), device=src.device)
    for D, ref, fake in zip(Ds, srcs, fakes):
        ff = D.features(fake)
        adv = adv + L.bce_real(D.synthesis(ff)) + L.bce_real(D.face(ff, D.features(ref).detach())) \
            + L.bce_real(D.expression(ff, st))
    same = G(src, batch["source_words"], batch["source_sentence"], batch["source_mask"])["images"][-1]
    identity = (same - src).abs().mean()
    reconstruction = sum((f - t).abs().mean() for f, t in zip(fakes, tgts)) / len(fakes)
    matching = lvsn_loss(V, fakes[-1], wt, st, mt) if src.shape[0] > 1 else torch.zeros((), device=src.device)
    kl = L.kl_loss(out["mu"], out["logvar"])
    g_loss = L.fesn_generator_loss(adv, identity, reconstruction, matching, kl)
    _step(opts["generator"], g_loss, world)
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "reconstruction": reconstruction.item(),
            "identity": identity.item(), "matching": matching.item()}


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
    from ..language.encoder import encode

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
    from PIL import Image

    rows = [nn.functional.interpolate(r, size=rows[0].shape[-2:], mode="nearest") if r.shape[-2:] != rows[0].shape[-2:]
            else r for r in rows]
    rows = [r.expand(-1, 3, -1, -1) for r in rows]
    grid = torch.cat([torch.cat(list(r), dim=2) for r in rows], dim=1)
    array = ((grid.clamp(-1, 1) + 1) * 127.5 + 0.5).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")


def _samples(mods: dict, batch: dict, cfg: TrainConfig, path: Path) -> float:
    """Write the sample grid (source / generated / target [/ attention]) and return the mean SSIM generated↔target."""
    from .metrics import ssim

    G = mods["generator"]
    G.eval()
    with torch.no_grad():
        if cfg.kind == "ganimation":
            color, att = G(batch["source"], batch["target_aus"])
            fake = compose(batch["source"], color, att)
            rows = [batch["source"], fake, batch["target"], att * 2 - 1]
        else:
            fake = G(batch["source"], batch["target_words"], batch["target_sentence"], batch["target_mask"])["images"][-1]
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
          resume: bool = True, progress: bool = True) -> TrainResult:
    """Train ``cfg.kind`` on ``dataset`` (a GANDataset or any dataset of its item dicts); write into ``out_dir``:

    - ``last.pt`` after every epoch (the generator checkpoint ``--weights`` takes; resumed from when present)
    - ``samples/epoch_NNN.png``: rows source, generated, target (and GANimation's attention mask)
    - ``history.jsonl``: per-epoch mean losses and SSIM of the sample faces

    The FESN first pre-trains its visual semantic encoder for ``cfg.lvsn_epochs`` with the language–visual
    matching loss, then freezes it. ``text_encoder`` defaults to facsynth.language.encoder.encode.
    Under torchrun (WORLD_SIZE > 1) every process trains on its shard and gradients are averaged.
    Returns the history and the trained modules (generator, critic or discriminators, lvsn).
    """
    from torch.utils.data import DataLoader, DistributedSampler
    from tqdm import tqdm

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
    opts = {k: torch.optim.Adam(m.parameters(), lr=cfg.lr, betas=cfg.betas) for k, m in mods.items()}
    history: list = []
    start, stage = 1, "lvsn" if cfg.kind == "fesn" and cfg.lvsn_epochs > 0 else "gan"
    if state is not None:
        for k, o in opts.items():
            o.load_state_dict(state["optimizers"][k])
        history, stage = state["history"], state["stage"]
        start = state["epoch"] + 1

    sampler = DistributedSampler(dataset, world, rank, shuffle=True, seed=cfg.seed) if world > 1 else None
    loader = DataLoader(dataset, batch_size=cfg.batch_size, shuffle=sampler is None, sampler=sampler,
                        collate_fn=_collate, num_workers=cfg.workers, drop_last=len(dataset) >= 2 * cfg.batch_size)
    fixed = _collate([dataset[i] for i in range(min(cfg.sample_count, len(dataset)))])

    def prepare(batch: dict) -> dict:
        if cfg.kind == "fesn":
            for side in ("source", "target"):
                w, s, m = _text_batch(batch[f"{side}_text"], cache, encoder)
                batch[f"{side}_words"], batch[f"{side}_sentence"], batch[f"{side}_mask"] = w, s, m
        return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}

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
        it = 0
        bar = tqdm(loader, desc=f"{cfg.kind} {stage} epoch {epoch}/{total}", disable=not progress or rank != 0,
                   leave=False)
        for batch in bar:
            batch = prepare(batch)
            it += 1
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
        record = {"epoch": epoch, "stage": stage, **{k: sums[k] / counts[k] for k in sums}}
        if rank == 0:
            if stage == "gan":
                record["ssim"] = _samples(mods, fixed, cfg, out_dir / "samples" / f"epoch_{epoch:03d}.png")
            history.append(record)
            _save(ckpt_path, mods, opts, cfg, gen_kwargs, epoch, stage, history)
            with atomic_write(out_dir / "history.jsonl") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in history)
            if progress:
                print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()))
        else:
            history.append(record)
    if rank == 0 and stage == "gan" and history and "fid" not in history[-1]:
        result, geometric = _evaluate(mods, dataset, cfg, prepare, device)
        history[-1].update(fid=result.value, fid_network=result.network, **geometric.as_dict())
        _save(ckpt_path, mods, opts, cfg, gen_kwargs, history[-1]["epoch"], stage, history)
        with atomic_write(out_dir / "metrics.json") as fh:
            json.dump({"fid": result.value, "fid_network": result.network, "fid_text": str(result),
                       "ssim": history[-1].get("ssim"), "geometric": geometric.as_dict(),
                       "epoch": history[-1]["epoch"]}, fh, indent=2)
        if progress:
            print(result)
            print(f"geometric checks on {geometric.checked} pairs (faces re-detected): AU MAE {geometric.au_mae} "
                  f"(active AUs {geometric.au_mae_active}), "
                  f"identity distance {geometric.identity}; {geometric.skipped} without a detectable face")
    if world > 1:
        dist.barrier()
    return TrainResult(history, mods)


def _evaluate(mods: dict, dataset, cfg: TrainConfig, prepare: Callable, device: torch.device, limit: int = 256,
              geometric_pairs: int = 16):
    """FID of generated vs. real target faces over up to ``limit`` items, with the network named in the result, and
    the photo issue's geometric checks (AUs re-read from landmarks, identity) on the first ``geometric_pairs``.

    The FESN is scored with its own frozen LVSN visual encoder; GANimation with a fixed random CNN.
    """
    from .metrics import fid, geometric_checks, random_cnn_features

    n = min(limit, len(dataset))
    G = mods["generator"].eval()
    fakes, reals = [], []
    with torch.no_grad():
        for i in range(0, n, cfg.batch_size):
            batch = prepare(_collate([dataset[j] for j in range(i, min(n, i + cfg.batch_size))]))
            if cfg.kind == "ganimation":
                fake = G.edit(batch["source"], batch["target_aus"])
            else:
                fake = G(batch["source"], batch["target_words"], batch["target_sentence"],
                         batch["target_mask"])["images"][-1]
            fakes.append(fake.cpu())
            reals.append(batch["target"].cpu())
    G.train()
    to_u8 = lambda t: ((torch.cat(t).clamp(-1, 1) + 1) * 127.5 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).numpy()  # noqa: E731
    if cfg.kind == "fesn":
        lvsn = mods["lvsn"].eval().cpu()
        features = lambda x: lvsn(x)[1]  # noqa: E731
        name = f"LVSN visual encoder ({cfg.models['lvsn']['backbone']}, trained by this run)"
    else:
        features, name = random_cnn_features()
    result = fid(to_u8(reals), to_u8(fakes), features, name)
    mods.get("lvsn", nn.Identity()).to(device)
    k = min(geometric_pairs, n)
    sources = to_u8([torch.stack([dataset[j]["source"] for j in range(k)])])
    targets = [dict(zip(cfg.aus, dataset[j]["target_aus"].tolist())) for j in range(k)]
    geometric = geometric_checks(sources, to_u8(fakes)[:k], targets)
    return result, geometric


def _pad_cat(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    t = max(a.shape[1], b.shape[1])
    pad = lambda x: nn.functional.pad(x, (0, 0, 0, t - x.shape[1]) if x.ndim == 3 else (0, t - x.shape[1]))  # noqa: E731
    return torch.cat([pad(a), pad(b)])
