"""A person's own face mesh from a photo: neutral shape in the face frame, a texture crop and its uv map."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from ..errors import NoFaceError
from ..formats.image import read_image
from .landmarks import detect_faces

__all__ = ["person_from_photo"]


def person_from_photo(photo: str | os.PathLike, index: int = 0) -> dict:
    """The face of ``photo``: neutral (478, 3) face frame, texture (512, 512, 3) crop around it, uv (478, 2)."""
    image = read_image(photo)
    faces = detect_faces(image)
    if not 0 <= index < len(faces):
        raise NoFaceError(f"{photo} has {len(faces)} face(s); face index {index} does not exist")
    face = faces[index]
    h, w = image.shape[:2]
    x0, y0, x1, y1 = face.box
    m = 0.25 * max(x1 - x0, y1 - y0)
    cx0, cy0 = int(max(0, x0 - m)), int(max(0, y0 - m))
    cx1, cy1 = int(min(w, x1 + m)), int(min(h, y1 + m))
    crop = Image.fromarray(image[cy0:cy1, cx0:cx1])
    crop = crop.resize((512, 512), Image.LANCZOS)  # power-of-two texture for every viewer
    lm = face.landmarks
    uv = np.stack([(lm[:, 0] - cx0) / (cx1 - cx0), (lm[:, 1] - cy0) / (cy1 - cy0)], axis=1)
    return {"neutral": face.normalised(), "texture": np.asarray(crop), "uv": np.clip(uv, 0, 1).astype(np.float32)}
