"""Training the generators on tiny data made here: overfitting, checkpoints and resume, apply_generator,
two-process data-parallel training (gloo on CPU), and the ``facsynth train`` command (run in-process)."""

from __future__ import annotations


import hashlib
import json
import os
import socket

import numpy as np
import pytest
import torch

from facsynth.checkpoint import load_checkpoint
from facsynth.errors import ModelError
from facsynth.render.gan import CHECKPOINT_LAYOUT, apply_generator, load_generator
from facsynth.train.gan_data import GANDataset, openface_pairs
from facsynth.train.gan_loop import TINY_MODELS, TrainConfig, train
from gan_helpers import describe, encode, face, openface_folder


def _late(history: list[dict], key: str, n: int = 5) -> float:
    """Mean of ``key`` over the last ``n`` epochs of ``history`` (one epoch's value is noisy)."""
    return float(np.mean([h[key] for h in history[-n:]]))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = openface_folder(tmp_path_factory.mktemp("faces"), size=32, subjects=2, per_subject=3)
    return GANDataset(openface_pairs(root), 32, crop="none", describe=describe)


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    """A third subject, never trained on: FID and SSIM are scored on it only."""
    root = openface_folder(tmp_path_factory.mktemp("held_out"), size=32, subjects=3, per_subject=3)
    return GANDataset([p for p in openface_pairs(root) if p.subject == "subject2"], 32, crop="none",
                      describe=describe)


@pytest.fixture(scope="module")
def ganimation_run(dataset, held_out, tmp_path_factory, train_seed):
    out = tmp_path_factory.mktemp("ganimation")
    cfg = TrainConfig("ganimation", image_size=32, epochs=60, batch_size=4, n_critic=1, models=TINY_MODELS["ganimation"],
                      seed=train_seed)
    return out, cfg, train(dataset, out, cfg, progress=False, eval_dataset=held_out).history


def test_ganimation_overfits_tiny_data(ganimation_run, held_out):
    out, _, history = ganimation_run
    first, last = history[0], history[-1]
    # epoch 1 is the untrained baseline; seeds 0 and 1 ended 70-1000x lower, so /5 leaves a wide margin
    for key in ("d_au", "g_au"):  # the critic learns the AUs of the real faces, the generator to show them to it
        assert _late(history, key) < first[key] / 5, [h[key] for h in history]
    assert (out / "samples" / "epoch_060.png").is_file() and (out / "history.jsonl").is_file()
    # every epoch says how long its steps took and how many faces it trained on (throughput); no GPU memory on CPU
    assert all(h["faces"] == 4 and h["seconds"] > 0 and "gpu_peak_gib" not in h for h in history)
    assert "random CNN" in last["fid_network"] and np.isfinite(last["fid"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["held_out_pairs"] == len(held_out) == 2 and metrics["fid"] == pytest.approx(last["fid"])
    geometric = metrics["geometric"]
    assert geometric["checked"] + geometric["skipped_no_face"] == len(held_out)  # drawn 32² faces: counted, no crash


def test_fesn_overfits_tiny_data(dataset, held_out, tmp_path, train_seed):
    cfg = TrainConfig("fesn", image_size=32, epochs=50, lvsn_epochs=5, lvsn_lr=1e-3, batch_size=4, lr=1e-3,
                      models=TINY_MODELS["fesn"], seed=train_seed)
    history = train(dataset, tmp_path, cfg, text_encoder=encode, progress=False, eval_dataset=held_out).history
    lvsn = [h for h in history if h["stage"] == "lvsn"]
    gan = [h for h in history if h["stage"] == "gan"]
    assert len(lvsn) == 5 and len(gan) == 50
    # epoch 1 is the untrained baseline; one epoch's figure varies, so the last 5 are averaged. L_id (Eq. 6, λ2 = 5,
    # the strongest weight) is what the generator learns first: seeds 0-2 end at 0.16-0.22 of epoch 1 (the old /2
    # on the pixel loss failed on another CPU); the L1 pixel loss (λ3 = 0.005) only drifts down (0.62-0.69) and the
    # matching loss of the LVSN pre-training to 0.53-0.71, so those two are held to a loose bound.
    assert _late(gan, "identity") < 0.5 * gan[0]["identity"], [h["identity"] for h in gan]
    assert _late(gan, "reconstruction") < 0.9 * gan[0]["reconstruction"], [h["reconstruction"] for h in gan]
    assert lvsn[-1]["lvsn"] < 0.9 * lvsn[0]["lvsn"], [h["lvsn"] for h in lvsn]
    assert "LVSN visual encoder" in gan[-1]["fid_network"]
    model, meta = load_generator(tmp_path / "last.pt", "fesn")
    words, sentence, _ = encode([describe({12: 3.0})])
    image = np.zeros((48, 48, 3), np.uint8)
    image[8:40, 8:40] = face(32)
    edited = apply_generator(image, {}, "fesn", tmp_path / "last.pt", words, sentence, box=(24, 24, 32, 0.0))
    assert edited.shape == image.shape and not np.array_equal(edited[12:36, 12:36], image[12:36, 12:36])
    with pytest.raises(ModelError, match="word and sentence"):
        apply_generator(image, {}, "fesn", tmp_path / "last.pt", box=(24, 24, 32, 0.0))


def test_checkpoint_resume_round_trip(ganimation_run, dataset):
    out, cfg, history = ganimation_run
    state = load_checkpoint(out / "last.pt", CHECKPOINT_LAYOUT, "generator")  # plain tensors: weights_only reads it
    assert state["epoch"] == 60 and state["kind"] == "ganimation" and state["aus"] == list(dataset.aus)
    model, meta = load_generator(out / "last.pt", "ganimation")
    for k, v in model.state_dict().items():
        assert torch.equal(v, state["generator"][k])
    # resuming with the same number of epochs trains nothing and keeps the history
    again = train(dataset, out, cfg, progress=False).history
    assert again == history
    # resuming with more epochs continues from epoch 61 with the saved weights and optimiser state
    more = TrainConfig(**{**cfg.__dict__, "epochs": 61})
    resumed = train(dataset, out, more, progress=False).history
    assert [h["epoch"] for h in resumed] == list(range(1, 62)) and resumed[:60] == history
    assert resumed[-1]["g_au"] < history[0]["g_au"] / 5  # not restarted from scratch
    with pytest.raises(ModelError, match="other settings"):
        train(dataset, out, TrainConfig(**{**cfg.__dict__, "models": TINY_MODELS["ganimation"] | {
            "generator": {"conv_dim": 4, "n_down": 2, "n_res": 1}}}), progress=False)


def test_apply_generator_pastes_the_face_back(ganimation_run):
    out = ganimation_run[0] / "last.pt"
    image = np.full((64, 80, 3), 90, np.uint8)
    image[16:48, 24:56] = face(32)
    box = (40.0, 32.0, 32.0, 0.0)
    edited = apply_generator(image, {12: 4.0, 6: 2.0}, "ganimation", out, box=box)
    assert edited.shape == image.shape and edited.dtype == np.uint8
    assert np.array_equal(edited[:, :20], image[:, :20]) and np.array_equal(edited[:12], image[:12])
    assert np.abs(edited[20:44, 28:52].astype(int) - image[20:44, 28:52]).mean() > 1.0
    with pytest.raises(ModelError, match="not fesn"):
        apply_generator(image, {}, "fesn", out, box=box)
    with pytest.raises(ModelError, match="AU27"):
        apply_generator(image, {27: 2.0}, "ganimation", out, box=box)
    with pytest.raises(ModelError, match="do not exist"):
        apply_generator(image, {}, "ganimation", out.with_name("missing.pt"), box=box)


def _ddp_worker(rank: int, port: int, root: str, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE="2", RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    import torch.distributed as dist

    ds = GANDataset(openface_pairs(root), 32, crop="none", describe=describe)
    cfg = TrainConfig("ganimation", image_size=32, epochs=2, batch_size=2, n_critic=1, models=TINY_MODELS["ganimation"])
    result = train(ds, out, cfg, progress=False)
    digest = hashlib.sha1()
    for p in result.modules["generator"].parameters():
        digest.update(p.detach().numpy().tobytes())
    (__import__("pathlib").Path(out) / f"rank{rank}.sha1").write_text(digest.hexdigest())
    dist.destroy_process_group()


def test_two_process_data_parallel_training_on_cpu(tmp_path):
    import torch.multiprocessing as mp

    root = openface_folder(tmp_path / "faces", size=32, subjects=2, per_subject=3)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_worker, args=(port, str(root), str(tmp_path / "run")), nprocs=2, join=True)
    h0, h1 = ((tmp_path / "run" / f"rank{r}.sha1").read_text() for r in (0, 1))
    assert h0 == h1  # averaged gradients keep both replicas identical
    assert load_checkpoint(tmp_path / "run" / "last.pt", CHECKPOINT_LAYOUT, "generator")["epoch"] == 2


def test_train_command(tmp_path, capsys):
    from facsynth.cli import main

    root = openface_folder(tmp_path / "faces", size=32, subjects=2, per_subject=3)  # one subject is held out
    code = main(["train", "ganimation", str(root), "-o", str(tmp_path / "run"), "--crop", "none", "--image-size", "32",
                 "--model-size", "tiny", "--epochs", "1", "--batch-size", "2"])
    out = capsys.readouterr().out
    assert code == 0 and "checkpoint:" in out and "FID" in out and "random CNN" in out
    assert (tmp_path / "run" / "last.pt").is_file() and (tmp_path / "run" / "samples" / "epoch_001.png").is_file()
    assert main(["train", "fesn", str(tmp_path / "nothing"), "-o", str(tmp_path / "run2")]) == 2
    assert "not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["ganimation", "fesn"])
def test_bf16_autocast_and_channels_last_paths(kind, dataset, held_out, tmp_path, train_seed):
    """The CUDA defaults (bf16 autocast, channels_last), forced on CPU: the steps and the held-out scoring run and
    stay finite (speed is measured on a GPU, not here)."""
    cfg = TrainConfig(kind, image_size=32, epochs=2, lvsn_epochs=1, lvsn_lr=1e-3, batch_size=4, n_critic=1,
                      models=TINY_MODELS[kind], seed=train_seed, bf16=True, channels_last=True)
    result = train(dataset, tmp_path, cfg, text_encoder=encode, progress=False, eval_dataset=held_out)
    last = result.history[-1]
    assert last["stage"] == "gan" and np.isfinite(last["fid"]) and 0 < last["heldout_ssim"] <= 1
    conv = next(m for m in result.modules["generator"].modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
