"""Data loaders of the generators on tiny CK+, DISFA+, OpenFace-folder and bootstrap layouts made in tmp_path."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from facsynth.errors import FormatError
from facsynth.formats import read_track, write_track
from facsynth.track import AUTrack
from facsynth.train.gan_data import (TEST_SUBJECTS, GANDataset, bootstrap_set, ckplus_pairs, disfa_pairs,
                                     find_pairs, openface_pairs, subject_split)
from gan_helpers import describe, face, openface_folder


def _save(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)


def test_ckplus_layout(tmp_path):
    for subject, seq, n in (("S005", "001", 4), ("S010", "002", 3), ("S011", "001", 3)):
        for k in range(1, n + 1):
            _save(tmp_path / "cohn-kanade-images" / subject / seq / f"{subject}_{seq}_{k:08d}.png",
                  face(24, smile=k / n))
    labels = tmp_path / "FACS" / "S005" / "001"
    labels.mkdir(parents=True)
    (labels / "S005_001_00000004_facs.txt").write_text(
        "   6.0000000e+00   3.0000000e+00\n   1.2000000e+01   4.0000000e+00\n   2.5000000e+01   0.0000000e+00\n"
        "   6.2000000e+01   0.0000000e+00\n")
    labels2 = tmp_path / "FACS" / "S010" / "002"
    labels2.mkdir(parents=True)
    (labels2 / "S010_002_00000003_facs.txt").write_text("   1.0000000e+00   2.0000000e+00\n")
    pairs = ckplus_pairs(tmp_path)  # S011 has no FACS file: skipped
    assert [p.subject for p in pairs] == ["S005", "S010"]
    p = pairs[0]
    assert p.source.name.endswith("00000001.png") and p.target.name.endswith("00000004.png")
    assert p.source_aus == {} and p.target_aus == {6: 3.0, 12: 4.0, 25: 3.0}  # unknown AU 62 dropped
    assert p.unrated == {25}  # coded without an intensity
    assert find_pairs(tmp_path)[0] == p
    seen = []
    ds = GANDataset(pairs, 24, aus=(6, 12, 25), crop="none", describe=lambda aus: seen.append(aus) or "x")
    assert ds[0]["target_aus"].tolist() == [3.0, 4.0, 3.0]  # GANimation's condition needs a number
    assert seen[-1] == {6: 3.0, 12: 4.0, 25: None}  # the sentence gets no adverb for AU25 (Hong et al.)


def test_disfa_plus_layout(tmp_path):
    trial = ("SN001", "A1_AU1_TrailNo_1")
    intensities = {"000.jpg": (0, 0), "001.jpg": (2, 1), "002.jpg": (5, 3), "003.jpg": (1, 0)}
    for name, (au1, au2) in intensities.items():
        _save(tmp_path / "Images" / trial[0] / trial[1] / name, face(24, brows=au1 / 5))
    labels = tmp_path / "Labels" / trial[0] / trial[1]
    labels.mkdir(parents=True)
    (labels / "AU1.txt").write_text("4\n" + "".join(f"{n}     {v[0]}\n" for n, v in intensities.items()))
    (labels / "AU2.txt").write_text("".join(f"{n}  {v[1]}\n" for n, v in intensities.items()))
    (pairs,) = disfa_pairs(tmp_path)
    assert pairs.source.name == "000.jpg" and pairs.target.name == "002.jpg"
    assert pairs.target_aus == {1: 5.0, 2: 3.0} and pairs.source_aus == {} and pairs.subject == "SN001"
    assert find_pairs(tmp_path) == [pairs]


def test_openface_folder_and_aligned_frames(tmp_path):
    openface_folder(tmp_path / "photos", size=24, subjects=2, per_subject=3)
    pairs = openface_pairs(tmp_path / "photos")
    assert len(pairs) == 4 and {p.source.name for p in pairs} == {"0.png"}
    assert pairs[0].target_aus == pytest.approx({6: 1.0, 12: 1.5})
    # FeatureExtraction output: processed/clip.csv + processed/clip_aligned/frame_det_00_00000N.bmp
    proc = tmp_path / "video" / "processed"
    values = np.zeros((3, 17), np.float32)
    values[1, 8], values[2, 8] = 2.0, 4.0  # AU12 is column 8 of the OpenFace set
    write_track(AUTrack(values, fps=30), proc / "clip.csv")
    for k in range(3):
        _save(proc / "clip_aligned" / f"frame_det_00_{k + 1:06d}.bmp", face(24, smile=k / 2))
    (a, b) = find_pairs(tmp_path / "video", "openface")
    assert a.source.name == "frame_det_00_000001.bmp" and b.target.name == "frame_det_00_000003.bmp"
    assert b.target_aus[12] == pytest.approx(4.0)


def test_bad_layouts_raise_format_error(tmp_path):
    with pytest.raises(FormatError, match="not a folder"):
        find_pairs(tmp_path / "missing")
    with pytest.raises(FormatError, match="OpenFace"):
        find_pairs(tmp_path)
    with pytest.raises(FormatError, match="CK\\+"):
        ckplus_pairs(tmp_path)
    with pytest.raises(FormatError, match="layout"):
        find_pairs(tmp_path, "emotionet")


def test_bootstrap_set_from_neutral_photos(tmp_path):
    _save(tmp_path / "me.png", face(40))
    calls = []

    def renderer(image, track):  # stands in for facsynth.render.photo.reexpress
        calls.append(track.frame(0))
        yield np.clip(image.astype(int) + int(10 * sum(track.frame(0).values())), 0, 255).astype(np.uint8)

    out = bootstrap_set([tmp_path / "me.png"], tmp_path / "boot", per_photo=3, seed=1, renderer=renderer)
    assert len(calls) == 3 and all(c for c in calls)
    assert sorted(p.name for p in (out / "me").glob("*.png")) == ["001.png", "002.png", "003.png", "neutral.png"]
    assert read_track(out / "me" / "001.csv").frame(0) == pytest.approx(calls[0], abs=1e-3)
    pairs = openface_pairs(out)
    assert len(pairs) == 3 and all(p.source.name == "neutral.png" for p in pairs)


def test_dataset_items(tmp_path):
    pairs = openface_pairs(openface_folder(tmp_path, size=40, subjects=1, per_subject=2))
    ds = GANDataset(pairs, 32, aus=(6, 12), crop="none", describe=describe)
    item = ds[0]
    assert item["source"].shape == item["target"].shape == (3, 32, 32)
    assert -1 <= item["source"].min() and item["source"].max() <= 1
    assert item["target_aus"].tolist() == [1.0, 1.5] and item["source_aus"].tolist() == [0.0, 0.0]
    assert item["target_text"] == "au6x1 au12x2" and item["source_text"] == "neutral face"


def test_align_and_paste_real_photo(shared_data):
    """Landmark alignment on a real portrait: upright square crop of the face, and an exact-enough paste back."""
    from facsynth.render.gan import align_face, paste_face

    image = np.asarray(Image.open(shared_data / "faces" / "grace_hopper_512x512.jpg").convert("RGB"))
    crop, box = align_face(image, 128)
    cx, cy, side, angle = box
    assert crop.shape == (128, 128, 3)
    assert 180 < cx < 330 and 150 < cy < 330 and 150 < side < 400 and abs(angle) < 0.2
    back = paste_face(image, crop, box)
    x0, y0, r = int(cx), int(cy), int(side * 0.3)
    inside = np.abs(back[y0 - r:y0 + r, x0 - r:x0 + r].astype(int) - image[y0 - r:y0 + r, x0 - r:x0 + r]).mean()
    assert inside < 12  # resampled to 128² and back: blurred, not moved
    assert np.array_equal(back[:20], image[:20])  # outside the face box nothing changes


def test_subject_disjoint_split(tmp_path):
    from facsynth.train.gan_data import FacePair

    pairs = [FacePair(tmp_path / f"s{s}_0.png", tmp_path / f"s{s}_{k}.png", {}, {12: 2.0}, f"S{s:03d}")
             for s in range(9) for k in (1, 2)]
    train, test = subject_split(pairs, TEST_SUBJECTS["disfa"], seed=0)  # DISFA+: 8 subjects train, 1 test
    assert len({p.subject for p in train}) == 8 and len({p.subject for p in test}) == 1
    assert not {p.subject for p in train} & {p.subject for p in test} and len(train) + len(test) == len(pairs)
    assert TEST_SUBJECTS["ckplus"] == 12
    assert len({p.subject for p in subject_split(pairs, 50)[0]}) == 1  # at least one subject is kept for training


def test_decoded_crops_cached_on_disk(tmp_path, monkeypatch):
    import facsynth.train.gan_data as gan_data

    pairs = openface_pairs(openface_folder(tmp_path / "faces", size=40, subjects=1, per_subject=2))
    first = GANDataset(pairs, 32, crop="none", describe=describe, cache_dir=tmp_path / "cache")
    item = first[0]
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2  # source and target crops

    def no_decoding(path):
        raise AssertionError(f"decoded {path} again")

    monkeypatch.setattr(gan_data, "read_image", no_decoding)  # a worker process reads the cache, not the photos
    again = GANDataset(pairs, 32, crop="none", describe=describe, cache_dir=tmp_path / "cache")
    assert np.array_equal(again[0]["target"].numpy(), item["target"].numpy())
