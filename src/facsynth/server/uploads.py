"""Uploads for the studio: size limits, content sniffing, and per-request temporary files that never outlive it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from fastapi import UploadFile

from ..atomic import work_dir

__all__ = [
    "UploadRejected",
    "Upload",
    "IMAGE_KINDS",
    "AUDIO_KINDS",
    "VIDEO_KINDS",
    "sniff",
    "read_upload",
    "request_dir",
]

#: What the studio accepts, by sniffed kind; the value is the suffix of the temporary file the job reads.
IMAGE_KINDS = {"png": ".png", "jpeg": ".jpg", "webp": ".webp", "bmp": ".bmp", "gif": ".gif", "tiff": ".tif"}
AUDIO_KINDS = {"wav": ".wav", "flac": ".flac", "ogg": ".ogg", "mp3": ".mp3"}
VIDEO_KINDS = {"mp4": ".mp4", "webm": ".webm", "avi": ".avi"}

# file-name extension -> the kind its content must have
_EXTENSION_KIND = {
    ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".jpe": "jpeg", ".webp": "webp", ".bmp": "bmp", ".gif": "gif",
    ".tif": "tiff", ".tiff": "tiff", ".wav": "wav", ".wave": "wav", ".flac": "flac", ".ogg": "ogg", ".oga": "ogg",
    ".opus": "ogg", ".mp3": "mp3", ".mp4": "mp4", ".m4v": "mp4", ".mov": "mp4", ".webm": "webm", ".avi": "avi",
}
_KIND_NAMES = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP", "bmp": "BMP", "gif": "GIF", "tiff": "TIFF",
               "wav": "WAV", "flac": "FLAC", "ogg": "Ogg", "mp3": "MP3", "mp4": "MP4", "webm": "WebM", "avi": "AVI"}


class UploadRejected(Exception):
    """An upload the studio refuses; ``status`` is the HTTP code (413 too large, 415 wrong type, 400 empty)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Upload:
    """An accepted upload: its bytes, the kind sniffed from them, and the suffix a temporary copy gets."""

    data: bytes
    kind: str
    suffix: str


def sniff(head: bytes) -> str | None:
    """The file kind that the first bytes ``head`` (≥ 12 bytes) show, or None if unknown.

    Kinds: png, jpeg, webp, bmp, gif, tiff, wav, flac, ogg, mp3, mp4, webm, avi.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"BM") and len(head) >= 14:
        return "bmp"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return None


async def read_upload(upload: UploadFile, *, accept: dict[str, str], limit: int, what: str) -> Upload:
    """Read ``upload`` whole, refusing it if larger than ``limit`` bytes or if its content is not of a kind in ``accept``.

    The client's file name is used only to check that its extension agrees with the content ("x.png" must be a
    PNG); it never names a file here. ``what`` names the field in error messages ("photo", "audio").
    """
    chunks, size = [], 0
    while chunk := await upload.read(1 << 20):
        size += len(chunk)
        if size > limit:
            raise UploadRejected(413, f"the {what} is larger than the limit of {limit / 1e6:g} MB")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise UploadRejected(400, f"the {what} is empty")
    kind = sniff(data[:16])
    names = ", ".join(_KIND_NAMES[k] for k in accept)
    name = Path(upload.filename or "").name
    claimed = _EXTENSION_KIND.get(Path(name).suffix.lower())
    if claimed is not None and kind != claimed:
        found = f"its content is {_KIND_NAMES[kind]}" if kind else "its content is not a known format"
        raise UploadRejected(415, f"the {what} {name!r} is not a {_KIND_NAMES[claimed]} file: {found}")
    if kind not in accept:
        found = _KIND_NAMES[kind] if kind else "an unknown format"
        raise UploadRejected(415, f"the {what} must be one of {names}, got {found}")
    return Upload(data, kind, accept[kind])


@contextlib.contextmanager
def request_dir(root: Path | None = None) -> Iterator[Path]:
    """A fresh private directory for one request's temporary files, removed with everything in it afterwards
    (those left by a killed server are swept by the next request)."""
    with work_dir(root, prefix="facsynth-studio-") as path:
        yield path
