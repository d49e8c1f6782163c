"""Whole processes, as a user runs them: every CLI command on the shared data, wall time, CPU time and peak memory.

Each command runs once to warm up (disk cache, numba's and facsynth's caches), then 5 times; the median is shown
(the 10-minute file runs once, after the other speak runs warmed the caches).
Peak memory is that of the whole process tree: the peak resident set (``VmHWM``) of each process in the tree, read
from /proc every 5 ms while it runs, summed over the processes (an upper bound when children do not peak
together). ``ru_maxrss`` is not used: a child inherits its parent's peak across fork, and this runner may be large.
CPU time is user + system of the tree (wait4), which other jobs sharing the machine distort less than wall time.
One thread: OMP/MKL/OpenBLAS threads are set to 1 in the children. Bytecode is written (PYTHONDONTWRITEBYTECODE is
dropped from the children's environment), as an installed package runs: the warm-up compiles facsynth's sources once;
without it every run recompiled them (about 0.3 s of CPU for ``speak``).

The first-run rows use an empty facsynth cache (``FACSYNTH_CACHE``): they include exporting MiniLM to ONNX once.
``speak --face`` and ``edit`` run on a photo whose detected face the cache holds after the warm-up
(render.rig_cache); their "first use of a photo" rows give each run a copy of the photo with random corner pixels,
so the face is detected (MediaPipe imported and run) every time.
The Python-API rows load models once per process and then reuse them (first call vs. the median of warm calls).

``python benchmarks/bench_processes.py [--repeats N] [--only TEXT ...]`` prints the table as Markdown (the README's);
``--only`` keeps the commands whose label holds one of the TEXTs (``--only speak`` for the speech rows; ``API`` for
the Python-API rows). ``benchmarks/run.py`` prints all rows with the other benchmarks.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SPEECH = SHARED / "speech"
PHOTO = SHARED / "faces" / "grace_hopper_512x512.jpg"
FACSYNTH = [sys.executable, "-m", "facsynth"]
REPEATS = 5


def _vmhwm_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def measure(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, float, float]:
    """Run ``argv`` to completion; returns (wall s, CPU s of the tree, peak MB of the tree). RuntimeError if it fails."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    root = psutil.Process(proc.pid)
    peaks: dict[int, int] = {}
    while True:
        try:
            tree = [root.pid] + [c.pid for c in root.children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = []
        for pid in tree:
            try:
                peaks[pid] = max(peaks.get(pid, 0), _vmhwm_kb(pid))
            except OSError:  # ended between listing and reading
                pass
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.005)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed: {err.strip()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, sum(peaks.values()) / 1024


def _median_run(argv: list[str], env: dict[str, str], cwd: Path, repeats: int = REPEATS,
                warm_up: bool = True) -> tuple[float, float, float]:
    if warm_up:
        measure(argv, env, cwd)
    runs = [measure(argv, env, cwd) for _ in range(repeats)]
    return tuple(float(statistics.median(r[i] for r in runs)) for i in range(3))  # type: ignore[return-value]


def _new_photo_runs(argv: list[str], env: dict[str, str], cwd: Path, repeats: int) -> tuple[float, float, float]:
    """Median (wall, CPU, peak MB) of ``argv`` with its photo (``--face PHOTO``, or ``edit PHOTO``) replaced, run by
    run, by a copy whose corner pixel is random: a photo whose face the cache has not seen (not even in an earlier
    benchmark run)."""
    from PIL import Image

    at = argv.index("--face") + 1 if "--face" in argv else argv.index("edit") + 1
    photo = np.asarray(Image.open(argv[at]).convert("RGB")).copy()
    rng = np.random.default_rng()
    runs = []
    for k in range(repeats):
        photo[0, :8] = rng.integers(0, 256, (8, 3), dtype=np.uint8)
        path = cwd / f"new_photo_{k}.png"
        Image.fromarray(photo).save(path)
        run_argv = list(argv)
        run_argv[at] = str(path)
        runs.append(measure(run_argv, env, cwd))
    return tuple(float(statistics.median(r[i] for r in runs)) for i in range(3))  # type: ignore[return-value]


def _audio(folder: Path) -> dict[str, tuple[Path, float, str]]:
    """The clips the commands read: name → (wav, seconds, transcript)."""
    import soundfile as sf

    rows = [line.split("\t") for line in (SPEECH / "transcripts.tsv").read_text().splitlines()[1:]]
    libri = [(SPEECH / f, t) for f, t in rows if f.startswith("librivox/")]
    clips = [sf.read(f, dtype="float32")[0] for f, _ in libri]
    made = {}
    for name, parts, text in [
        ("24.7 s", clips, " ".join(t for _, t in libri)),
        ("10 s", clips[:2], " ".join(t for _, t in libri[:2])),
        ("10 min", clips * 25, ""),
    ]:
        x = np.concatenate(parts)
        if name == "10 min":
            x = x[: 600 * 16000]
        path = folder / f"speech_{name.replace(' ', '').replace('.', '_')}.wav"
        sf.write(path, x, 16000)
        made[name] = (path, len(x) / 16000, text)
    return made


def commands(folder: Path) -> list[tuple[str, list[str], str, int]]:
    """(label, argv, target, repeats) for every CLI command, on files made in ``folder`` from the shared data."""
    audio = _audio(folder)
    long_wav, long_s, long_text = audio["24.7 s"]
    ten_wav, ten_s, ten_text = audio["10 s"]
    tenmin_wav, tenmin_s, _ = audio["10 min"]
    track = folder / "track.csv"
    subprocess.run(FACSYNTH + ["speak", str(SPEECH / "goforward.wav"), "-o", str(track)], check=True,
                   capture_output=True)
    smile = folder / "smile.png"
    subprocess.run(FACSYNTH + ["edit", str(PHOTO), "--text", "she smiles broadly", "-o", str(smile)], check=True,
                   capture_output=True)
    return [
        ("facsynth --help", FACSYNTH + ["--help"], "fast", REPEATS),
        ("describe --aus AU1=2,AU12=4", FACSYNTH + ["describe", "--aus", "AU1=2,AU12=4"], "≤ 0.5 s", REPEATS),
        ("parse \"she raises her inner brows … smiles\"",
         FACSYNTH + ["parse", "she raises her inner brows slightly and smiles", "--json"], "≤ 0.5 s", REPEATS),
        ("emotion \"one sentence\"", FACSYNTH + ["emotion", "I can't believe you did this to me!"], "≤ 1.5 s",
         REPEATS),
        ("track csv → json at 60 fps", FACSYNTH + ["track", str(track), "--fps", "60", "-o", str(folder / "t.json")],
         "-", REPEATS),
        ("mesh --emotion happiness:4 -o .glb",
         FACSYNTH + ["mesh", "--emotion", "happiness:4", "-o", str(folder / "happy.glb")], "-", REPEATS),
        ("edit photo --text … -o .png (photo's face cached)",
         FACSYNTH + ["edit", str(PHOTO), "--text", "she smiles broadly", "-o", str(folder / "e.png")], "≤ 1.5 s",
         REPEATS),
        ("analyze smile.png --neutral photo",
         FACSYNTH + ["analyze", str(smile), "--neutral", str(PHOTO), "-o", str(folder / "a.csv")], "-", REPEATS),
        ("speak goforward.wav (2.8 s, phones recognised)",
         FACSYNTH + ["speak", str(SPEECH / "goforward.wav"), "-o", str(folder / "g.csv")], "-", REPEATS),
        (f"speak {long_s:.1f} s clip --transcript (72 words)",
         FACSYNTH + ["speak", str(long_wav), "--transcript", long_text, "-o", str(folder / "l.csv")],
         "≤ 2.5 s, ≤ 400 MB", REPEATS),
        (f"speak {ten_s:.1f} s --transcript --face photo -o .mp4 (photo's face cached)",
         FACSYNTH + ["speak", str(ten_wav), "--transcript", ten_text, "--face", str(PHOTO), "-o",
                     str(folder / "t.mp4")], "≤ 5 s", REPEATS),
        (f"speak {tenmin_s / 60:.0f}-minute file (phones recognised)",
         FACSYNTH + ["speak", str(tenmin_wav), "-o", str(folder / "m.csv")], "≤ 30 s (≥ 20× real time)", 1),
    ]


_API = r"""
import sys, time, json
t0 = time.perf_counter()
import facsynth
audio, text = sys.argv[1], sys.argv[2]
jobs = {
    "classify_emotion": lambda: facsynth.classify_emotion("I can't believe you did this to me!"),
    "parse": lambda: facsynth.parse("she raises her inner brows slightly and smiles"),
    "speak (24.7 s, transcript)": lambda: facsynth.speak(audio, transcript=text),
}
out = {"import": time.perf_counter() - t0}
for name, job in jobs.items():
    t = time.perf_counter(); job(); first = time.perf_counter() - t
    warm = []
    for _ in range(5):
        t = time.perf_counter(); job(); warm.append(time.perf_counter() - t)
    warm.sort()
    out[name] = [first, warm[2]]
print(json.dumps(out))
"""


def _api_rows(long_wav: Path, text: str, env: dict[str, str]) -> list[tuple[str, float, str, str]]:
    import json

    done = subprocess.run([sys.executable, "-c", _API, str(long_wav), text], env=env, capture_output=True,
                          text=True, check=True)
    res = json.loads(done.stdout.strip().splitlines()[-1])
    rows = [("API: import facsynth", res.pop("import"), "s", "-")]
    for name, (first, warm) in res.items():
        rows.append((f"API {name}: first call (loads models)", first, "s", "-"))
        rows.append((f"API {name}: warm call (median of 5)", warm, "s", "-"))
    return rows


def table(repeats: int = REPEATS, only: list[str] | None = None
          ) -> tuple[list[tuple[str, float, float, float, str]], list[tuple[str, float, str, str]]]:
    """(command rows (label, wall s, CPU s, peak MB, target), API rows) measured now, median of ``repeats``;
    ``only``: just the commands whose label holds one of these strings (and the API rows if one is "API")."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="facsynth-bench-") as tmp:
        folder = Path(tmp)
        cmds = [c for c in commands(folder) if only is None or any(o in c[0] for o in only)]
        for label, argv, target, n in cmds:
            try:
                wall, cpu, peak = _median_run(argv, env, folder, min(repeats, n), warm_up=n > 1)
            except RuntimeError as e:  # one broken command should not hide the others' figures
                print(e, file=sys.stderr)
                wall = cpu = peak = float("nan")
            rows.append((label, wall, cpu, peak, target))
        for i, (label, argv, target, n) in enumerate(cmds):
            if label.startswith(("emotion", "speak 24.7")):  # each with a cache of its own, empty
                cold = {**env, "FACSYNTH_CACHE": str(folder / f"empty_cache_{i}")}
                wall, cpu, peak = measure(argv, cold, folder)
                rows.append((f"first run, empty cache: {label}", wall, cpu, peak, "once"))
            if "--face" in label or label.startswith("edit"):  # a photo never seen: its face is detected (and cached)
                wall, cpu, peak = _new_photo_runs(argv, env, folder, min(repeats, n))
                rows.append((f"first use of a photo: {label.split(' (')[0]}", wall, cpu, peak, "once per photo"))
        api = []
        if only is None or "API" in only:
            audio = _audio(folder)["24.7 s"]
            api = _api_rows(audio[0], audio[2], env)
    return rows, api


def run():
    rows, api = table()
    out = []
    for label, wall, cpu, peak, target in rows:
        out.append((f"process: {label}: wall", wall, "s", target))
        out.append((f"process: {label}: CPU", cpu, "s", "-"))
        out.append((f"process: {label}: peak RSS", peak, "MB", "-"))
    return out + api


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="whole-process wall time, CPU time and peak memory of each command")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"measured runs per command (default {REPEATS})")
    parser.add_argument("--only", nargs="+", metavar="TEXT", help="commands whose label holds TEXT; API: the API rows")
    args = parser.parse_args()
    rows, api = table(args.repeats, args.only)
    print("| command (whole process, one thread) | wall (median) | CPU | peak memory | target |")
    print("|---|---|---|---|---|")
    for label, wall, cpu, peak, target in rows:
        print(f"| `{label}` | {wall:.2f} s | {cpu:.2f} s | {peak:.0f} MB | {target} |")
    if api:
        print()
        print("| Python API, one process | seconds |")
        print("|---|---|")
        for what, value, _, _ in api:
            print(f"| {what} | {value:.3f} |")
