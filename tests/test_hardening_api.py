"""Bad and hostile requests to the studio (issue 19): 4xx JSON, the connection stays usable, bounded work and memory,
Host and same-origin checks, deterministic /api/speak, local Swagger UI."""

from __future__ import annotations

import http.client
import io
import json
import threading
import time

import httpx
import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from facsynth.server import jobs
from facsynth.server.app import Settings, create_app, running
from facsynth.server.probes import send_chunked, studio_process
from facsynth.server.routes import MAX_TRACK_FRAMES, MAX_VIDEO_FRAMES

LOCAL = "http://127.0.0.1:8000"


def is_error(response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    message = response.json()["error"]
    assert isinstance(message, str) and message and "\n" not in message
    return message


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = Settings(tmp_root=tmp_path_factory.mktemp("studio"))
    with TestClient(create_app(settings), base_url=LOCAL, raise_server_exceptions=False) as c:
        yield c


def nan_wav() -> bytes:
    samples = np.zeros(8000, np.float32)
    samples[10] = np.inf
    buf = io.BytesIO()
    sf.write(buf, samples, 16000, format="WAV", subtype="FLOAT")
    return buf.getvalue()


def track(frames: int, fps: float = 30.0) -> dict:
    return {"fps": fps, "aus": ["AU12"], "frames": [[2.0]] * frames}


# ---------------------------------------------------------------- Host and same-origin checks

def test_only_loopback_host_names_are_answered(tmp_path):
    app = create_app(Settings(tmp_root=tmp_path))
    for base in ("http://localhost:8000", "http://127.0.0.1", "http://[::1]:8000"):
        assert TestClient(app, base_url=base).get("/api/health").status_code == 200
    for base in ("http://evil.example", "http://testserver", "http://127.0.0.1.evil.example:8000"):
        assert "answers to" in is_error(TestClient(app, base_url=base).get("/api/health"), 421)
    named = create_app(Settings(tmp_root=tmp_path, allowed_hosts=("studio.lan",)))
    assert TestClient(named, base_url="http://studio.lan:8000").get("/api/health").status_code == 200


def test_cross_origin_writes_are_refused(client):
    body = {"text": "she smiles"}
    assert "cross-origin" in is_error(client.post("/api/parse", json=body, headers={"Origin": "https://evil.example"}),
                                      403)
    is_error(client.post("/api/parse", json=body, headers={"Origin": "null"}), 403)
    is_error(client.post("/api/parse", json=body, headers={"Sec-Fetch-Site": "cross-site"}), 403)
    form = client.post("/api/edit", data={"aus": "AU12=3"}, headers={"Origin": "http://attacker.test"})
    is_error(form, 403)
    # the studio's own page (same origin) and scripts without an Origin header are served
    assert client.post("/api/parse", json=body, headers={"Origin": LOCAL, "Sec-Fetch-Site": "same-origin"}).json()
    assert client.post("/api/parse", json=body).status_code == 200
    assert client.get("/api/catalogue", headers={"Origin": "https://evil.example"}).status_code == 200


# ---------------------------------------------------------------- 4xx JSON, and the connection stays usable

def test_bad_requests_are_4xx_json_on_one_keep_alive_connection(tmp_path, monkeypatch):
    nested = "[" * 50_000 + "]" * 50_000
    app = create_app(Settings(tmp_root=tmp_path))
    monkeypatch.setattr(jobs, "JOBS", {**jobs.JOBS, "describe": (jobs, "no_such_function")})
    real_call = jobs.call

    def crash(name, *args, **kwargs):
        if name == "emotion":
            raise RuntimeError("a bug")
        return real_call(name, *args, **kwargs)

    monkeypatch.setattr(jobs, "call", crash)
    with running(app) as url:
        conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=60)

        def ask(method: str, path: str, body: bytes | str = b"", content_type: str = "application/json"):
            conn.request(method, path, body=body, headers={"Content-Type": content_type})
            response = conn.getresponse()
            data = response.read()
            return response.status, response.getheader("content-type"), data

        def form(fields: dict, files: dict | None = None) -> tuple[bytes, str]:
            request = httpx.Request("POST", url, data=fields, files=files)
            return request.read(), request.headers["content-type"]

        cases = [
            ("POST", "/api/export/glb", json.dumps({"track": track(0)}), 400),
            ("POST", "/api/export/csv", json.dumps({"track": {"fps": 1e308, "aus": ["AU12"], "frames": [[1]]}}), 400),
            ("POST", "/api/export/glb", json.dumps({"track": track(2, fps=100_000)}), 400),
            ("POST", "/api/parse", nested, 400),
            ("POST", "/api/parse", json.dumps({"text": "AU12=nan"}), 400),
            ("POST", "/api/describe", json.dumps({"aus": {"AU12": "-1"}}), 400),
            ("POST", "/api/edit", *form({"track": nested, "format": "mp4"}), 400),
            ("POST", "/api/edit", *form({"aus": "AU12=1e400"}), 400),
            ("POST", "/api/speak", *form({"video": "false"}, {"audio": ("x.wav", nan_wav())}), 400),
            ("POST", "/api/emotion", json.dumps({"text": "hello"}), 500),
            ("POST", "/api/describe", json.dumps({"aus": {"AU12": 3}}), 501),
        ]
        ask("GET", "/api/health")
        sock = conn.sock
        for method, path, body, *ctype, status in cases:
            got, media, data = ask(method, path, body, *ctype)
            assert (got, media) == (status, "application/json"), (path, got, data[:200])
            assert json.loads(data)["error"]
            assert conn.sock is sock, f"the connection was closed after {path} ({status})"
        assert ask("GET", "/api/health")[0] == 200 and conn.sock is sock
        conn.close()
    assert list(tmp_path.iterdir()) == []


def test_job_queue_is_bounded(client, monkeypatch):
    monkeypatch.setattr(jobs, "MAX_WAITING", 0)
    lock = jobs._locks["describe"]
    lock.acquire()
    try:
        waiting = threading.Thread(target=client.post, args=("/api/describe",), kwargs={"json": {"aus": {"12": 3}}})
        waiting.start()
        deadline = time.monotonic() + 30
        while jobs._queued["describe"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "busy" in is_error(client.post("/api/describe", json={"aus": {"12": 3}}), 503)
    finally:
        lock.release()
    waiting.join(30)
    assert client.post("/api/describe", json={"aus": {"12": 3}}).status_code == 200


# ---------------------------------------------------------------- bounded work

def test_frames_not_seconds_bound_the_work(client):
    assert "1000 fps" in is_error(client.post("/api/export/glb", json={"track": track(2, fps=5000)}), 400)
    assert "frames" in is_error(client.post("/api/export/json", json={"track": track(MAX_TRACK_FRAMES + 1, 100)}),
                                400)
    long = json.dumps(track(MAX_VIDEO_FRAMES + 1))
    assert str(MAX_VIDEO_FRAMES) in is_error(client.post("/api/edit", data={"track": long, "format": "mp4"}), 400)


def test_a_render_whose_client_left_is_cancelled(tmp_path):
    """A 1800-frame MP4 takes tens of seconds: a still edit is answered meanwhile, and when the video's client gives
    up after 6 s the work stops within seconds."""
    app = create_app(Settings(tmp_root=tmp_path))
    frames = [[(i % 60) / 12] for i in range(MAX_VIDEO_FRAMES)]
    body = {"track": json.dumps({"fps": 30, "aus": ["AU26"], "frames": frames}), "format": "mp4"}
    gave_up = []

    def impatient() -> None:
        try:
            httpx.post(f"{url}/api/edit", data=body, timeout=6)
        except httpx.TimeoutException:
            gave_up.append(True)

    with running(app) as url:
        video = threading.Thread(target=impatient)
        video.start()
        deadline = time.monotonic() + 30
        while jobs._queued["render_preview_video"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        still = httpx.post(f"{url}/api/edit", data={"aus": "AU12=3"}, timeout=60)
        assert still.status_code == 200 and still.headers["content-type"] == "image/png"
        assert jobs._queued["render_preview_video"] == 1, "the still waited for the video"
        video.join(60)
        assert gave_up
        left = time.monotonic()
        while list(tmp_path.iterdir()) and time.monotonic() - left < 60:
            time.sleep(0.1)
        stopped_after = time.monotonic() - left
        assert list(tmp_path.iterdir()) == []
        assert stopped_after < 8, f"the render went on for {stopped_after:.1f} s after its client left"
        assert httpx.post(f"{url}/api/parse", json={"text": "she smiles"}, timeout=30).status_code == 200


def test_chunked_600_mb_body_gets_413_and_the_server_stays_small(tmp_path):
    """The body limit counts received bytes: a chunked body (no Content-Length) is cut at the limit."""
    with studio_process(8 << 20, tmp_path) as (url, peak_mb):
        before = peak_mb()
        sent, answer = send_chunked(url, "/api/parse", 600 << 20)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), answer[:300]
        assert "larger than the limit" in json.loads(body)["error"]
        assert sent < 600 << 20, "the server read the whole body"
        assert peak_mb() - before < 64, (before, peak_mb())
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- deterministic speech

def test_speak_answers_do_not_depend_on_order_or_concurrency(shared_data, tmp_path):
    clips = {name: (shared_data / "speech" / "cards" / name).read_bytes()
             for name in ("cards_001.wav", "cards_002.wav")}
    app = create_app(Settings(tmp_root=tmp_path))

    def speak(http: httpx.Client, name: str) -> str:
        r = http.post("/api/speak", data={"video": "false"}, files={"audio": (name, clips[name], "audio/wav")})
        assert r.status_code == 200, r.text
        return json.dumps(r.json()["track"])

    with running(app) as url, httpx.Client(base_url=url, timeout=120) as http:
        forward = {name: speak(http, name) for name in clips}
        backward = {name: speak(http, name) for name in reversed(clips)}
        together: dict[str, str] = {}

        def ask(name: str) -> None:
            with httpx.Client(base_url=url, timeout=120) as own:
                together[name] = speak(own, name)

        threads = [threading.Thread(target=ask, args=(n,)) for n in clips]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert len(set(forward.values())) == len(clips)
    assert forward == backward == together


# ---------------------------------------------------------------- docs offline

def test_docs_are_served_without_a_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "https://" not in page.text
    for asset in ("/vendor/swagger-ui/swagger-ui-bundle.js", "/vendor/swagger-ui/swagger-ui.css"):
        assert asset in page.text
        r = client.get(asset)
        assert r.status_code == 200 and len(r.content) > 10_000
    assert client.get("/redoc").status_code == 404
