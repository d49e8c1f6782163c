"""The version of the installed facsynth, as the CLI's ``--version`` and the studio's OpenAPI page give it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["facsynth_version"]


def facsynth_version() -> str:
    """The installed distribution's version string; "unknown" when the sources run without being installed."""
    try:
        return version("facsynth")
    except PackageNotFoundError:
        return "unknown"
