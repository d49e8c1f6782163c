"""Write output files all-or-nothing, so a failed or interrupted job never leaves a half-written file behind.

Work happens in a private hidden folder beside the target, ``.facsynth-<pid>-<random>/``, which is removed on every
exit path Python sees (success, error, Ctrl-C, SIGTERM: the CLI turns it into an exception). A process killed
outright (SIGKILL, power loss) cannot clean up, so every later write into the same folder first removes the work
folders of facsynth processes that no longer run (:func:`sweep_stale`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import OutputError

__all__ = ["atomic_path", "atomic_write", "work_dir", "sweep_stale", "WORK_PREFIX"]

#: Name prefix of facsynth's work folders; the owner's process id follows it: ".facsynth-1234-k2j4h".
WORK_PREFIX = ".facsynth-"
_swept: set[tuple[str, str]] = set()  # (folder, prefix) already swept by this process: once is enough


def _owner_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def sweep_stale(folder: str | os.PathLike, prefix: str = WORK_PREFIX) -> list[Path]:
    """Remove the work folders ``<prefix><pid>-*`` in ``folder`` whose process has ended; returns what was removed.

    Only names of exactly facsynth's pattern are touched, and only when their process id no longer runs.
    """
    pattern = re.compile(re.escape(prefix) + r"(\d+)-[A-Za-z0-9_]+")
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m and entry.is_dir(follow_symlinks=False) and not _owner_alive(int(m.group(1))):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def work_dir(parent: str | os.PathLike | None = None, prefix: str = WORK_PREFIX) -> Iterator[Path]:
    """A fresh private folder ``<prefix><pid>-<random>`` in ``parent`` (default: the system's temp folder),
    removed with everything in it when the block ends, however it ends. Stale ones of dead processes are swept
    first (once per folder and process, so a batch writing thousands of files does not rescan its folder).
    """
    parent = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    key = (str(parent.resolve()), prefix)
    if key not in _swept:
        sweep_stale(parent, prefix)
        _swept.add(key)
    try:
        path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))
    except OSError as e:
        raise OutputError(f"cannot write in {parent}: {e.strerror or e}") from None
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path with ``path``'s name, in a work folder beside it; it replaces ``path`` only if the
    block succeeds. Helpers may put more temporary files beside the yielded path: they go with the folder."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot write {target}: {e.strerror or e}") from None
    with work_dir(target.parent) as folder:
        tmp = folder / target.name
        yield tmp
        try:
            os.replace(tmp, target)
        except OSError as e:
            raise OutputError(f"cannot write {target}: {e.strerror or e}") from None


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator:
    """Open a file for writing that appears at ``path`` only when the block finishes without error."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh
