"""Photo files: a robust RGB loader (grayscale, alpha, 16-bit, EXIF rotation, CMYK, truncated) and atomic writer."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..atomic import atomic_path
from ..errors import FormatError, ImageError

__all__ = ["read_image", "write_image", "IMAGE_SUFFIXES", "MAX_PIXELS"]

#: Suffixes write_image knows (PIL writes by suffix).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
#: Largest image read_image accepts, in pixels (16384 × 16384); beyond that it raises ImageError.
MAX_PIXELS = 16384 * 16384


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read a photo as an RGB array, whatever its mode, depth or orientation.

    Grayscale and palette images become RGB; an alpha channel is composited over white; 16-bit and float images
    are scaled to 8 bits (by their type's range); the EXIF orientation tag is applied (so a phone photo stands
    upright); CMYK JPEGs (Adobe-inverted ones too) are converted to RGB. Images up to 16384 pixels a side load
    at full size; photo rendering itself works at a reduced size on very large images and restores the size.

    Parameters
    ----------
    path : image file (PNG, JPEG, BMP, TIFF, WebP, …)

    Returns
    -------
    np.ndarray [shape=(H, W, 3)], uint8 RGB

    Raises ImageError if the file is missing, not an image, truncated or corrupt, empty, or too large.

    Example
    -------
    >>> img = read_image("grace_hopper_512x512.jpg")  # doctest: +SKIP
    >>> img.shape, img.dtype
    ((512, 512, 3), dtype('uint8'))
    """
    p = Path(path)
    if not p.is_file():
        raise ImageError(f"image {p} does not exist or is not a file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(p) as im:
                im.load()
                im = ImageOps.exif_transpose(im) or im
                return _to_rgb(im)
    except UnidentifiedImageError:
        raise ImageError(f"{p} is not an image file (or its format is unknown)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{p} is too large (over {MAX_PIXELS // 1_000_000} megapixels)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise ImageError(f"{p} is truncated or corrupt: {e}") from None


def _to_rgb(im) -> np.ndarray:
    """A loaded PIL image of any mode → (H, W, 3) uint8 RGB."""
    if im.width == 0 or im.height == 0:
        raise ImageError("the image is empty (0 pixels)")
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = 1.0 if mode == "F" and a.max(initial=0) <= 1.0 else (65535.0 if mode != "I" or a.max() > 255 else 255.0)
        g = np.clip(a / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(g[..., None], 3, axis=2)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
        rgba = np.asarray(im.convert("RGBA"), dtype=np.float32)
        alpha = rgba[..., 3:4] / 255.0
        rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
        return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
    if mode in ("RGB;16", "RGB;16B") or (mode == "RGB" and np.asarray(im).dtype != np.uint8):
        a = np.asarray(im, dtype=np.float64)
        return np.clip(a / 65535.0 * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.asarray(im.convert("RGB"), dtype=np.uint8))


def write_image(image: np.ndarray, path: str | os.PathLike, *, quality: int = 95) -> Path:
    """Write an RGB image; the file appears only once it is complete (atomic).

    Parameters
    ----------
    image : np.ndarray [shape=(H, W, 3)], uint8 RGB
    path : output file; the suffix picks the format (.png, .jpg, …)
    quality : JPEG / WebP quality 1–100

    Returns
    -------
    Path of the written file.

    Raises FormatError for an unknown suffix, ImageError for an array that is not (H, W, 3) uint8.
    """
    target = Path(path)
    if target.suffix.lower() not in IMAGE_SUFFIXES:
        raise FormatError(f"cannot write images as {target.suffix or 'extension-less'} files "
                          f"(use one of {', '.join(IMAGE_SUFFIXES)})")
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8 or arr.size == 0:
        raise ImageError(f"expected an (H, W, 3) uint8 RGB image, got shape {arr.shape} dtype {arr.dtype}")
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}.get(target.suffix.lower())
    with atomic_path(target) as tmp:
        opts = {"quality": int(quality)} if target.suffix.lower() in (".jpg", ".jpeg", ".webp") else {}
        Image.fromarray(np.ascontiguousarray(arr)).save(tmp, format=fmt, **opts)
    return target
