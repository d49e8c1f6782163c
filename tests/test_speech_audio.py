"""Audio loading and bad input: formats and rates, 0 bytes, video, unknown format, silence, noise, clipping, and
bounded memory on a long file."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf

from facsynth.commands.speak import bundled_utterance
from facsynth.errors import AudioError
from facsynth.speech import speak
from facsynth.speech.audio import audio_info, check_sample_rate, iter_audio, load_audio
from facsynth.speech.rules import rules_track, split_at_pauses


@pytest.fixture(scope="module")
def utterance():
    return load_audio(bundled_utterance())


@pytest.mark.parametrize("fmt,sr,channels", [("wav", 44100, 2), ("flac", 22050, 1), ("ogg", 48000, 1),
                                              ("mp3", 44100, 2)])
def test_formats_and_rates_load_to_16k_mono(tmp_path, utterance, fmt, sr, channels):
    import soxr

    y = soxr.resample(utterance, 16000, sr)
    data = np.stack([y] * channels, axis=1) if channels > 1 else y
    path = tmp_path / f"u.{fmt}"
    sf.write(str(path), data, sr)
    back = load_audio(path)
    assert back.ndim == 1 and back.dtype == np.float32
    assert abs(len(back) - len(utterance)) < 0.06 * 16000  # mp3 adds encoder padding
    n = min(len(back), len(utterance))
    if fmt in ("wav", "flac"):
        assert np.corrcoef(back[:n], utterance[:n])[0, 1] > 0.99


def test_streamed_blocks_equal_whole_file(tmp_path, utterance):
    import soxr

    path = tmp_path / "u.wav"
    sf.write(str(path), soxr.resample(utterance, 16000, 44100), 44100)
    whole = load_audio(path)
    streamed = np.concatenate(list(iter_audio(path, block_seconds=0.3)))
    assert len(streamed) == len(whole) and np.allclose(streamed, whole, atol=1e-5)


def test_chunks_cut_at_quiet_points(utterance):
    y = np.concatenate([utterance, np.zeros(8000, np.float32)] * 20)
    chunks = list(split_at_pauses(iter([y[i:i + 48000] for i in range(0, len(y), 48000)]), target_seconds=10))
    assert sum(len(c) for _, c in chunks) == len(y)
    assert all(abs(c[:160]).max() < 0.05 for _, c in chunks[1:])  # each chunk begins in a quiet spot
    assert [o for o, _ in chunks] == list(np.cumsum([0] + [len(c) for _, c in chunks[:-1]]))


@pytest.mark.parametrize("name,content", [("empty.wav", b""), ("text.wav", b"hello, I am not audio\n" * 50),
                                          ("data.xyz", bytes(range(256)) * 40)])
def test_unreadable_files_are_audio_errors(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioError):
        speak(path)


def test_missing_file_and_video_are_audio_errors(tmp_path, shared_data, cli):
    with pytest.raises(AudioError, match="no such"):
        audio_info(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="video"):
        speak(shared_data / "talking" / "bbaf2n.mpg")
    renamed = tmp_path / "clip.wav"
    renamed.write_bytes((shared_data / "talking" / "bbaf2n.mpg").read_bytes())
    res = cli("speak", renamed, "-o", tmp_path / "out.csv")
    assert res.returncode == 2 and "video" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out.csv").exists()


def test_silence_gives_a_neutral_track_with_a_warning(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros(32000, np.float32), 16000)
    with pytest.warns(UserWarning, match="silent"):
        track = speak(path)
    assert track.n_frames == 60 and track.values.max() == 0


def test_noise_and_clipping_do_not_crash(tmp_path, utterance):
    rng = np.random.default_rng(0)
    noise = tmp_path / "noise.wav"
    sf.write(str(noise), (0.3 * rng.standard_normal(48000)).astype(np.float32), 16000)
    with pytest.warns(UserWarning, match="noise"):
        track = speak(noise)
    assert track.n_frames == 90 and track.values.max() == 0
    music = tmp_path / "music.wav"
    t = np.arange(48000) / 16000
    sf.write(str(music), (0.2 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 2 * t)).astype(np.float32), 16000)
    track = speak(music)
    assert track.n_frames == 90 and track.values.max() <= 5
    clipped = tmp_path / "clipped.wav"
    sf.write(str(clipped), np.clip(utterance * 20, -1, 1), 16000)
    with pytest.warns(UserWarning, match="clipped"):
        track = speak(clipped, transcript="go forward ten meters")
    assert track.curve(26).max() > 1.0


def _peak_growth_mb(path) -> tuple[int, float]:
    """(frames, peak RSS growth in MB) of speak(path) in a fresh process, after a warm-up call."""
    script = textwrap.dedent(f"""
        import warnings
        warnings.simplefilter("ignore")
        from facsynth.speech import speak
        def peak_mb():  # VmHWM is this process image's own peak; ru_maxrss would inherit pytest's across fork
            return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
        speak({str(bundled_utterance())!r})
        before = peak_mb()
        track = speak({str(path)!r})
        print(track.n_frames, peak_mb() - before)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    frames, grew = out.stdout.split()
    return int(frames), float(grew)


def test_long_file_streams_with_bounded_memory(tmp_path, utterance):
    """Peak memory does not grow with the length of the file: 70 s and 190 s of 48 kHz stereo (the extra 120 s
    are 46 MB as float32 samples) raise the peak by about the same amount."""
    import soxr

    y = soxr.resample(np.concatenate([utterance, np.zeros(4 * 16000, np.float32)]), 16000, 48000)
    growth = []
    for seconds in (70, 190):
        path = tmp_path / f"long{seconds}.flac"
        with sf.SoundFile(str(path), "w", 48000, 2) as fh:
            for _ in range(int(seconds / (len(y) / 48000)) + 1):
                fh.write(np.stack([y, y], axis=1))
        frames, grew = _peak_growth_mb(path)
        assert frames >= seconds * 30
        growth.append(grew)
    assert growth[1] - growth[0] < 15, f"peak RSS grew {growth[0]:.0f} MB for 70 s, {growth[1]:.0f} MB for 190 s"
    assert growth[1] < 150


@pytest.mark.parametrize("samples", [1, 800, 2400])
def test_very_short_audio_gives_a_short_track(tmp_path, utterance, samples):
    path = tmp_path / "short.wav"
    sf.write(str(path), utterance[8000:8000 + samples], 16000)
    for text in (None, "go"):
        track = speak(path, transcript=text)
        assert track.n_frames == max(1, int(np.ceil(samples / 16000 * 30))) and track.values.max() <= 5


def test_samples_at_another_rate_are_refused(utterance):
    check_sample_rate(16000)
    with pytest.raises(AudioError, match="needs 16000 Hz audio, got 44100 Hz"):
        rules_track(utterance, "go forward ten meters", sr=44100)
