"""Cooperative cancellation of long work: a caller hands an event to a thread; long loops call ``check()``.

The studio runs each request's work in a worker thread inside ``cancellable(event)`` and sets the event when the
client goes away; the frame loop of video writing calls ``check()``, so an abandoned render stops within a frame
and its temporary files go with it. Outside a ``cancellable`` block ``check()`` does nothing.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

__all__ = ["Cancelled", "cancellable", "check"]

_local = threading.local()


class Cancelled(Exception):
    """The work was cancelled by its caller (the client left)."""


@contextlib.contextmanager
def cancellable(event: threading.Event) -> Iterator[None]:
    """Within the block, ``check()`` in this thread raises Cancelled once ``event`` is set."""
    previous = getattr(_local, "event", None)
    _local.event = event
    try:
        yield
    finally:
        _local.event = previous


def check() -> None:
    """Raise Cancelled if the enclosing ``cancellable`` block's event is set."""
    event = getattr(_local, "event", None)
    if event is not None and event.is_set():
        raise Cancelled("the work was cancelled")
