"""Studio latency over real HTTP on 127.0.0.1: what a slider move costs (re-expressed photo, sentence, mesh).

The server runs as ``facsynth serve`` in its own process, as a user runs it.
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import numpy as np
from PIL import Image

PHOTO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "faces" / "grace_hopper_512x512.jpg"


def _median_ms(fn, n: int = 7) -> float:
    fn()  # warm up (model loading, caches)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


@contextlib.contextmanager
def _serve() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "facsynth", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{url}/api/health", timeout=5).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("facsynth serve did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


def run():
    out = []
    levels = np.linspace(0.5, 5, 7)
    with _serve() as url, httpx.Client(base_url=url, timeout=120) as http:
        def edit_default(i: int = 0):
            r = http.post("/api/edit", data={"aus": f"AU12={levels[i]:.2f},AU6=2"})
            r.raise_for_status()

        out.append(("slider move → PNG, default face (HTTP round trip)", _median_ms(edit_default), "ms", "≤ 1000"))
        if PHOTO.exists():
            photo = PHOTO.read_bytes()
            pid = http.post("/api/photos", files={"image": ("p.jpg", photo, "image/jpeg")}).json()["id"]
            size = Image.open(PHOTO).size

            def edit_photo(i: int = 0):
                r = http.post("/api/edit", data={"photo": pid, "aus": f"AU12={levels[i]:.2f},AU26=2"})
                r.raise_for_status()

            out.append((f"slider move → PNG, {size[0]}×{size[1]} photo", _median_ms(edit_photo), "ms", "≤ 1000"))

        def describe(i: int = 0):
            http.post("/api/describe", json={"aus": {"12": float(levels[i]), "1": 2}}).raise_for_status()

        out.append(("slider move → describe() sentence", _median_ms(describe), "ms", "≤ 1000"))

        def parse(i: int = 0):
            http.post("/api/parse", json={"text": "she smiles a lot and raises her brows"}).raise_for_status()

        out.append(("sentence → AUs (rule parser)", _median_ms(parse), "ms", "≤ 1000"))

        def mesh(i: int = 0):
            http.post("/api/mesh", json={"aus": {"12": float(levels[i])}}).raise_for_status()

        out.append(("AUs → GLB (3D view load)", _median_ms(mesh, 3), "ms", "-"))
    return out
