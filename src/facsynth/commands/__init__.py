"""One module per CLI sub-command (see facsynth.cli for the protocol), found by name: adding a command is adding
a module here."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Iterator

__all__ = ["command_modules"]


def command_modules() -> Iterator[tuple[str, ModuleType]]:
    """(module name, module) of every command module, by name; modules starting with "_" are helpers."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield info.name, importlib.import_module(f"{__name__}.{info.name}")
