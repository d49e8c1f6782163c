"""The studio application: the page, its local three.js, the API router, limits and JSON errors.

``create_app()`` builds a FastAPI app; ``facsynth serve`` runs it with uvicorn. OpenAPI docs are at /docs, with
Swagger UI's files served from the local npm package (no CDN). Every error reaches the client as
``{"error": "one plain sentence"}`` with a 4xx status (5xx only for a bug or a busy server); ``guard.Guard`` wraps
the whole app (Host and same-origin checks, body limit, crashes that keep the connection).
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..cancel import Cancelled
from ..errors import FacsynthError, ModelError, NoFaceError
from ..version import facsynth_version
from . import jobs
from .guard import LOOPBACK_HOSTS, Guard
from .routes import NotFound, router
from .uploads import UploadRejected

__all__ = ["Settings", "create_app", "running", "STATIC_FILES", "VENDOR_FILES", "SWAGGER_FILES"]

_HERE = Path(__file__).resolve().parent
_THREE = _HERE / "web" / "node_modules" / "three"
_SWAGGER = _HERE / "web" / "node_modules" / "swagger-ui-dist"
_log = logging.getLogger("facsynth.server")
_TMP_PATH = re.compile(r"[^\s'\"]*facsynth-studio-[^/\s]+/")

#: URL name -> (file, media type) of the page's own files. Only these are ever served.
STATIC_FILES: dict[str, tuple[Path, str]] = {
    "app.js": (_HERE / "static" / "app.js", "text/javascript"),
    "style.css": (_HERE / "static" / "style.css", "text/css"),
}
#: URL name under /vendor/three/ -> file of the three.js npm package (web/node_modules, from `npm ci`).
VENDOR_FILES: dict[str, Path] = {
    name: _THREE / name for name in (
        "build/three.module.js",
        "build/three.core.js",
        "examples/jsm/loaders/GLTFLoader.js",
        "examples/jsm/controls/OrbitControls.js",
        "examples/jsm/utils/BufferGeometryUtils.js",
        "examples/jsm/utils/SkeletonUtils.js",
    )
}
#: URL name under /vendor/swagger-ui/ -> (file of the swagger-ui-dist npm package, media type), for /docs.
SWAGGER_FILES: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (_SWAGGER / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (_SWAGGER / "swagger-ui.css", "text/css"),
    "favicon-32x32.png": (_SWAGGER / "favicon-32x32.png", "image/png"),
}


@dataclass(frozen=True)
class Settings:
    """Limits of one studio instance.

    max_image_bytes, max_audio_bytes : largest accepted upload of each kind, bytes
    max_request_bytes : largest request body, bytes (counted as received, so chunked bodies too)
    tmp_root : folder for per-request temporary folders (None: the system's); each is removed after its request
    allowed_hosts : host names the ``Host`` header may carry (loopback names by default: DNS rebinding guard)
    """

    max_image_bytes: int = 20 << 20
    max_audio_bytes: int = 50 << 20
    max_request_bytes: int = 80 << 20
    tmp_root: Path | None = None
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS


class _Studio(FastAPI):
    """FastAPI with ``Guard`` outside everything, even the error middleware, so that a 500 does not reset the
    client's connection and a too-large body is cut before any handler reads it."""

    def build_middleware_stack(self):
        s = self.state.settings
        return Guard(super().build_middleware_stack(), allowed_hosts=s.allowed_hosts, limit=s.max_request_bytes)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _scrub(message: str) -> str:
    """A job's message without the server's temporary folders: "/tmp/facsynth-studio-x/photo.png …" → "photo.png …"."""
    return _TMP_PATH.sub("", message)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The studio as an ASGI app: page at /, API under /api, OpenAPI docs at /docs."""
    app = _Studio(title="facsynth studio",
                  description="Language and speech to facial expressions through FACS Action Unit tracks.",
                  version=facsynth_version(), docs_url=None, redoc_url=None)
    app.state.settings = settings or Settings()
    app.state.photos = jobs.Store(max_items=16, max_bytes=400 << 20)
    app.state.results = jobs.Store(max_items=32, max_bytes=400 << 20)
    app.include_router(router)

    @app.exception_handler(NoFaceError)
    async def no_face(_: Request, exc: NoFaceError):
        return _error(422, _scrub(str(exc)))

    @app.exception_handler(ModelError)
    async def no_model(_: Request, exc: ModelError):
        return _error(501, f"this job's model is not available in this build: {exc}")

    @app.exception_handler(FacsynthError)
    async def bad_input(_: Request, exc: FacsynthError):
        return _error(400, _scrub(str(exc)))

    @app.exception_handler(UploadRejected)
    async def rejected(_: Request, exc: UploadRejected):
        return _error(exc.status, str(exc))

    @app.exception_handler(jobs.JobUnavailable)
    async def unavailable(_: Request, exc: jobs.JobUnavailable):
        return _error(501, str(exc))

    @app.exception_handler(jobs.JobsBusy)
    async def busy(_: Request, exc: jobs.JobsBusy):
        return _error(503, str(exc))

    @app.exception_handler(Cancelled)
    async def cancelled(_: Request, exc: Cancelled):
        return _error(503, "the request was cancelled: its client left")

    @app.exception_handler(RecursionError)
    async def nested(_: Request, exc: RecursionError):
        return _error(400, "the request is nested too deeply to read")

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound):
        return _error(404, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path"))
            parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
        return _error(422, "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        return _error(exc.status_code, message)

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception):
        _log.exception("studio request failed")
        return _error(500, f"internal error ({type(exc).__name__}); see the server log")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(_HERE / "static" / "index.html", media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in STATIC_FILES:
            return _error(404, "no such file")
        path, media = STATIC_FILES[name]
        return FileResponse(path, media_type=media)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} – API",
                                   swagger_js_url="/vendor/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url="/vendor/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url="/vendor/swagger-ui/favicon-32x32.png")

    @app.get("/vendor/swagger-ui/{name}", include_in_schema=False)
    def swagger(name: str) -> Response:
        if name not in SWAGGER_FILES:
            return _error(404, "no such file")
        path, media = SWAGGER_FILES[name]
        if not path.is_file():
            return _error(404, "Swagger UI is not installed: run `npm ci` in src/facsynth/server/web")
        return FileResponse(path, media_type=media)

    @app.get("/vendor/three/{name:path}", include_in_schema=False)
    def vendor(name: str) -> Response:
        path = VENDOR_FILES.get(name)
        if path is None:
            return _error(404, "no such file")
        if not path.is_file():
            return _error(404, "three.js is not installed: run `npm ci` in src/facsynth/server/web")
        return FileResponse(path, media_type="text/javascript")

    return app


@contextlib.contextmanager
def running(app: FastAPI, host: str = "127.0.0.1", timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port of ``host`` in a background thread; yields the base URL.

    For scripts, benchmarks and tests; the server stops when the block ends.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the studio server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
