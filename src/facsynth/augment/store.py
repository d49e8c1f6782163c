"""Reading and writing an augmentation run's files through paths or fsspec URLs (file://, memory://, s3://, …).

Every write is all-or-nothing: a local file goes through facsynth.atomic; elsewhere the bytes are uploaded in one
``put`` (object stores publish an object only when its upload completes).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import numpy as np

from .._lazy import lazy_module
from ..atomic import atomic_write, work_dir
from ..errors import FacsynthError, ImageError, OutputError
from ..formats.image import IMAGE_SUFFIXES, read_image, write_image

fsspec = lazy_module("fsspec")

__all__ = ["Store", "list_photos", "read_photo"]


class Store:
    """A folder at a local path or an fsspec URL; names inside it are '/'-separated relative paths."""

    def __init__(self, url: str | os.PathLike):
        self.url = str(url)
        self.fs, self.root = fsspec.core.url_to_fs(self.url)
        self.local = "file" in _protocols(self.fs)

    def path(self, name: str) -> str:
        """Full path of ``name`` in the store's file system."""
        return f"{self.root.rstrip('/')}/{name}"

    def exists(self, name: str) -> bool:
        return self.fs.exists(self.path(name))

    def listdir(self, folder: str) -> list[str]:
        """Names (relative to the store) of the files directly in ``folder``; empty if it does not exist."""
        try:
            entries = self.fs.ls(self.path(folder), detail=False)
        except FileNotFoundError:
            return []
        return sorted(f"{folder}/{PurePosixPath(e).name}" for e in entries)

    def read_bytes(self, name: str) -> bytes:
        return self.fs.cat_file(self.path(name))

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write ``data`` to ``name`` all-or-nothing."""
        try:
            if self.local:
                with atomic_write(self.path(name), "wb") as fh:
                    fh.write(data)
            else:
                self.fs.pipe_file(self.path(name), data)
        except OSError as e:
            raise OutputError(f"cannot write {self.url}/{name}: {e}") from None

    def write_image(self, name: str, image: np.ndarray) -> None:
        """Write an (H, W, 3) uint8 RGB image to ``name`` (its suffix picks the format), all-or-nothing."""
        if self.local:
            write_image(image, self.path(name))
            return
        with work_dir() as tmp:
            local = write_image(image, tmp / PurePosixPath(name).name)
            self.write_bytes(name, local.read_bytes())

    def remove(self, name: str) -> None:
        self.fs.rm_file(self.path(name))


def _protocols(fs) -> tuple[str, ...]:
    p = fs.protocol
    return (p,) if isinstance(p, str) else tuple(p)


def list_photos(source: str | os.PathLike, suffixes: tuple[str, ...] = IMAGE_SUFFIXES, *, what: str = "photos",
                error: type[FacsynthError] = ImageError) -> list[str]:
    """Photos to augment: the images (by ``suffixes``) directly in a folder, or the lines of a manifest
    file (one path or URL per line, relative ones to the manifest's folder; a CSV's first column, a header line
    ``photo`` skipped). Returns full paths / URLs in a stable order (sorted for a folder, as listed for a manifest).

    what, error : what the files are, for messages, and the error raised (speech clips: AudioError)
    Raises ``error`` (ImageError) when the source does not exist or lists no file.
    """
    store = Store(source)
    fs, root = store.fs, store.root
    if not fs.exists(root):
        raise error(f"{source} does not exist")
    prefix = "" if store.local else f"{_protocols(fs)[0]}://"
    if fs.isdir(root):
        found = sorted(p for p in fs.ls(root, detail=False) if PurePosixPath(p).suffix.lower() in suffixes)
        if not found:
            raise error(f"no {what} ({', '.join(suffixes)}) in {source}")
        return [prefix + p if prefix and not p.startswith(prefix) else p for p in found]
    try:
        text = fs.cat_file(root).decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{source} is neither a folder of {what} nor a manifest (one path per line)") from None
    base = str(source).rsplit("/", 1)[0] if "/" in str(source) else "."
    photos = []
    for raw in text.splitlines():
        line = raw.split(",", 1)[0].strip().strip('"')
        if not line or line.startswith("#") or line.lower() == "photo":
            continue
        photos.append(line if "://" in line or line.startswith("/") else f"{base}/{line}")
    if not photos:
        raise error(f"manifest {source} lists no {what}")
    return photos


def read_photo(url: str) -> np.ndarray:
    """A photo at a path or fsspec URL as (H, W, 3) uint8 RGB, through facsynth.formats.image.read_image.

    Raises ImageError when it is missing, not an image, or corrupt.
    """
    store = Store(url)
    if store.local:
        return read_image(store.root)
    try:
        data = store.fs.cat_file(store.root)
    except (FileNotFoundError, OSError) as e:
        raise ImageError(f"cannot read {url}: {e}") from None
    with work_dir() as tmp:
        local = Path(tmp) / PurePosixPath(store.root).name
        local.write_bytes(data)
        return read_image(local)
