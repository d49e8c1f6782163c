"""The studio's outer guard, one ASGI layer around the whole app: Host check, same-origin check, body limit, crashes.

- **Host** (DNS rebinding): a request whose ``Host`` header names no allowed host (loopback names by default) is
  refused with 421, so a web page whose domain was re-pointed at 127.0.0.1 cannot read the studio's answers.
- **Same origin** (CSRF): a state-changing request (not GET/HEAD/OPTIONS) that a browser marks as coming from
  another site (``Origin`` not this server, ``Origin: null``, or ``Sec-Fetch-Site: cross-site/same-site``) is
  refused with 403. Browsers send these headers on every cross-origin POST, forms included; scripts and curl send
  none and are served, and the studio's own page is same-origin.
- **Body limit**: the bytes actually received are counted, chunked bodies included; past the limit the request
  ends with 413 and the connection is closed, without reading (or holding) the rest.
- **Crashes**: an exception no handler took becomes a 500 JSON answer here, and is not re-raised, so the server
  keeps the client's keep-alive connection open for its next request.
"""

from __future__ import annotations

import json
import logging
from typing import Awaitable, Callable, Iterable

__all__ = ["Guard", "LOOPBACK_HOSTS", "host_name"]

_log = logging.getLogger("facsynth.server")
Scope = dict
Message = dict
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Host names the studio answers to by default.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def host_name(host: str) -> str:
    """The name part of a ``Host`` header or URL authority, lower case: "LocalHost:8000" → "localhost",
    "[::1]:8000" → "::1"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    """ASGI middleware: see the module docstring. ``limit`` is the largest request body in bytes."""

    def __init__(self, app, *, allowed_hosts: Iterable[str], limit: int) -> None:
        self.app = app
        self.allowed = frozenset(host_name(h) for h in allowed_hosts)
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _send_error(send, *refusal)
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _send_error(send, 413, self._too_large(), close=True)
            return

        received = 0
        started = refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit and not started:
                    # answer now and stop reading: the app sees a client that left, and its own answer is dropped
                    refused = True
                    await _send_error(send, 413, self._too_large(), close=True)
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except Exception:  # already answered (the app's 500 handler, or the 413 above); keep the connection
            if not (started or refused):
                _log.exception("studio request failed")
                await _send_error(send, 500, "internal error; see the server log")

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host", "")
        if host_name(host) not in self.allowed:
            return 421, (f"this studio answers to {', '.join(sorted(self.allowed))} only, not to host {host!r} "
                         "(start it with --allow-host NAME to serve another name)")
        if scope.get("method", "GET") in _SAFE_METHODS:
            return None
        origin = headers.get("origin")
        site = headers.get("sec-fetch-site")
        if site in ("cross-site", "same-site") or (origin is not None and origin.lower() not in _origins(host)):
            return 403, "cross-origin requests cannot change the studio's state: use the studio's own page"
        return None

    def _too_large(self) -> str:
        return f"the request is larger than the limit of {self.limit / 1e6:g} MB"


def _origins(host: str) -> tuple[str, str]:
    host = host.strip().lower()
    return f"http://{host}", f"https://{host}"


async def _send_error(send: Send, status: int, message: str, *, close: bool = False) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
