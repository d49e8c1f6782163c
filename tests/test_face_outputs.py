"""ARKit export, the preview rasteriser and the ``facsynth mesh`` command."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

from facsynth.errors import FormatError
from facsynth.face.model import deform
from facsynth.formats.arkit import ARKIT_NAMES, AU_TO_ARKIT, arkit_weights, write_arkit_json, write_livelink_csv
from facsynth.render.preview import Rasterizer, render_preview
from facsynth.track import AUTrack


def test_arkit_mapping_table_and_weights(tmp_path):
    assert len(ARKIT_NAMES) == 52 == len(set(ARKIT_NAMES))
    assert all(name in ARKIT_NAMES for pairs in AU_TO_ARKIT.values() for name, _ in pairs)
    track = AUTrack(np.array([[5, 0, 0], [2.5, 5, 5]], np.float32), (12, 26, 27), fps=25)
    w = arkit_weights(track)
    idx = {n: i for i, n in enumerate(ARKIT_NAMES)}
    assert w.shape == (2, 52)
    assert w[0, idx["mouthSmileLeft"]] == pytest.approx(1) and w[1, idx["mouthSmileRight"]] == pytest.approx(0.5)
    assert w[0, idx["jawOpen"]] == 0 and w[1, idx["jawOpen"]] == pytest.approx(1)  # 0.6 + 1, clipped
    assert w[:, idx["tongueOut"]].max() == 0

    doc = json.loads(write_arkit_json(track, tmp_path / "a.arkit.json").read_text())
    assert doc["numPoses"] == 52 and doc["numFrames"] == 2 and doc["exportFps"] == 25
    assert doc["facsNames"] == list(ARKIT_NAMES)
    assert np.allclose(doc["weightMat"], w, atol=1e-5)

    rows = list(csv.reader(open(write_livelink_csv(track, tmp_path / "a.arkit.csv"))))
    assert rows[0][:4] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft", "EyeLookDownLeft"]
    assert len(rows) == 3 and all(len(r) == 2 + 52 + 9 for r in rows)
    assert rows[2][0] == "00:00:00:01.000" and rows[2][1] == "61"
    assert float(rows[2][2 + idx["jawOpen"]]) == pytest.approx(1)


def test_preview_shows_the_expression(tmp_path):
    r = Rasterizer(size=128)
    neutral = r.render(deform(None, {}))
    smile = r.render(deform(None, {12: 5, 6: 3}))
    jaw = r.render(deform(None, {26: 5}))
    assert neutral.shape == (128, 128, 3) and neutral.dtype == np.uint8
    assert (neutral != neutral[0, 0]).any(axis=2).mean() > 0.3  # the face fills a good part of the frame
    mouth_dark = lambda im: (im[70:100, 40:88].astype(int).sum(axis=2) < 150).sum()  # noqa: E731
    assert mouth_dark(jaw) > mouth_dark(neutral) + 50  # the open mouth shows its dark inside
    assert np.abs(smile.astype(int) - neutral).sum() > 0
    blink = r.render(deform(None, {45: 5}))
    white = lambda im: (im[30:70].min(axis=2) > 200).sum()  # noqa: E731
    assert white(neutral) > 20 and white(blink) < white(neutral) / 4  # closed lids hide the eyes

    tex = np.zeros((8, 8, 3), np.uint8)
    tex[:, :4] = (20, 200, 30)  # left half green, right half blue
    tex[:, 4:] = (20, 30, 200)
    uv = np.stack([(deform(None, {})[:, 0] > 0) * 0.75 + 0.125, np.full(478, 0.5)], axis=1)
    textured = Rasterizer(size=128, texture=tex, uv=uv).render(deform(None, {}))
    left, right = textured[40:90, 30:55].reshape(-1, 3), textured[40:90, 75:100].reshape(-1, 3)
    assert (left[:, 1] > left[:, 2]).mean() > 0.9 and (right[:, 2] > right[:, 1]).mean() > 0.9
    with pytest.raises(FormatError):
        Rasterizer(texture=tex)

    png = render_preview(AUTrack.still({12: 4}), tmp_path / "p.png", size=96)
    assert np.asarray(Image.open(png)).shape == (96, 96, 3)
    with pytest.raises(FormatError):
        render_preview(AUTrack.still({12: 4}), tmp_path / "p.gif")


def test_preview_draws_brows_that_move_with_the_brow_aus():
    """The default face has dark brows, so the brow AUs show: AU1 + AU2 lift the darkest rows above the eyes, AU4
    lowers them (without brows the band was skin and only the shading changed)."""
    r = Rasterizer(size=256)

    def brow_row(aus: dict[int, float]) -> float:
        img = r.render(deform(None, aus)).astype(np.float64).sum(axis=2)
        band = img[40:120, 60:110]                                     # above the subject's right eye
        dark = band < np.percentile(band, 8)
        return float(np.nonzero(dark)[0].mean()) + 40

    neutral, raised, lowered = brow_row({}), brow_row({1: 5, 2: 5}), brow_row({4: 5})
    face = r.render(deform(None, {})).astype(np.float64).sum(axis=2)
    assert face[int(neutral) - 2:int(neutral) + 3, 60:110].mean() < 0.75 * face[130:150, 60:110].mean()   # dark
    assert raised < neutral - 3 and lowered > neutral + 2


def test_preview_mp4_with_audio(tmp_path, shared_data):
    import imageio_ffmpeg

    track = AUTrack(np.linspace(0, 5, 12, dtype=np.float32)[:, None], (26,), fps=12)
    wav = shared_data / "speech" / "goforward.wav"
    out = render_preview(track, tmp_path / "v.mp4", audio=wav, size=64)
    frames = list(imageio_ffmpeg.read_frames(str(out)))
    meta, frames = frames[0], frames[1:]
    assert len(frames) == 12 and meta["size"] == (64, 64) and meta["audio_codec"] == "aac"


def test_mesh_command(cli, tmp_path, shared_data, capsys):
    from facsynth.cli import main

    assert main(["mesh", "--emotion", "happiness:4", "-o", str(tmp_path / "h.glb")]) == 0
    assert (tmp_path / "h.glb").read_bytes()[:4] == b"glTF"
    assert main(["mesh", "--aus", "AU12=4,AU26=2", "-o", str(tmp_path / "h.arkit.json")]) == 0
    assert json.loads((tmp_path / "h.arkit.json").read_text())["numFrames"] == 1
    face = str(shared_data / "faces" / "grace_hopper_512x512.jpg")
    assert main(["mesh", "--aus", "AU1=3,AU26=3", "--face", face, "--size", "128", "-o", str(tmp_path / "g.png")]) == 0
    assert np.asarray(Image.open(tmp_path / "g.png")).shape == (128, 128, 3)
    assert main(["mesh", "--aus", "AU12=3", "--face", face, "-o", str(tmp_path / "g.glb")]) == 0
    doc_len = int.from_bytes((tmp_path / "g.glb").read_bytes()[12:16], "little")
    assert b'"images"' in (tmp_path / "g.glb").read_bytes()[20:20 + doc_len]
    # bad input: one line, exit 2, nothing written
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((100, 100, 3), 200, np.uint8)).save(blank)
    capsys.readouterr()
    for args in (["--aus", "AU12=3", "-o", tmp_path / "x.txt"], ["--aus", "AU99=3", "-o", tmp_path / "x.glb"],
                 ["--aus", "AU12=3", "--face", face, "--face-index", "3", "-o", tmp_path / "x.glb"]):
        assert main(["mesh", *map(str, args)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("facsynth: error:") and err.count("\n") == 1
    # in a fresh process too, with nothing from MediaPipe's C++ logging on stderr
    r = cli("mesh", "--aus", "AU12=3", "--face", blank, "-o", tmp_path / "x.glb")
    assert r.returncode == 2 and r.stderr == "facsynth: error: no face found in the image\n"
    assert not (tmp_path / "x.glb").exists() and not (tmp_path / "x.txt").exists()


def test_mesh_demo(tmp_path):
    from facsynth.commands import mesh

    files = mesh.demo(tmp_path)
    assert [f.name for f in files] == ["face_happy.glb", "face_surprise.png", "face_emotions.mp4", "face.arkit.json"]
    assert all(f.stat().st_size > 1000 for f in files)


def test_no_teeth_at_the_mouth_corners_of_a_wide_smile():
    """Teeth stand between the canines only: the corners of an open smile are cavity, not white triangles."""
    from facsynth.face.model import basis_for, default_face
    from facsynth.render.preview import Rasterizer

    raster = Rasterizer(size=400)
    verts = basis_for(default_face().vertices).apply(np.array([[5.0, 3.0]], np.float32), (12, 25))[0]
    image, proj = raster.render(verts), raster.project(verts)
    for corner, other in ((61, 291), (291, 61)):
        a, d = proj[corner, :2], proj[other, :2] - proj[corner, :2]
        pts = [a + d * t + (0, dy) for t in np.linspace(0.02, 0.15, 8) for dy in range(-4, 5)]
        pixels = np.array([image[int(round(y)), int(round(x))] for x, y in pts])
        assert (pixels.min(axis=1) < 180).all()                          # nothing tooth-white
    middle = proj[[13, 14], :2].mean(axis=0)
    assert image[int(middle[1]) - 2:int(middle[1]) + 3, int(middle[0]) - 2:int(middle[0]) + 3].max() > 180  # teeth
