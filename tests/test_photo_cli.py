"""``facsynth edit`` and ``facsynth analyze`` end to end: outputs, bad inputs, batch data sets, video with speech."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest

from facsynth.formats.image import read_image, write_image


@pytest.fixture(scope="module")
def photos(shared_data, tmp_path_factory):
    d = tmp_path_factory.mktemp("photos")
    shutil.copy(shared_data / "faces" / "grace_hopper_512x512.jpg", d / "hopper.jpg")
    write_image(np.full((200, 240, 3), 128, np.uint8), d / "blank.png")
    return d


def test_edit_aus_to_png_then_analyze_back(cli, photos, tmp_path):
    out = tmp_path / "smile.png"
    r = cli("edit", photos / "hopper.jpg", "--aus", "AU12=4,AU6=2", "-o", out)
    assert r.returncode == 0, r.stderr
    img = read_image(out)
    assert img.shape == (512, 512, 3) and not np.array_equal(img, read_image(photos / "hopper.jpg"))
    csv_path = tmp_path / "aus.csv"
    r = cli("analyze", out, "--neutral", photos / "hopper.jpg", "-o", csv_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(csv_path), skipinitialspace=True))  # OpenFace separates with ", "
    assert len(rows) == 1 and float(rows[0]["AU12_r"]) > 1.0 and float(rows[0]["AU04_r"]) < 1.0


def test_no_face_exits_2_and_writes_nothing(photos, tmp_path, capsys):
    from facsynth.cli import main

    out = tmp_path / "x.png"
    assert main(["edit", str(photos / "blank.png"), "--emotion", "happiness", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no face found in blank.png" in err and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert main(["edit", str(photos / "hopper.jpg"), "--track", str(tmp_path / "missing.csv"), "-o", str(out)]) == 2
    assert not out.exists()


def test_track_with_audio_makes_an_mp4_with_sound(cli, photos, shared_data, tmp_path):
    import subprocess

    import imageio_ffmpeg

    from facsynth.formats import write_track
    from facsynth.track import AUTrack

    ramp = np.r_[np.linspace(0, 4, 8), np.linspace(4, 0, 7)].astype(np.float32)
    track_path = tmp_path / "t.csv"
    write_track(AUTrack(np.stack([ramp, ramp], 1), (25, 26), 15), track_path)
    wav = sorted((shared_data / "speech").glob("*.wav"))[0]
    out = tmp_path / "talk.mp4"
    r = cli("edit", photos / "hopper.jpg", "--track", track_path, "--audio", wav, "-o", out)
    assert r.returncode == 0, r.stderr
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 15
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(out)], capture_output=True, text=True).stderr
    assert "Video: h264" in probe and "Audio: aac" in probe


def test_batch_folder_times_expressions_is_resumable(photos, tmp_path, capsys):
    from facsynth.cli import main

    exprs = tmp_path / "expressions.txt"
    exprs.write_text("# three expressions\nAU12=3,AU6=2\nsurprise:3\nshe raises her brows slightly  # a sentence\n")
    out = tmp_path / "dataset"
    assert main(["edit", str(photos), "--expressions", str(exprs), "-o", str(out)]) == 0
    rows = list(csv.DictReader(open(out / "manifest.csv")))
    assert [row["file"] for row in rows] == ["hopper_000.png", "hopper_001.png", "hopper_002.png"]
    assert rows[0]["aus"].startswith("AU06=2") and rows[1]["sentence"]
    assert rows[2]["sentence"] == "she raises her brows slightly" and "AU01" in rows[2]["aus"]
    assert "blank.png" in capsys.readouterr().err                   # the faceless photo is reported and skipped
    (out / "hopper_001.png").unlink()
    stamp = (out / "hopper_000.png").stat().st_mtime_ns
    assert main(["edit", str(photos), "--expressions", str(exprs), "-o", str(out)]) == 0
    assert (out / "hopper_001.png").is_file() and (out / "hopper_000.png").stat().st_mtime_ns == stamp
    files = [row["file"] for row in csv.DictReader(open(out / "manifest.csv"))]
    assert sorted(files) == ["hopper_000.png", "hopper_001.png", "hopper_002.png"]


def test_batch_sentence_keeps_its_side(photos, tmp_path):
    """A one-sided sentence in an expressions file moves one half of the face; the same AUs by spec move both."""
    from facsynth.cli import main

    exprs = tmp_path / "expressions.txt"
    exprs.write_text("she raises her left brow strongly\n")
    assert main(["edit", str(photos), "--expressions", str(exprs), "-o", str(tmp_path / "one")]) == 0
    aus = next(csv.DictReader(open(tmp_path / "one" / "manifest.csv")))["aus"]
    exprs.write_text(aus + "\n")
    assert main(["edit", str(photos), "--expressions", str(exprs), "-o", str(tmp_path / "both")]) == 0
    src = read_image(photos / "hopper.jpg").astype(np.int16)

    def halves(folder: str) -> tuple[float, float]:
        d = np.abs(read_image(tmp_path / folder / "hopper_000.png").astype(np.int16) - src).sum(axis=2)
        return float(d[:, :256].sum()), float(d[:, 256:].sum())   # image left = the person's right (frontal)

    right, left = halves("one")
    both_right, both_left = halves("both")
    assert left > 5 * right and min(both_left, both_right) > 0.3 * max(both_left, both_right)


def test_ganimation_renderer_is_wired(photos, tmp_path):
    import torch

    from facsynth.checkpoint import save_checkpoint
    from facsynth.cli import main
    from facsynth.facs import OPENFACE_AUS
    from facsynth.render.gan import CHECKPOINT_LAYOUT
    from facsynth.render.gan.ganimation import GANimationGenerator

    torch.manual_seed(0)
    kwargs = {"n_aus": len(OPENFACE_AUS), "conv_dim": 8, "n_down": 2, "n_res": 1}
    ckpt = tmp_path / "g.pt"
    save_checkpoint(ckpt, {"kind": "ganimation", "image_size": 32, "aus": list(OPENFACE_AUS), "model": kwargs,
                           "generator": GANimationGenerator(**kwargs).state_dict()}, CHECKPOINT_LAYOUT)
    out = tmp_path / "gan.png"
    args = ["edit", str(photos / "hopper.jpg"), "--aus", "AU12=3", "--renderer", "ganimation", "--weights", str(ckpt)]
    assert main([*args, "-o", str(out)]) == 0
    src, img = read_image(photos / "hopper.jpg"), read_image(out)
    assert img.shape == src.shape and not np.array_equal(img, src)
    assert main([*args[:-2], "-o", str(tmp_path / "no.png")]) == 2            # --renderer without --weights
    assert not (tmp_path / "no.png").exists()


def test_edit_takes_odd_photo_files(photos, tmp_path):
    from PIL import Image

    from facsynth.cli import main

    src = read_image(photos / "hopper.jpg")
    Image.fromarray(src).convert("L").save(tmp_path / "gray.png")
    exif = Image.Exif()
    exif[0x0112] = 8                                                  # stored rotated 90° clockwise
    Image.fromarray(np.rot90(src, -1).copy()).save(tmp_path / "turned.jpg", exif=exif, quality=95)
    for name in ("gray.png", "turned.jpg"):
        out = tmp_path / f"out_{name}.png"
        assert main(["edit", str(tmp_path / name), "--aus", "AU26=4,AU25=3", "-o", str(out)]) == 0
        assert read_image(out).shape == (512, 512, 3)
    data = (photos / "hopper.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    assert main(["edit", str(tmp_path / "cut.jpg"), "--aus", "AU12=3", "-o", str(tmp_path / "cut.png")]) == 2
    assert not (tmp_path / "cut.png").exists()
