"""``facsynth serve``: run the studio, a local web app and HTTP API over every facsynth job."""

from __future__ import annotations

import argparse
import ipaddress
import socket

from .._lazy import lazy_module
from ..errors import FacsynthError
from ..limits import bounded, bounded_int
from ..server.guard import LOOPBACK_HOSTS

uvicorn = lazy_module("uvicorn")
app_module = lazy_module("facsynth.server.app")   # fastapi

NAME = "serve"
HELP = "start the studio: a local web page and HTTP API (OpenAPI at /docs)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    p.add_argument("--max-upload-mb", type=float, default=20.0, metavar="MB",
                   help="largest photo upload in MB, up to 1000 (audio may be 2.5× that; default 20)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests addressed to host NAME (default: loopback names and --host only)")


def run(args: argparse.Namespace) -> int:
    bounded_int(args.port, "--port", 1, 65535)
    image = int(bounded(args.max_upload_mb, "--max-upload-mb", 0.001, 1000, unit="MB") * 1e6)
    sock = _listen(args.host, args.port)  # a busy port fails here, before the studio claims to be running
    hosts = LOOPBACK_HOSTS + (args.host,) + tuple(args.allow_host)
    app = app_module.create_app(app_module.Settings(max_image_bytes=image, max_audio_bytes=int(image * 2.5),
                                                    max_request_bytes=int(image * 4), allowed_hosts=hosts))
    if not _is_loopback(args.host):
        print(f"facsynth: warning: listening on {args.host}: other machines can reach the studio")
    print(f"facsynth studio on http://{args.host}:{args.port}/  (API docs at /docs; Ctrl-C stops it)", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port``; FacsynthError in one line if the port is taken or not ours."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as e:
        raise FacsynthError(f"cannot listen on {host}: {getattr(e, 'strerror', None) or e}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        why = "the port is already in use (is a studio already running?)" if e.errno == 98 else e.strerror or e
        raise FacsynthError(f"cannot listen on {host}:{port}: {why}") from None
    return sock


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
