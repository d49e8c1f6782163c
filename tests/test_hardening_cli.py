"""Bad input on the command line (issue 19): exit 2, one error line, no traceback, no leftover file, input untouched.

Most cases run ``facsynth.cli.main`` in this process; a subprocess only where the process itself is measured
(peak memory, CPU time) or signalled.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from facsynth.atomic import WORK_PREFIX, atomic_write
from facsynth.cli import main
from facsynth.errors import AUSpecError, ModelError
from facsynth.facs import parse_au_spec, parse_intensity

BAD_INTENSITIES = ["nan", "-1", "foo", "1e400", "F", "inf"]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fails(capsys, folder: Path, *args) -> str:
    """Run the CLI; assert exit 2, exactly one error line and no traceback, and that ``folder`` is unchanged."""
    before = snapshot(folder)
    rc = main([str(a) for a in args])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("facsynth: error: ")]
    assert rc == 2, err
    assert len(errors) == 1 and "Traceback" not in err, err
    assert snapshot(folder) == before, "an input changed or an output was left behind"
    assert not [p for p in folder.iterdir() if p.name.startswith(WORK_PREFIX)]
    return errors[0]


@pytest.fixture
def work(tmp_path) -> Path:
    """A folder with small inputs: a 2-row CSV, a 0-frame and a deeply nested JSON track, a NaN float WAV."""
    (tmp_path / "s.csv").write_text("frame,timestamp,AU12_r\n1,0.0,1\n2,0.033,2\n")
    (tmp_path / "zero.json").write_text(json.dumps({"fps": 30, "aus": ["AU12"], "frames": []}))
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "huge_fps.json").write_text(json.dumps({"fps": 1e308, "aus": ["AU12"], "frames": [[1.0], [2.0]]}))
    samples = np.zeros(8000, np.float32)
    samples[100] = np.nan
    sf.write(tmp_path / "nan.wav", samples, 16000, subtype="FLOAT")
    return tmp_path


# ---------------------------------------------------------------- sizes and numbers

@pytest.mark.parametrize("option,value,fragment", [
    ("--fps", "1e9", "1000 fps"), ("--fps", "nan", "frame rate"), ("--fps", "0", "positive"),
    ("--fps", "-30", "positive"), ("--smooth", "1e9", "up to 60"), ("--smooth", "-1", "non-negative"),
    ("--scale", "-2", "≥ 0"), ("--scale", "nan", "≥ 0"),
])
def test_track_options_are_bounded(capsys, work, option, value, fragment):
    assert fragment in fails(capsys, work, "track", work / "s.csv", option, value, "-o", work / "out.csv")


def test_speak_options_are_bounded(capsys, work):
    assert "1000 fps" in fails(capsys, work, "speak", work / "nan.wav", "--fps", "1e9", "-o", work / "a.csv")
    assert "frame rate" in fails(capsys, work, "speak", work / "nan.wav", "--fps", "nan", "-o", work / "a.csv")
    assert "positive" in fails(capsys, work, "speak", work / "nan.wav", "--fps", "0", "-o", work / "a.csv")
    assert "--seed" in fails(capsys, work, "speak", work / "nan.wav", "--seed", "-1", "-o", work / "a.csv")


def test_mesh_size_is_bounded(capsys, work):
    assert "16–4096" in fails(capsys, work, "mesh", "--aus", "AU12", "--size", "100000", "-o", work / "x.png")
    assert "16–4096" in fails(capsys, work, "mesh", "--aus", "AU12", "--size", "0", "-o", work / "x.png")


def test_absurd_sizes_fail_fast_in_little_memory(tmp_path):
    """--fps 1e9 and friends: < 1 s of CPU each and < 200 MB peak, measured in a fresh process after a warm-up."""
    (tmp_path / "s.csv").write_text("frame,timestamp,AU12_r\n1,0.0,1\n2,0.033,2\n")
    sf.write(tmp_path / "quiet.wav", np.zeros(1600, np.float32), 16000)
    code = """
import json, resource, sys
from facsynth.cli import main
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
cases, out = json.loads(sys.argv[1]), {}
main(cases[0])  # warm-up: imports are not the failure's cost
for args in cases[1:]:
    t = cpu()
    out[" ".join(args)] = [main(args), cpu() - t]
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"runs": out, "peak_mb": peak}))
"""
    s, wav = str(tmp_path / "s.csv"), str(tmp_path / "quiet.wav")
    cases = [["track", s, "--fps", "60"],
             ["track", s, "--fps", "1e9"], ["track", s, "--smooth", "1e9"], ["track", s, "--fps", "1e308"],
             ["mesh", "--aus", "AU12", "--size", "100000", "-o", str(tmp_path / "x.png")],
             ["speak", wav, "--fps", "1e9", "-o", str(tmp_path / "a.csv")]]
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(cases)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, (rc, seconds) in result["runs"].items():
        assert rc == 2 and seconds < 1.0, (name, rc, seconds)
    assert result["peak_mb"] < 200, result
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quiet.wav", "s.csv"]


# ---------------------------------------------------------------- tracks and files

def test_bad_track_files(capsys, work):
    assert "no frames" in fails(capsys, work, "mesh", "--track", work / "zero.json", "-o", work / "x.glb")
    assert "no frames" in fails(capsys, work, "track", work / "zero.json")
    assert "recursion" in fails(capsys, work, "track", work / "deep.json")
    assert "1000 fps" in fails(capsys, work, "track", work / "huge_fps.json")


@pytest.mark.parametrize("stamps,fragment", [
    ("0.2,0.1,0.0", "timestamp"), ("0.0,0.0,0.0", "timestamp"), ("-0.1,0.0,0.1", "timestamp"),
])
def test_bad_timestamps(capsys, work, stamps, fragment):
    rows = "".join(f"{i + 1},{t},1\n" for i, t in enumerate(stamps.split(",")))
    (work / "t.csv").write_text("frame,timestamp,AU12_r\n" + rows)
    assert fragment in fails(capsys, work, "track", work / "t.csv")


def test_nan_audio_is_one_line_everywhere(capsys, work, hopper):
    from PIL import Image

    Image.fromarray(hopper).save(work / "face.png")
    assert "NaN" in fails(capsys, work, "speak", work / "nan.wav", "-o", work / "a.csv")
    assert "NaN" in fails(capsys, work, "mesh", "--audio", work / "nan.wav", "-o", work / "a.glb")
    assert "NaN" in fails(capsys, work, "edit", work / "face.png", "--audio", work / "nan.wav", "-o", work / "a.mp4")


def test_edit_refuses_to_overwrite_its_input(capsys, work, hopper):
    from PIL import Image

    Image.fromarray(hopper).save(work / "face.png")
    assert "--overwrite" in fails(capsys, work, "edit", work / "face.png", "--aus", "AU12=3", "-o", work / "face.png")


# ---------------------------------------------------------------- one AU-spec reader

@pytest.mark.parametrize("raw", BAD_INTENSITIES)
def test_one_intensity_reader_refuses_the_same_strings_everywhere(capsys, work, raw):
    with pytest.raises(AUSpecError):
        parse_intensity(raw)
    with pytest.raises(AUSpecError):
        parse_au_spec(f"AU12={raw}")
    assert "AU12" in fails(capsys, work, "parse", f"AU12={raw}", "--json").upper()
    assert "AU12" in fails(capsys, work, "describe", "--aus", f"AU12={raw}").upper()


def test_good_intensities_still_read():
    assert parse_au_spec("AU12=D,AU6:3.5") == {12: 4.0, 6: 3.5}
    assert parse_intensity("-0") == 0.0 and parse_intensity(2) == 2.0
    assert main(["parse", "AU12=D", "--json"]) == 0


# ---------------------------------------------------------------- messages

def test_bad_checkpoint_is_one_line(tmp_path):
    from facsynth.render.gan import load_generator

    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError) as e:
        load_generator(bad)
    assert "\n" not in str(e.value) and "torch.load" not in str(e.value)


def test_emotion_file_with_every_line_skipped_exits_2(capsys, tmp_path):
    (tmp_path / "lines.txt").write_text("12345\n\n!!!\n")
    assert "no line" in fails(capsys, tmp_path, "emotion", "--file", tmp_path / "lines.txt")


def test_busy_port_is_one_line(capsys, tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        message = fails(capsys, tmp_path, "serve", "--port", sock.getsockname()[1])
    assert "in use" in message
    assert "studio on" not in capsys.readouterr().out


def test_long_silence_warns_like_short(capsys, tmp_path):
    """Past 60 s the audio is streamed in chunks; silence must still be reported."""
    sf.write(tmp_path / "quiet.wav", np.zeros(62 * 16000, np.int16), 16000)
    assert main(["speak", str(tmp_path / "quiet.wav"), "-o", str(tmp_path / "q.csv")]) == 0
    assert "silent" in capsys.readouterr().err


# ---------------------------------------------------------------- leftovers

def test_work_folders_of_killed_processes_are_swept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{WORK_PREFIX}{dead.pid}-abc123"
    stale.mkdir()
    (stale / "out.mp4").write_bytes(b"half")
    alive = tmp_path / f"{WORK_PREFIX}{os.getpid()}-live99"
    alive.mkdir()
    with atomic_write(tmp_path / "out.txt") as fh:
        fh.write("done")
    assert not stale.exists() and alive.exists()
    assert (tmp_path / "out.txt").read_text() == "done"


def test_sigterm_during_an_mp4_write_leaves_nothing(tmp_path):
    frames = [[(i % 60) / 12, (i % 30) / 6] for i in range(3000)]
    (tmp_path / "long.json").write_text(json.dumps({"fps": 30, "aus": ["AU12", "AU26"], "frames": frames}))
    proc = subprocess.Popen([sys.executable, "-m", "facsynth", "mesh", "--track", "long.json", "--size", "64",
                             "-o", "out.mp4"], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(WORK_PREFIX) for p in tmp_path.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "the render never started"
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["long.json"]
