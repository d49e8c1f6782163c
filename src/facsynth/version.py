"""The version of the installed facsynth, as the CLI's ``--version`` and the studio's OpenAPI page give it."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["facsynth_version"]


def facsynth_version() -> str:
    """The installed distribution's version string; "unknown" when the sources run without being installed.

    Read from the ``Version:`` line of the first ``facsynth-*.dist-info/METADATA`` along ``sys.path`` (the one
    ``importlib.metadata`` finds first); importing ``importlib.metadata`` itself (email, zipfile, csv) costs every
    command about 30 ms, since the CLI's ``--version`` asks for the version as it builds its parser. Other kinds
    of installation (an egg, a zip) fall back to ``importlib.metadata``.
    """
    for entry in sys.path:
        folder = Path(entry or ".")
        try:
            found = sorted(folder.glob("facsynth-*.dist-info"))
        except OSError:
            continue
        for info in found:
            try:
                with open(info / "METADATA", encoding="utf-8") as fh:
                    for line in fh:
                        if line.startswith("Version:"):
                            return line.split(":", 1)[1].strip()
                        if not line.strip():
                            break                                   # end of the headers
            except OSError:
                continue
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("facsynth")
    except PackageNotFoundError:
        return "unknown"
