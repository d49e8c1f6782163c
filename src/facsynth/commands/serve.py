"""``facsynth serve``: run the studio, a local web app and HTTP API over every facsynth job."""

from __future__ import annotations

import argparse
import ipaddress

from ..errors import FacsynthError

NAME = "serve"
HELP = "start the studio: a local web page and HTTP API (OpenAPI at /docs)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    p.add_argument("--max-upload-mb", type=float, default=20.0, metavar="MB",
                   help="largest photo upload in MB (audio may be 2.5× that; default 20)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from ..server.app import Settings, create_app

    if not 1 <= args.port <= 65535:
        raise FacsynthError(f"port {args.port} is outside 1–65535")
    if not args.max_upload_mb > 0:
        raise FacsynthError("--max-upload-mb must be positive")
    image = int(args.max_upload_mb * 1e6)
    app = create_app(Settings(max_image_bytes=image, max_audio_bytes=int(image * 2.5),
                              max_request_bytes=int(image * 4)))
    if not _is_loopback(args.host):
        print(f"facsynth: warning: listening on {args.host}: other machines can reach the studio")
    print(f"facsynth studio on http://{args.host}:{args.port}/  (API docs at /docs; Ctrl-C stops it)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
