"""All exceptions facsynth raises on bad input; the CLI turns them into one line and exit code 2."""

__all__ = [
    "FacsynthError",
    "AUSpecError",
    "TrackError",
    "TextError",
    "NoFacialContentError",
    "ImageError",
    "NoFaceError",
    "AudioError",
    "ModelError",
    "FormatError",
    "OutputError",
    "LimitError",
]


class FacsynthError(Exception):
    """Base class: a problem with the user's input or setup, stated in one plain sentence."""


class AUSpecError(FacsynthError, ValueError):
    """An AU specification such as ``"AU1=2,AU12=D"`` cannot be read."""


class TrackError(FacsynthError, ValueError):
    """An AU track is malformed: NaN, unknown AU, intensity outside 0–5, ragged rows."""


class TextError(FacsynthError, ValueError):
    """Text input is empty, not text, not English, or carries no facial content."""


class NoFacialContentError(TextError):
    """Text names no facial movement, expression or emotion (it may still be fine English)."""


class ImageError(FacsynthError, ValueError):
    """An image cannot be read or is unusable (truncated, unknown format, empty)."""


class NoFaceError(ImageError):
    """No face was found where one is needed."""


class AudioError(FacsynthError, ValueError):
    """Audio cannot be read or is unusable (empty, unknown format, not audio)."""


class ModelError(FacsynthError, RuntimeError):
    """A model's weights or checkpoint are missing, corrupt or incompatible."""


class FormatError(FacsynthError, ValueError):
    """A file is not in the format its name or content claims (CSV, JSON, glTF, …)."""


class OutputError(FacsynthError, OSError):
    """An output file cannot be written: its folder cannot be made, no permission, or the disk is full."""


class LimitError(FacsynthError, ValueError):
    """A size the user asked for (frame rate, frames, pixels, seconds, memory) is outside facsynth's bounds."""
