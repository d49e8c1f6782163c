"""One module per CLI sub-command (see facsynth.cli for the protocol), found by name: adding a command is adding
a module here."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Iterator

__all__ = ["command_modules"]


def command_modules(command: str | None = None) -> Iterator[tuple[str, ModuleType]]:
    """(module name, module) of every command module, by name; modules starting with "_" are helpers.

    command : a CLI command's name: only its module is imported (every ``train_*`` module for "train"), or every
        module when no module is that command's (an unknown name, which the full parser then reports)
    """
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    if command is not None:
        own = [n for n in names if (n.startswith("train_") if command == "train" else n == command)]
        names = own or names
    for name in names:
        yield name, importlib.import_module(f"{__name__}.{name}")
