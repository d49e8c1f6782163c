"""facsynth augment on a real Ray cluster: `ray start` head + 2 one-CPU workers on loopback, a worker killed mid-run.

Checks the issue's "done when": every row present exactly once, failures (corrupt file, no face) are rows, and the
AUs re-read from the images (facsynth.face.analyze) match the spec.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from test_augment import SPEC, make_photos

RAY = str(Path(sys.executable).with_name("ray"))
N_GOOD = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_started(log: Path, proc: subprocess.Popen, timeout: float) -> bool:
    """Wait until a `ray start --block` has its node up (it then says it will block): True; False if it exited
    first (printing its log, which pytest shows if the test fails)."""
    deadline = time.monotonic() + timeout
    while "will now block" not in log.read_text(errors="replace"):
        if proc.poll() is not None:
            print(f"ray start exited ({proc.returncode}):", log.read_text(errors="replace")[-3000:])
            return False
        assert time.monotonic() < deadline, f"ray start not up after {timeout} s: {log.read_text()[-1500:]}"
        time.sleep(0.2)
    return True


@pytest.fixture
def ray_cluster(monkeypatch):
    """A head node (no CPUs: it only schedules) and two worker nodes with one CPU each, all `ray start --block`
    on 127.0.0.1 with a private temp folder; yields the address. Torn down by SIGTERM to the three `ray start`
    processes (each kills its node), then any process still naming the temp folder is killed. Token
    authentication is off for this loopback cluster (RAY_AUTH_MODE=disabled, for the test's drivers too)."""
    import psutil

    tmp = tempfile.mkdtemp(prefix="fsray", dir="/tmp")       # short: Ray's socket paths must stay < 108 chars
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    env = dict(os.environ, OMP_NUM_THREADS="1", RAY_USAGE_STATS_ENABLED="0")
    common = ["--block", "--node-ip-address", "127.0.0.1", "--disable-usage-stats"]
    procs: list[subprocess.Popen] = []

    def node(name: str, args: Callable[[], list[str]]) -> None:
        """Start a node and wait for it; a `ray start` that exits early (a port taken meanwhile) is retried."""
        for attempt in range(3):
            log = Path(tmp) / f"{name}{attempt}.log"
            with open(log, "w") as fh:
                procs.append(subprocess.Popen([RAY, "start", *args(), *common], env=env, stdout=fh,
                                              stderr=subprocess.STDOUT))
            if _wait_started(log, procs[-1], 150):
                return
        raise AssertionError(f"ray start {name} failed 3 times")

    port = 0

    def head_args() -> list[str]:
        nonlocal port
        port = _free_port()
        return ["--head", "--port", str(port), "--num-cpus", "0", "--include-dashboard", "false", "--temp-dir", tmp]

    try:
        node("head", head_args)
        for i in (1, 2):
            node(f"worker{i}", lambda: ["--address", f"127.0.0.1:{port}", "--num-cpus", "1"])
        yield f"127.0.0.1:{port}"
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for proc in psutil.process_iter(["pid", "cmdline"]):
            if any(tmp in part for part in (proc.info["cmdline"] or [])):
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_for_cpus(address: str, n: int, timeout: float) -> None:
    import ray

    ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    try:
        deadline = time.monotonic() + timeout
        while ray.cluster_resources().get("CPU", 0) < n:
            assert time.monotonic() < deadline, f"the cluster has {ray.cluster_resources()} after {timeout} s"
            time.sleep(0.5)
    finally:
        ray.shutdown()


def _kill_a_worker_midrun(out: Path, killed: list, stop: threading.Event) -> None:
    """Once 3 photos are done, SIGKILL one Ray worker process while it runs an augment_photo task."""
    import psutil

    while not stop.is_set():
        if len(list((out / "shards").glob("*.parquet"))) >= 3:
            for proc in psutil.process_iter(["pid", "cmdline"]):
                if (proc.info["cmdline"] or [""])[0].startswith("ray::augment_photo"):
                    proc.send_signal(signal.SIGKILL)
                    killed.append(proc.info["pid"])
                    return
        time.sleep(0.05)


def test_augment_on_a_ray_cluster_survives_a_killed_worker(tmp_path, ray_cluster, cli):
    from facsynth.augment import read_labels

    photos = make_photos(tmp_path / "photos", N_GOOD)
    (tmp_path / "spec.txt").write_text(SPEC, encoding="utf-8")
    _wait_for_cpus(ray_cluster, 2, 60)
    out = tmp_path / "out"
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_a_worker_midrun, args=(out, killed, stop), daemon=True)
    killer.start()
    try:
        run = cli("augment", tmp_path / "photos", "--spec", tmp_path / "spec.txt", "-o", out, "--address",
                  ray_cluster, "--no-identity", "--seed", "7", timeout=300)
    finally:
        stop.set()
        killer.join()
    assert run.returncode == 0, run.stderr[-2000:]
    assert killed, "no worker was running an augment_photo task to kill"
    rows = read_labels(out / "labels.parquet")
    keys = [(r["photo_key"], r["index"]) for r in rows]
    assert len(keys) == len(set(keys)) == len(photos) * 6                     # every row, exactly once
    assert not any(r["status"].startswith("lost:") for r in rows)            # the killed task was retried
    by = {k: r for k, r in zip(keys, rows)}
    good = [p.stem for p in photos[:N_GOOD]]
    for key in good:
        for j in range(6):
            assert by[(key, j)]["status"] == "ok", by[(key, j)]["status"]
            assert (out / by[(key, j)]["output"]).is_file()
    assert all("not an image" in by[("corrupt", j)]["status"] for j in range(6))
    assert all(by[("noface", j)]["status"].startswith("no face found") for j in range(6))
    assert by[(good[0], 0)]["emotion"] == "happiness" and by[(good[0], 0)]["AU12_r"] > 4
    assert by[(good[0], 2)]["AU01_r"] == 3 and by[(good[0], 2)]["AU02_r"] == 3
    randoms = {tuple(round(by[(k, j)][f"AU{a:02d}_r"], 1) for a in (4, 12, 26)) for k in good for j in (4, 5)}
    assert len(randoms) > 10                                                  # sampled per photo, not one draw
    csv_lines = (out / "labels.csv").read_text(encoding="utf-8").strip().splitlines()
    assert len(csv_lines) == len(rows) + 1
    _labels_reread_from_images_match(photos, out, by)


def _labels_reread_from_images_match(photos: list[Path], out: Path, by: dict) -> None:
    """analyze() against the source photo on a sample of two near-neutral photos (the spec's targets are
    absolute, so a photo that already smiles moves less; analyze reads the change): the AUs read back are
    within 1.2 of the labels on average, a smile reads as a smile, raised brows as raised brows (generous)."""
    from facsynth.face.analyze import analyze
    from facsynth.formats.image import read_image
    from facsynth.render.photo import expression_renderer, rig_photo

    aus = (1, 2, 12, 26)
    neutral = [p for p in photos[:N_GOOD] if sum(rig_photo(read_image(p)).own.values()) < 1.0][:2]
    assert len(neutral) == 2
    for photo in neutral:
        source = read_image(photo)
        got, errors = {}, []
        for j in (0, 1, 2):
            row = by[(photo.stem, j)]
            track = analyze(read_image(out / row["output"]), neutral=source, render=expression_renderer, aus=aus)
            got[j] = dict(zip(aus, np.asarray(track.values[0], float)))
            errors += [abs(got[j][a] - row[f"AU{a:02d}_r"]) for a in aus]
        happy, surprised, brows = got[0], got[1], got[2]
        assert np.mean(errors) <= 1.2, (photo.name, got)
        assert happy[12] >= 1.5 and happy[12] > surprised[12] + 1.0, (photo.name, got)
        assert surprised[1] + surprised[2] > happy[1] + happy[2] + 1.0, (photo.name, got)
        assert brows[1] + brows[2] >= 2.0 and brows[12] < 1.0, (photo.name, got)
