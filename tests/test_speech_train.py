"""Speech training data and the train command: folder pairs, RAVDESS names, self-labelled videos, CLI round trip."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from facsynth.errors import FormatError
from facsynth.facs import OPENFACE_AUS
from facsynth.formats import read_track, write_track
from facsynth.track import AUTrack
from facsynth.train.speech_data import find_examples, load_example, ravdess_audio_name


def _pair(folder, stem, seed):
    """A synthetic utterance (tone bursts) and an OpenFace CSV whose AU26 follows its loudness."""
    rng = np.random.default_rng(seed)
    t = np.arange(32000) / 16000
    env = (np.sin(2 * np.pi * rng.uniform(1, 3) * t) > 0).astype(np.float32)
    sf.write(str(folder / f"{stem}.wav"), 0.3 * env * np.sin(2 * np.pi * 180 * t), 16000)
    frames = 60
    vals = np.zeros((frames, len(OPENFACE_AUS)), np.float32)
    vals[:, OPENFACE_AUS.index(26)] = 3 * env[:: 32000 // frames][:frames]
    write_track(AUTrack(vals, OPENFACE_AUS, 30), folder / f"{stem}.csv")


def test_ravdess_names():
    assert ravdess_audio_name("01-01-05-01-02-01-12") == "03-01-05-01-02-01-12"
    assert ravdess_audio_name("02-01-05-01-02-01-12") == "03-01-05-01-02-01-12"
    assert ravdess_audio_name("speech_01") is None


def test_find_examples_pairs_ravdess_and_videos(tmp_path, shared_data):
    (tmp_path / "audio").mkdir()
    (tmp_path / "video").mkdir()
    _pair(tmp_path / "audio", "03-01-05-01-02-01-12", 0)
    (tmp_path / "audio" / "03-01-05-01-02-01-12.csv").rename(tmp_path / "video" / "01-01-05-01-02-01-12.csv")
    _pair(tmp_path, "plain", 1)
    shutil.copy(shared_data / "talking" / "bbaf2n.mpg", tmp_path / "video" / "clip.mpg")
    ex = {e.sound.name: e for e in find_examples(tmp_path)}
    assert ex["03-01-05-01-02-01-12.wav"].labels.name == "01-01-05-01-02-01-12.csv"
    assert ex["plain.wav"].labels.name == "plain.csv"
    assert ex["clip.mpg"].needs_analysis
    assert "clip.mpg" not in {e.sound.name for e in find_examples(tmp_path, self_label=False)}
    with pytest.raises(FormatError):
        find_examples(tmp_path / "audio" / "03-01-05-01-02-01-12.wav")


def test_load_example_aligns_labels_to_feature_frames(tmp_path):
    _pair(tmp_path, "u", 2)
    (ex,) = find_examples(tmp_path)
    for name, dim in (("mfcc39", 39), ("prosodic", 27)):
        x, y = load_example(ex, name)
        assert x.shape == (201, dim) and y.shape == (201, 17)
        assert np.isfinite(x).all() and y[:, OPENFACE_AUS.index(26)].max() == pytest.approx(3, abs=0.01)


def test_self_labelled_video_has_moving_jaw(tmp_path, shared_data):
    shutil.copy(shared_data / "talking" / "bbaf2n.mpg", tmp_path / "clip.mpg")
    (ex,) = find_examples(tmp_path)
    x, y = load_example(ex, "prosodic", label_cache=tmp_path / "cache")
    assert x.shape[1] == 27 and len(y) == len(x) and abs(len(x) - 300) < 5
    jaw = y[:, OPENFACE_AUS.index(25)] + y[:, OPENFACE_AUS.index(26)]
    assert jaw.max() - jaw.min() > 1.0
    assert read_track(tmp_path / "cache" / "clip.csv").n_frames == 75


def test_train_command_and_speak_with_weights(cli, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(6):
        _pair(data, f"utt{i}", i)
    out = tmp_path / "run"
    res = cli("train", "speech", data, "--model", "blstm-joint", "-o", out, "--epochs", "3", "--hidden", "8",
              "--layers", "1", "--batch-size", "3")
    assert res.returncode == 0, res.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 3 and {"ccc_lower", "mse_upper"} <= set(metrics["best"])
    res = cli("speak", data / "utt0.wav", "--model", "blstm", "--weights", out / "best.pt", "-o", tmp_path / "p.csv")
    assert res.returncode == 0, res.stderr
    assert read_track(tmp_path / "p.csv").n_frames == 60
    res = cli("speak", data / "utt0.wav", "--model", "lstm", "--weights", out / "best.pt", "-o", tmp_path / "q.csv")
    assert res.returncode == 2 and "blstm-joint" in res.stderr


def test_paper_hop_and_the_17_egemaps_llds(tmp_path):
    from facsynth.speech.features import EGEMAPS_LLDS, FEATURE_DIMS, PAPER_HOP, feature_set, lld_on_grid

    samples = (0.2 * np.sin(np.arange(16000) * 2 * np.pi * 150 / 16000)).astype(np.float32)
    ten_ms, paper = feature_set(samples, "prosodic"), feature_set(samples, "prosodic", hop=PAPER_HOP)
    assert ten_ms.shape == (101, 27) and paper.shape == (16000 // 133 + 1, 27)  # 25 ms windows every 8.31 ms
    assert np.allclose(paper[:, 26].mean(), ten_ms[:, 26].mean(), atol=0.02)  # same intensity, finer grid
    assert len(EGEMAPS_LLDS) == len(set(EGEMAPS_LLDS)) == 17 and FEATURE_DIMS["prosodic+egemaps"] == 44
    assert not any(n.startswith(("mfcc", "F0")) for n in EGEMAPS_LLDS)  # MFCCs and F0 are inputs already
    lld = np.arange(10, dtype=np.float32)[:, None] * [1.0, 2.0]  # openSMILE rows every 10 ms
    grid = lld_on_grid(lld, 13, PAPER_HOP / 16000)
    assert grid.shape == (13, 2) and grid[0, 0] == 0 and np.allclose(grid[6], [6 * 0.83125 * 1, 6 * 0.83125 * 2])
    assert grid[-1, 0] == 9  # held at the last row beyond the end
    # a model trained at the paper's hop still gives 100 frames/s curves
    _pair(tmp_path, "u", 5)
    (ex,) = find_examples(tmp_path)
    x, y = load_example(ex, "prosodic", hop=PAPER_HOP)
    assert len(x) == len(y) == 32000 // 133 + 1


def test_cascade_command(cli, tmp_path, shared_data):
    """The cascade in one command: speech → Model B (lstm) AUs → GANimation on a photo, as .png and .mp4."""
    import torch
    from PIL import Image

    from facsynth.train.gan_data import GANDataset, openface_pairs
    from facsynth.train.gan_loop import TINY_MODELS, TrainConfig, train
    from gan_helpers import describe, openface_folder

    data = tmp_path / "data"
    data.mkdir()
    for i in range(4):
        _pair(data, f"utt{i}", i)
    res = cli("train", "speech", data, "--model", "lstm", "-o", tmp_path / "lstm", "--epochs", "2", "--hidden", "8",
              "--split", "none")
    assert res.returncode == 0, res.stderr
    torch.manual_seed(0)
    faces = GANDataset(openface_pairs(openface_folder(tmp_path / "faces", size=32, subjects=1)), 32, crop="none",
                       describe=describe)
    train(faces, tmp_path / "gan", TrainConfig("ganimation", image_size=32, epochs=1, batch_size=2, n_critic=1,
                                               models=TINY_MODELS["ganimation"]), progress=False)
    photo = shared_data / "faces" / "grace_hopper_512x512.jpg"
    common = ["--model", "lstm", "--weights", tmp_path / "lstm" / "best.pt", "--face", photo,
              "--renderer", "ganimation", "--weights-renderer", tmp_path / "gan" / "last.pt"]
    res = cli("speak", data / "utt0.wav", *common, "-o", tmp_path / "out.png")
    assert res.returncode == 0, res.stderr
    out, original = np.asarray(Image.open(tmp_path / "out.png")), np.asarray(Image.open(photo).convert("RGB"))
    assert out.shape == original.shape and np.abs(out.astype(int) - original).mean() > 0.1  # the face re-rendered
    res = cli("speak", data / "utt0.wav", *common, "-o", tmp_path / "out.mp4")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out.mp4").stat().st_size > 0
    res = cli("speak", data / "utt0.wav", "--model", "lstm", "--weights", tmp_path / "lstm" / "best.pt",
              "--renderer", "ganimation", "-o", tmp_path / "x.png")
    assert res.returncode == 2 and "--face" in res.stderr and not (tmp_path / "x.png").exists()


def test_ravdess_speech_clips_and_actors(tmp_path):
    from facsynth.train.speech_data import ravdess_fields

    assert ravdess_fields("03-01-05-01-02-01-12") == {"modality": 3, "vocal_channel": 1, "emotion": 5, "intensity": 1,
                                                     "statement": 2, "repetition": 1, "actor": 12}
    assert ravdess_fields("plain") is None
    _pair(tmp_path, "03-01-05-01-02-01-12", 0)  # speech, actor 12
    _pair(tmp_path, "03-02-05-01-02-01-07", 1)  # song (vocal channel 02): the cascade's report used speech only
    (ex,) = find_examples(tmp_path)
    assert ex.sound.name == "03-01-05-01-02-01-12.wav" and ex.speaker == "actor12"
