"""Probes of the studio from outside, shared by tests and benchmarks: the studio in a process of its own (so its
peak memory can be read) and an oversized chunked upload to it (the body limit must cut it off early)."""

from __future__ import annotations

import contextlib
import select
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Callable, Iterator

__all__ = ["studio_process", "send_chunked"]

_SERVER = """
import sys
from facsynth.server.app import Settings, create_app, running
with running(create_app(Settings(max_request_bytes=int(sys.argv[1]), tmp_root=sys.argv[2]))) as url:
    print(url, flush=True)
    sys.stdin.readline()
"""


@contextlib.contextmanager
def studio_process(max_request_bytes: int, tmp_root: str | Path) -> Iterator[tuple[str, Callable[[], float]]]:
    """Run the studio in a child process until the block ends; yields (base URL, peak_mb).

    ``peak_mb()`` reads the child's peak resident memory (VmHWM, Linux /proc) in MB. The studio has answered
    /api/health once when the block starts.
    """
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(max_request_bytes), str(tmp_root)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def peak_mb() -> float:
        status = Path(f"/proc/{server.pid}/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")) / 1024

    try:
        url = server.stdout.readline().strip()
        urllib.request.urlopen(f"{url}/api/health", timeout=30).read()
        yield url, peak_mb
    finally:
        server.communicate("\n", timeout=60)


def send_chunked(url: str, path: str, total_bytes: int, chunk_bytes: int = 1 << 20,
                 timeout: float = 30.0) -> tuple[int, bytes]:
    """POST a JSON body of spaces to ``url`` + ``path`` in chunked transfer encoding (no Content-Length), up to
    ``total_bytes``, stopping as soon as the server answers or closes the connection.

    Returns (bytes of body sent, the server's answer: status line, headers and body as received).
    """
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b"%x\r\n" % chunk_bytes + b" " * chunk_bytes + b"\r\n"
        sent, answer = 0, b""
        while sent < total_bytes and not select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(chunk)
            except OSError:  # the server closed the connection after answering
                break
            sent += chunk_bytes
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
        return sent, answer
    finally:
        sock.close()
