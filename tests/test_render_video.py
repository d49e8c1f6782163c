"""render.video.write_mp4 with audio, in one ffmpeg run when the frame count is known and in two when it is not:
the video's length rules either way; unreadable audio is an AudioError; x264's threads by frame size."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from facsynth.errors import AudioError, FormatError
from facsynth.render import video
from facsynth.render.video import write_mp4


def _durations(path) -> list[float]:
    """Container duration, then the time of each stream's last packet (video, audio) in seconds."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    out = subprocess.run([ffmpeg, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", out).groups()
    streams = []
    for kind in ("0:v:0", "0:a:0"):
        log = subprocess.run([ffmpeg, "-hide_banner", "-i", str(path), "-map", kind, "-c", "copy", "-f", "null", "-"],
                             capture_output=True, text=True).stderr
        streams.append(float(re.findall(r"time=(\d+):(\d+):([\d.]+)", log)[-1][2]))
    return [int(h) * 3600 + int(m) * 60 + float(s), *streams]


@pytest.mark.parametrize("known", [True, False])
@pytest.mark.parametrize("frames, seconds", [(40, 4.0), (10, 1.0)])   # goforward.wav is 2.8 s: padded, then cut
def test_the_video_length_rules(tmp_path, shared_data, known, frames, seconds):
    wav = shared_data / "speech" / "goforward.wav"
    images = (np.full((32, 32, 3), i, np.uint8) for i in range(frames))   # at 10 fps
    out = write_mp4(images, tmp_path / "a.mp4", fps=10, audio=wav, n_frames=frames if known else None)
    total, video, audio = _durations(out)
    assert abs(total - seconds) < 0.02 and abs(audio - seconds) < 0.15 and seconds - 0.25 < video < seconds
    assert [p.name for p in tmp_path.iterdir()] == ["a.mp4"]


def test_a_wrong_frame_count_is_refused(tmp_path, shared_data):
    with pytest.raises(FormatError, match="3 frames were rendered"):
        write_mp4([np.zeros((8, 8, 3), np.uint8)] * 3, tmp_path / "b.mp4", fps=25,
                  audio=shared_data / "speech" / "goforward.wav", n_frames=4)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("known", [True, False])
def test_a_file_without_sound_is_an_audio_error(tmp_path, shared_data, known):
    with pytest.raises(AudioError, match="cannot add audio"):
        write_mp4([np.zeros((8, 8, 3), np.uint8)] * 3, tmp_path / "c.mp4", fps=25,
                  audio=shared_data / "faces" / "grace_hopper_512x512.jpg", n_frames=3 if known else None)
    assert not any(tmp_path.iterdir())


def test_x264_runs_on_one_thread_up_to_720p(tmp_path, monkeypatch):
    from facsynth.render import video

    commands = []

    def fake_encode(cmd, first, rest, shape, target):
        commands.append(cmd)
        Path(cmd[-1]).write_bytes(b"")
        return 1 + sum(1 for _ in rest)

    monkeypatch.setattr(video, "_encode", fake_encode)
    for h, w in [(512, 512), (720, 1280), (722, 1282)]:
        write_mp4([np.zeros((h, w, 3), np.uint8)], tmp_path / "t.mp4", fps=25)
    one = [cmd[cmd.index("-threads") + 1] if "-threads" in cmd else None for cmd in commands]
    assert one == ["1", "1", None]


def test_pipe_into_ffmpeg_holds_a_whole_frame():
    import fcntl  # a Linux setting (CI and the supported machines); elsewhere the pipe keeps its default
    read_end, write_end = os.pipe()
    try:
        before = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
        frame = 512 * 512 * 3
        video._widen_pipe(write_end, frame)
        after = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        assert after >= min(frame, limit) > before
    finally:
        os.close(read_end)
        os.close(write_end)
