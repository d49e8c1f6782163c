"""Hardening figures (issue 19): how fast and small absurd sizes fail, a chunked 600 MB body, a cancelled render.

- CPU seconds and peak memory of ``facsynth`` failing on ``--fps 1e9`` and friends (a fresh process, imports warmed).
- A chunked 600 MB POST to a studio limited to 8 MB: MB the client got to send before the 413, the server's growth.
- A 1800-frame MP4 whose client leaves after 1.5 s: seconds until its work folder is gone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_FAIL = """
import json, resource, sys
from facsynth.cli import main
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
cases, out = json.loads(sys.argv[1]), {}
main(cases[0][1])
for name, args in cases[1:]:
    t = cpu()
    out[name] = [main(args), cpu() - t]
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"runs": out, "peak_mb": peak}))
"""

def _absurd_sizes(tmp: Path) -> list[tuple[str, float, str, str]]:
    import numpy as np
    import soundfile as sf

    csv, wav = tmp / "s.csv", tmp / "quiet.wav"
    csv.write_text("frame,timestamp,AU12_r\n1,0.0,1\n2,0.033,2\n")
    sf.write(wav, np.zeros(1600, np.float32), 16000)
    cases = [("warm-up", ["track", str(csv), "--fps", "60"]),
             ("track --fps 1e9", ["track", str(csv), "--fps", "1e9"]),
             ("track --smooth 1e9", ["track", str(csv), "--smooth", "1e9"]),
             ("mesh --size 100000", ["mesh", "--aus", "AU12", "--size", "100000", "-o", str(tmp / "x.png")]),
             ("speak --fps 1e9", ["speak", str(wav), "--fps", "1e9", "-o", str(tmp / "a.csv")])]
    proc = subprocess.run([sys.executable, "-c", _FAIL, json.dumps(cases)], capture_output=True, text=True,
                          timeout=300, cwd=tmp)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = [(f"fail: {name} (CPU)", seconds, "s", "< 1") for name, (_, seconds) in result["runs"].items()]
    return rows + [("fail: peak memory of the process, all cases", result["peak_mb"], "MB", "< 200")]


def _chunked_body(tmp: Path) -> list[tuple[str, float, str, str]]:
    from facsynth.server.probes import send_chunked, studio_process

    with studio_process(8 << 20, tmp) as (url, peak_mb):
        before = peak_mb()
        sent, answer = send_chunked(url, "/api/parse", 600 << 20)
        grown = peak_mb() - before
    status = answer.split(b"\r\n")[0].decode()
    return [(f"chunked 600 MB body: sent before the answer ({status})", sent / 1e6, "MB", "< 600"),
            ("chunked 600 MB body: server peak growth (limit 8 MB)", grown, "MB", "< 64")]


def _cancelled_render(tmp: Path) -> list[tuple[str, float, str, str]]:
    import httpx

    from facsynth.server.app import Settings, create_app, running
    from facsynth.server.routes import MAX_VIDEO_FRAMES

    frames = [[(i % 60) / 12] for i in range(MAX_VIDEO_FRAMES)]
    body = {"track": json.dumps({"fps": 30, "aus": ["AU26"], "frames": frames}), "format": "mp4"}
    with running(create_app(Settings(tmp_root=tmp))) as url:
        try:
            httpx.post(f"{url}/api/edit", data=body, timeout=1.5)
        except httpx.TimeoutException:
            pass
        left = time.monotonic()
        while list(tmp.iterdir()) and time.monotonic() - left < 120:
            time.sleep(0.05)
        return [(f"{MAX_VIDEO_FRAMES}-frame MP4, client gone after 1.5 s: work stops after", time.monotonic() - left,
                 "s", "< 8")]


def run() -> list[tuple[str, float, str, str]]:
    rows = []
    for figures in (_absurd_sizes, _chunked_body, _cancelled_render):
        with tempfile.TemporaryDirectory() as d:
            rows += figures(Path(d))
    return rows


if __name__ == "__main__":
    for row in run():
        print(*row)
