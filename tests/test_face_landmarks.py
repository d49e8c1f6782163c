"""MediaPipe adapter (landmarks, boxes, pose) and the MP4 writer."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from PIL import Image

from facsynth.errors import AudioError, FormatError, ImageError, NoFaceError
from facsynth.face.landmarks import detect_faces, from_face_frame, to_face_frame
from facsynth.render.video import write_mp4


def _rgb(path):
    return np.array(Image.open(path).convert("RGB"))


@pytest.fixture(scope="module")
def hopper(shared_data):
    return _rgb(shared_data / "faces" / "grace_hopper_512x512.jpg")


def test_detect_one_face_with_pose(hopper):
    faces = detect_faces(hopper)
    assert len(faces) == 1
    f = faces[0]
    assert f.landmarks.shape == (478, 3) and f.landmarks.dtype == np.float32
    x0, y0, x1, y1 = f.box
    assert 100 < x0 < x1 < 420 and 60 < y0 < y1 < 420
    # frontal face: rotation close to diag(1, -1, -1), scale = inter-ocular distance in pixels
    assert np.allclose(f.pose.rotation, np.diag([1.0, -1, -1]), atol=0.25)
    assert np.isclose(np.linalg.det(f.pose.rotation), 1.0, atol=1e-5)
    assert 50 < f.pose.scale < 130
    n = f.normalised()
    assert n[152, 1] < -1.2 and n[10, 1] > 0.4  # chin below, forehead above the eyes
    assert n[1, 2] > 0.4  # nose tip sticks out towards the viewer
    assert np.abs(from_face_frame(n, f.pose) - f.landmarks).max() < 1e-3
    assert np.allclose(to_face_frame(f.landmarks, f.pose), n)


def test_several_faces_largest_first(shared_data):
    a = _rgb(shared_data / "faces" / "grid_bbaf2n_rest.png")
    b = np.array(Image.fromarray(a).resize((a.shape[1] // 2, a.shape[0] // 2)))
    canvas = np.zeros((300, 560, 3), np.uint8)
    canvas[:, :] = 128
    canvas[:240, :288] = a[30:270, :288]
    canvas[20 : 20 + b.shape[0], 350 : 350 + b.shape[1]] = b
    faces = detect_faces(canvas)
    assert len(faces) == 2
    assert faces[0].area > 2 * faces[1].area
    assert faces[0].box[0] < 288 <= faces[1].box[0]


def test_no_face_and_bad_arrays():
    with pytest.raises(NoFaceError):
        detect_faces(np.full((128, 128, 3), 90, np.uint8))
    with pytest.raises(ImageError):
        detect_faces(np.zeros((64, 64), np.uint8))
    with pytest.raises(ImageError):
        detect_faces(np.zeros((64, 64, 3), np.float32))


def _probe(path):
    import imageio_ffmpeg

    out = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                         capture_output=True, text=True).stderr
    return out


def test_write_mp4_with_audio(tmp_path, shared_data):
    wav = sorted((shared_data / "speech").glob("*.wav"))[0]
    frames = (np.full((51, 67, 3), (i * 8) % 255, np.uint8) for i in range(20))
    out = write_mp4(frames, tmp_path / "a.mp4", fps=10, audio=wav)
    info = _probe(out)
    assert "h264" in info and "yuv420p" in info and "aac" in info
    assert "68x52" in info  # odd sizes padded to even
    hms = re.search(r"Duration: (\d+):(\d+):([\d.]+)", info).groups()
    assert abs(float(hms[2]) + 60 * float(hms[1]) - 2.0) < 0.15  # the video's 2 s rule, audio cut or padded
    import imageio_ffmpeg

    assert sum(1 for _ in imageio_ffmpeg.read_frames(str(out))) - 1 == 20
    assert [p.name for p in tmp_path.iterdir()] == ["a.mp4"]  # no temporary left


def test_write_mp4_errors_leave_nothing(tmp_path):
    target = tmp_path / "b.mp4"
    with pytest.raises(FormatError):
        write_mp4([], target, fps=25)
    with pytest.raises(FormatError):
        write_mp4([np.zeros((8, 8, 3), np.uint8), np.zeros((10, 8, 3), np.uint8)], target, fps=25)
    with pytest.raises(AudioError):
        write_mp4([np.zeros((8, 8, 3), np.uint8)], target, fps=25, audio=tmp_path / "none.wav")
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    with pytest.raises(AudioError):
        write_mp4([np.zeros((8, 8, 3), np.uint8)], target, fps=25, audio=bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.wav"]


def test_face_frame_removes_head_roll(hopper):
    straight = detect_faces(hopper)[0]
    tilted_img = np.asarray(Image.fromarray(hopper).rotate(15, resample=Image.BICUBIC, fillcolor=(128, 128, 128)))
    tilted = detect_faces(tilted_img)[0]
    _, _, roll0 = straight.pose.yaw_pitch_roll()
    _, _, roll = tilted.pose.yaw_pitch_roll()
    assert abs((roll - roll0) - 15) < 3  # PIL turns counter-clockwise on screen: the left eye rises
    assert tilted.pose.scale == pytest.approx(straight.pose.scale, rel=0.05)
    err = np.linalg.norm(tilted.normalised()[:468, :2] - straight.normalised()[:468, :2], axis=1)
    assert err.mean() < 0.03  # the same face shape in the face frame, whatever the roll


def test_pose_angles_follow_the_head():
    from facsynth.face.landmarks import Pose, face_pose
    from facsynth.face.model import default_face

    n = default_face().vertices.astype(np.float64)
    frontal = Pose(np.diag([1.0, -1, -1]), np.array([256.0, 256, 0]), 80.0)
    for axis, sign_of in ((1, 0), (0, 1)):  # turn about y (yaw), then about x (pitch)
        t = np.radians(20)
        c, s = np.cos(t), np.sin(t)
        rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]) if axis == 1 else np.array([[1, 0, 0], [0, c, s], [0, -s, c]])
        px = from_face_frame(n @ rot.T, frontal)
        angles = face_pose(px).yaw_pitch_roll()
        base = face_pose(from_face_frame(n, frontal)).yaw_pitch_roll()
        # yaw: the nose turns towards the subject's left (+x); pitch: the nose tips up (+y)
        assert angles[sign_of] - base[sign_of] == pytest.approx(20, abs=3)


def test_mediapipe_loads_without_matplotlib():
    """A photo edit does not pay for matplotlib (mediapipe's drawing helpers import pyplot), and a later real
    ``import matplotlib.pyplot`` in the same process still works."""
    import subprocess
    import sys

    code = ("import sys; from facsynth.face import landmarks; landmarks.import_mediapipe(); "
            "print('matplotlib' in sys.modules); import matplotlib.pyplot as plt; print(callable(plt.plot))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]
