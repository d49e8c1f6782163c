"""facsynth augment in one process: the spec, the labels table, failures as rows, fsspec URLs, resume after a kill."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from facsynth.augment import augment, augment_talking, items_for, parse_emotions, parse_spec, read_labels
from facsynth.errors import AudioError, AUSpecError, ImageError, OutputError

FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"


def make_photos(folder: Path, n_good: int, side: int = 256) -> list[Path]:
    """``n_good`` photos made from the public faces in ../shared/data/faces (as they are, mirrored, cropped; the
    longest side ``side`` px), plus ``corrupt.png`` (not an image) and ``noface.png`` (a plain grey picture)."""
    from PIL import Image, ImageOps

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for f in sorted(FACES.iterdir()):
        im = Image.open(f).convert("RGB")
        w, h = im.size
        for kind, v in (("plain", im), ("flip", ImageOps.mirror(im)),
                        ("crop", im.crop((int(w * .1), int(h * .05), int(w * .9), int(h * .85))))):
            v = v.copy()
            v.thumbnail((side, side))
            made.append((f"{f.stem}_{kind}", v))
    made = sorted(made, key=lambda m: (m[0].endswith("plain") is False, m[0]))[:n_good]
    assert len(made) == n_good, f"only {len(made)} variants of the faces in {FACES}"
    paths = []
    for name, v in made:
        v.save(folder / f"{name}.png")
        paths.append(folder / f"{name}.png")
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    Image.new("RGB", (side, side), (128, 130, 135)).save(folder / "noface.png")
    return paths + [folder / "corrupt.png", folder / "noface.png"]


SPEC = """# two emotions, an AU set, a sentence, two random samples
happiness:4
surprise:4
AU1=3,AU2=3
she smiles broadly
random 2 AU4,AU12,AU26
"""


def test_spec_lines_and_random_items_reproducible_per_photo():
    spec = parse_spec(SPEC)
    assert [e.label for e in spec][:4] == ["happiness:4", "surprise:4", "AU1=3,AU2=3", "she smiles broadly"]
    assert spec[0].emotion == "happiness" and spec[0].aus[12] > 4
    assert spec[2].aus == {1: 3.0, 2: 3.0} and spec[2].emotion is None
    assert spec[3].sentence == "she smiles broadly" and spec[3].aus.get(12, 0) > 0
    assert len(spec) == 6 and spec[4].pool == (4, 12, 26)
    a, b = items_for("anna", spec, seed=0), items_for("anna", spec, seed=0)
    assert a == b                                                      # same photo, same seed: same items
    assert [i.aus for i in a[4:]] != [i.aus for i in items_for("bob", spec, seed=0)[4:]]
    assert [i.aus for i in a[4:]] != [i.aus for i in items_for("anna", spec, seed=1)[4:]]
    for it in a[4:]:
        assert 1 <= len(it.aus) <= 3 and set(it.aus) <= {4, 12, 26}
        assert all(1.0 <= v <= 5.0 for v in it.aus.values())
    assert all(not it.sides for it in a)
    left, both = items_for("anna", parse_spec("she raises her left brow strongly\nAU1=4,AU2=4\n"))
    assert left.sides == {1: "L", 2: "L"} and both.sides == {}                  # a sentence's side reaches the item
    with pytest.raises(AUSpecError, match="line 2"):
        parse_spec("happiness:4\nsurprise:9\n")
    with pytest.raises(AUSpecError, match="line 3"):
        parse_spec("happiness:4\n# a comment\nrandom AU12,AU99\n")
    assert [e.emotion for e in parse_emotions("happiness:4, surprise:4")] == ["happiness", "surprise"]
    with pytest.raises(AUSpecError):
        parse_emotions("AU12=3")


def test_in_process_run_rows_failures_identity_memory_url_and_idempotent(tmp_path):
    import fsspec

    photos = make_photos(tmp_path / "photos", 2, side=200)
    spec = parse_spec("happiness:4\nAU1=3,AU2=3\nrandom AU4,AU12\n")
    out = "memory://augment-test/out"
    fs = fsspec.filesystem("memory")
    assert not fs.exists("/augment-test")
    first = augment(f"file://{tmp_path / 'photos'}", spec, out, use_ray=False, progress=False)
    assert first.backend == "process" and first.rows == 4 * 3 and first.rendered == 4
    rows = read_labels(out + "/labels.parquet")
    by = {(r["photo_key"], r["index"]): r for r in rows}
    assert len(by) == len(rows) == 12
    for p in photos[:2]:
        for j in range(3):
            r = by[(p.stem, j)]
            assert r["status"] == "ok" and r["renderer"] == "geometric"
            assert fs.exists(f"/augment-test/out/{r['output']}")
            assert r["sentence"]                                     # a description, for FESN training
            if first.identity:
                assert 0.0 <= r["identity_distance"] < 0.6           # dlib: the same person
    assert by[(photos[0].stem, 0)]["AU12_r"] > 4 and by[(photos[0].stem, 0)]["emotion"] == "happiness"
    assert by[(photos[0].stem, 1)]["AU01_r"] == 3 and by[(photos[0].stem, 1)]["AU12_r"] == 0
    assert "not an image" in by[("corrupt", 0)]["status"] and by[("corrupt", 0)]["AU12_r"] > 4
    assert by[("noface", 2)]["status"].startswith("no face found")
    assert not fs.exists("/augment-test/out/images/noface_000.png")
    csv_rows = fs.cat_file("/augment-test/out/labels.csv").decode().strip().splitlines()
    assert len(csv_rows) == 13 and csv_rows[0].startswith('"photo","photo_key","index"')
    before = fs.cat_file("/augment-test/out/labels.parquet")
    again = augment(f"file://{tmp_path / 'photos'}", spec, out, use_ray=False, progress=False)
    assert again.rendered == 0 and again.skipped == 4
    assert fs.cat_file("/augment-test/out/labels.parquet") == before   # idempotent
    with pytest.raises(OutputError, match="another spec"):
        augment(str(tmp_path / "photos"), spec[:2], out, use_ray=False, progress=False)
    fs.rm("/augment-test", recursive=True)


def test_cli_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path, cli):
    make_photos(tmp_path / "photos", 5, side=200)
    out = tmp_path / "out"
    args = [sys.executable, "-m", "facsynth", "augment", str(tmp_path / "photos"), "--emotions",
            "happiness:4,surprise:4", "-o", str(out), "--no-ray", "--no-identity"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list((out / "shards").glob("*.parquet"))) < 2:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    shards = len(list((out / "shards").glob("*.parquet")))
    assert 2 <= shards < 7 and not (out / "labels.parquet").exists()
    done = cli(*args[3:])
    assert done.returncode == 0, done.stderr
    assert f"{7 - shards} photos done now (process), {shards} already done" in done.stdout
    rows = read_labels(out / "labels.parquet")
    keys = [(r["photo_key"], r["index"]) for r in rows]
    assert len(keys) == len(set(keys)) == 7 * 2
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) == 10 and all((out / r["output"]).is_file() for r in ok)
    assert not list(out.glob("**/.facsynth-*"))                         # no half-written leftovers survive
    from facsynth.train.gan_data import find_pairs

    pairs = find_pairs(out / "labels.parquet")                           # facsynth train ganimation|fesn DATA
    assert len(pairs) == 10 and all(p.target.is_file() and p.source.is_file() for p in pairs)
    assert sorted(round(p.target_aus.get(12, 0)) for p in pairs)[-5:] == [5] * 5   # happiness:4: AU12 4.67
    bad = cli("augment", tmp_path / "photos", "-o", tmp_path / "x")
    assert bad.returncode == 2 and "say what to render" in bad.stderr and "Traceback" not in bad.stderr
    bad = cli("augment", tmp_path / "nowhere", "--emotions", "happiness", "-o", tmp_path / "x", "--no-ray")
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_ray_local_same_output_as_in_process(tmp_path):
    """A local Ray cluster (ray.init, nothing to start) gives the same table and images as one process."""
    make_photos(tmp_path / "photos", 2, side=200)
    spec = parse_spec("happiness:4\nrandom\n")
    a = augment(tmp_path / "photos", spec, tmp_path / "a", use_ray=False, progress=False, identity=False)
    b = augment(tmp_path / "photos", spec, tmp_path / "b", workers=2, progress=False, identity=False)
    assert (a.backend, b.backend) == ("process", "ray")
    assert (tmp_path / "a" / "labels.csv").read_bytes() == (tmp_path / "b" / "labels.csv").read_bytes()
    for f in (tmp_path / "a" / "images").iterdir():
        assert np.array_equal(np.asarray(_read(f)), np.asarray(_read(tmp_path / "b" / "images" / f.name)))


def _read(path: Path):
    from facsynth.formats.image import read_image

    return read_image(path)


def test_talking_videos_faces_times_clips(tmp_path, cli, shared_data):
    """Faces × speech clips → one MP4 per pair (the clip's audio, its AU track on the face) and a row each."""
    from facsynth.formats import read_track

    make_photos(tmp_path / "faces", 1, side=160)
    (tmp_path / "faces" / "corrupt.png").unlink()
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "go.wav").write_bytes((shared_data / "speech" / "goforward.wav").read_bytes())
    run = cli("augment", tmp_path / "faces", "--talking", tmp_path / "clips", "-o", tmp_path / "out", "--no-ray")
    assert run.returncode == 0, run.stderr
    rows = {r["photo_key"]: r for r in read_labels(tmp_path / "out" / "labels.parquet")}
    assert set(rows) == {"biden_official_portrait_plain", "noface"}
    ok = rows["biden_official_portrait_plain"]
    assert ok["status"] == "ok" and ok["track"] == "tracks/go.csv" and ok["AU26_r"] > 0.2   # the jaw moves
    track = read_track(tmp_path / "out" / "tracks" / "go.csv")
    assert 2.5 < track.n_frames / track.fps < 3.1                      # goforward.wav: 2.8 s
    assert (tmp_path / "out" / ok["output"]).stat().st_size > 10_000
    assert rows["noface"]["status"].startswith("no face found")


def test_talking_without_clips_is_an_audio_error_about_clips(tmp_path):
    (tmp_path / "faces").mkdir()
    (tmp_path / "faces" / "a.png").write_bytes(b"")
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "notes.txt").write_text("no audio here")
    with pytest.raises(AudioError, match="no speech clips"):
        augment_talking(tmp_path / "faces", tmp_path / "clips", tmp_path / "out", use_ray=False, progress=False)
    with pytest.raises(ImageError, match="no photos"):
        augment_talking(tmp_path / "clips", tmp_path / "clips", tmp_path / "out", use_ray=False, progress=False)
