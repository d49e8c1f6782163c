"""MP4 writing: RGB frames (+ optional speech audio) to H.264 yuv420p / AAC through imageio-ffmpeg's bundled ffmpeg."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .._lazy import lazy_module
from ..atomic import atomic_path
from ..cancel import check as check_cancelled
from ..errors import AudioError, FormatError

imageio_ffmpeg = lazy_module("imageio_ffmpeg")

__all__ = ["write_mp4", "ONE_THREAD_PIXELS"]

#: Frames up to this many pixels (1280 × 720) are encoded by one x264 thread; larger ones by x264's default threads.
ONE_THREAD_PIXELS = 1280 * 720


def write_mp4(frames: Iterable[np.ndarray], path: str | os.PathLike, fps: float,
              audio: str | os.PathLike | None = None, *, crf: int = 18, n_frames: int | None = None) -> Path:
    """Encode ``frames`` as an H.264 MP4 at ``path``, with ``audio`` muxed in as AAC.

    Parameters
    ----------
    frames : iterable of np.ndarray [shape=(H, W, 3)], uint8 RGB
        All frames share one shape; odd sizes are padded by one pixel (yuv420p needs even sides).
        Frames are streamed to ffmpeg, so a generator keeps memory flat.
    path : output file (.mp4); it appears only when encoding succeeded (atomic).
    fps : frames per second > 0.
    audio : optional audio file (wav, mp3, …) muxed as AAC. The video's length rules: longer audio is cut,
        shorter audio is padded with silence.
    crf : H.264 constant rate factor (lower is better quality; 18 is visually lossless).
    n_frames : how many frames ``frames`` yields, when known: the audio is then encoded in the same ffmpeg run as
        the video (0.3 s less than the second run that otherwise copies the counted video in beside the audio);
        FormatError if ``frames`` yields another number.

    Returns
    -------
    Path of the written file.

    Raises FormatError when there are no frames, frames differ in shape or are not (H, W, 3) uint8, or ffmpeg
    fails; AudioError when ``audio`` is not a file or cannot be decoded.

    Example
    -------
    >>> frames = (np.full((64, 64, 3), i, np.uint8) for i in range(30))
    >>> write_mp4(frames, "grey.mp4", fps=30)  # doctest: +SKIP
    """
    if not (np.isfinite(fps) and fps > 0):
        raise FormatError(f"frame rate must be positive, got {fps}")
    if audio is not None and not Path(audio).is_file():
        raise AudioError(f"audio file {audio} does not exist")
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise FormatError(f"no frames to write to {path}")
    first = _check_frame(first, None, 0)
    h, w = first.shape[:2]
    target = Path(path)
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    with atomic_path(target) as tmp:
        one_run = audio is not None and n_frames is not None
        silent = tmp if audio is None or one_run else tmp.with_name(tmp.stem + ".video.mp4")
        cmd = [ffmpeg, "-y", "-loglevel", "error",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", f"{fps:.6g}", "-i", "-"]
        if one_run:  # audio cut or padded to exactly the video's length
            cmd += ["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "128k",
                    "-af", "apad", "-t", f"{n_frames / fps:.6f}"]
        # x264 keeps up with the renderer on one thread for frames up to ONE_THREAD_PIXELS; its own threads cost
        # CPU (512² speech video: 0.5 s of 8 s) and compete with the renderer for the cores
        threads = ["-threads", "1"] if w * h <= ONE_THREAD_PIXELS else []
        cmd += ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", *threads, "-preset", "veryfast",
                "-crf", str(int(crf)), "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(silent)]
        try:
            try:
                n = _encode(cmd, first, it, (h, w), target)
            except FormatError:
                if one_run:
                    _check_audio(ffmpeg, audio)  # an audio file ffmpeg cannot read is the audio's error
                raise
            if n_frames is not None and n != n_frames:
                raise FormatError(f"{n} frames were rendered for {target.name}, {n_frames} were announced")
            if audio is not None and not one_run:
                # second pass: copy the video, add the audio cut or padded to exactly the video's length
                cmd = [ffmpeg, "-y", "-loglevel", "error", "-i", str(silent), "-i", str(audio),
                       "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k",
                       "-af", "apad", "-t", f"{n / fps:.6f}", "-movflags", "+faststart", str(tmp)]
                _run_for_audio(cmd, audio)
        finally:
            if silent != tmp:
                silent.unlink(missing_ok=True)
    return target


def _encode(cmd: list[str], first: np.ndarray, rest: Iterator[np.ndarray], shape: tuple[int, int],
            target: Path) -> int:
    """Stream frames into ffmpeg ``cmd``; returns the number of frames written."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    _widen_pipe(proc.stdin.fileno(), first.nbytes)
    n = 0
    try:
        proc.stdin.write(first.data)                   # contiguous (_check_frame): written without a copy
        n = 1
        for frame in rest:
            check_cancelled()  # the studio stops a render whose client left
            proc.stdin.write(_check_frame(frame, shape, n).data)
            n += 1
        proc.stdin.close()
    except BrokenPipeError:
        pass
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        err = proc.stderr.read()
        proc.wait()
    if proc.returncode != 0:
        msg = err.decode(errors="replace").strip().splitlines()
        raise FormatError(f"ffmpeg could not write {target.name}: {msg[-1] if msg else proc.returncode}")
    return n


def _widen_pipe(fd: int, frame_bytes: int) -> None:
    """Let the pipe into ffmpeg hold a whole frame (Linux; at most /proc/sys/fs/pipe-max-size, 1 MiB by default).

    With the default 64 KiB a 512² frame (768 KiB) is handed over in 12 pieces, each waiting for ffmpeg to read
    the last; a frame-sized pipe lets the renderer go on while ffmpeg reads (speak --face on 10 s: 0.3 s less wall
    time). Where the size cannot be set, the pipe keeps its default: only slower.
    """
    try:
        import fcntl

        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(max(frame_bytes, 1 << 16), limit))
    except (ImportError, AttributeError, OSError, ValueError):  # not Linux, or the size is refused
        pass


def _check_audio(ffmpeg: str, audio: str | os.PathLike) -> None:
    """Raise AudioError when ffmpeg cannot decode an audio stream from ``audio``."""
    _run_for_audio([ffmpeg, "-loglevel", "error", "-i", str(audio), "-map", "0:a:0", "-t", "0.1", "-f", "null", "-"],
                   audio)


def _run_for_audio(cmd: list[str], audio: str | os.PathLike) -> None:
    """Run the ffmpeg command ``cmd`` that reads ``audio``; AudioError with ffmpeg's last line when it fails."""
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise AudioError(f"cannot add audio {audio}: {msg[-1] if msg else proc.returncode}")


def _check_frame(frame: np.ndarray, shape: tuple[int, int] | None, i: int) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise FormatError(f"frame {i} has shape {frame.shape} and dtype {frame.dtype}, expected (H, W, 3) uint8")
    if shape is not None and frame.shape[:2] != shape:
        raise FormatError(f"frame {i} is {frame.shape[1]}x{frame.shape[0]}, the first was {shape[1]}x{shape[0]}")
    return np.ascontiguousarray(frame)
