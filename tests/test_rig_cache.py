"""render.rig_cache: a photo's detected face is cached; a hit skips detection and renders the same frames."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from facsynth.errors import NoFaceError
from facsynth.render import photo, rig_cache
from facsynth.render.photo import render_frame
from facsynth.track import AUTrack


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """An empty cache folder, and a counter of the face detections rigging runs."""
    monkeypatch.setenv("FACSYNTH_CACHE", str(tmp_path / "cache"))
    calls = []
    detect = photo._detect
    monkeypatch.setattr(photo, "_detect", lambda *a: calls.append(1) or detect(*a))
    return calls


def _frames(image, rig) -> list[np.ndarray]:
    track = AUTrack.still({12: 3.0, 25: 2.0, 26: 2.5, 4: 2.0})
    return [render_frame(image, rig, track.frame(0)), render_frame(image, rig, {1: 2.0, 45: 4.0})]


def test_a_miss_detects_and_stores_a_hit_skips_detection_with_identical_frames(cache, hopper, rig):
    first = rig_cache.cached_rig(hopper)
    assert len(cache) == 1 and rig_cache.rig_cache_path(hopper).is_file()
    again = rig_cache.cached_rig(hopper)
    assert len(cache) == 1                                     # read from the cache: no second detection
    for a, b in [(first, again), (rig, again)]:                # rig: the session's rig, made without any cache
        assert np.array_equal(a.face.landmarks, b.face.landmarks) and a.face.box == b.face.box
        assert np.array_equal(a.vertices, b.vertices) and a.box == b.box and a.own == b.own
    for x, y in zip(_frames(hopper, rig), _frames(hopper, again)):
        assert np.array_equal(x, y)


def test_the_key_holds_the_pixels_the_face_index_and_the_version(cache, hopper, monkeypatch):
    path = rig_cache.rig_cache_path(hopper)
    changed = hopper.copy()
    changed[0, 0, 0] ^= 1
    assert rig_cache.rig_cache_path(changed) != path
    assert rig_cache.rig_cache_path(hopper, 1) != path
    monkeypatch.setattr(rig_cache, "facsynth_version", lambda: "0.0.0-other")
    assert rig_cache.rig_cache_path(hopper) != path            # a new facsynth version detects again


@pytest.mark.parametrize("damage", [b"", b"not a zip file", "truncated", "wrong shape"])
def test_a_damaged_cache_file_is_detected_again_and_rewritten(cache, hopper, rig, damage):
    rig_cache.cached_rig(hopper)
    path = rig_cache.rig_cache_path(hopper)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "wrong shape":
        np.savez(path, landmarks=np.zeros((10, 3), np.float32), box=np.zeros(4), rotation=np.eye(3),
                 translation=np.zeros(3), scale=np.float64(1.0))
    else:
        path.write_bytes(damage)
    again = rig_cache.cached_rig(hopper)
    assert len(cache) == 2                                     # detected again
    assert np.array_equal(again.vertices, rig.vertices)
    rig_cache.cached_rig(hopper)
    assert len(cache) == 2                                     # and the rewritten file is read


def test_an_unwritable_cache_still_rigs(monkeypatch, tmp_path, hopper, rig):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("FACSYNTH_CACHE", str(blocker))
    assert np.array_equal(rig_cache.cached_rig(hopper).vertices, rig.vertices)


def test_a_group_photo_warns_which_face_on_the_cached_run_too(cache, hopper):
    import cv2

    canvas = np.full((512, 800, 3), 200, np.uint8)
    canvas[:, :512] = hopper
    canvas[128:384, 530:786] = cv2.resize(hopper, (256, 256), interpolation=cv2.INTER_AREA)
    for _ in range(2):                                          # detected, then read from the cache
        with pytest.warns(UserWarning, match="2 faces found; re-expressing face 1"):
            rig = rig_cache.cached_rig(canvas, 1)
        assert rig.faces_found == 2
    assert len(cache) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")                          # one face: no warning, cached or not
        rig_cache.cached_rig(hopper)
        rig_cache.cached_rig(hopper)


def test_no_face_raises_and_caches_nothing(cache, tmp_path):
    blank = np.full((128, 128, 3), 200, np.uint8)
    with pytest.raises(NoFaceError):
        rig_cache.cached_rig(blank)
    assert not (tmp_path / "cache" / "faces").exists() or not any((tmp_path / "cache" / "faces").iterdir())


def test_speak_renders_a_photo_through_the_cache(cache, shared_data, tmp_path):
    from facsynth.commands.speak import write_speech_output
    from facsynth.formats.image import read_image

    face = shared_data / "faces" / "grace_hopper_512x512.jpg"
    track = AUTrack.still({25: 2.0, 26: 2.0})
    outs = [tmp_path / "a.png", tmp_path / "b.png"]
    for out in outs:
        write_speech_output(track, out, shared_data / "speech" / "goforward.wav", ".png", face)
    assert len(cache) == 1 and rig_cache.rig_cache_path(read_image(face)).is_file()
    assert np.array_equal(read_image(outs[0]), read_image(outs[1]))


def test_edit_renders_a_photo_through_the_cache(cache, shared_data, tmp_path):
    from facsynth.cli import main
    from facsynth.formats.image import read_image

    face = shared_data / "faces" / "grace_hopper_512x512.jpg"
    outs = [tmp_path / "a.png", tmp_path / "b.png"]
    for out in outs:
        assert main(["edit", str(face), "--aus", "AU12=3,AU25=2", "-o", str(out)]) == 0
    assert len(cache) == 1
    assert np.array_equal(read_image(outs[0]), read_image(outs[1]))
