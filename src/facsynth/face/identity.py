"""Identity check: dlib's 128-d face descriptor (shipped by face-recognition-models); same person < 0.6.

dlib and its model files are the optional ``identity`` extra (``pip install 'facsynth[identity]'``); without it
``available()`` is False and the functions raise ModelError saying so.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._lazy import lazy_module
from ..errors import ModelError, NoFaceError

dlib = lazy_module("dlib")   # optional (the identity extra): read only after available() said it is there

__all__ = ["available", "face_descriptor", "identity_distance"]


def available() -> bool:
    """True if dlib and face-recognition-models (the ``identity`` extra) are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("dlib", "face_recognition_models"))


@lru_cache(maxsize=1)
def _models():
    if not available():
        raise ModelError("the identity check needs dlib and its face models: pip install 'facsynth[identity]'")
    spec = importlib.util.find_spec("face_recognition_models")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    return (dlib.get_frontal_face_detector(),
            dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat")),
            dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat")))


def face_descriptor(image: np.ndarray) -> np.ndarray:
    """dlib descriptor of the largest face in ``image`` (H, W, 3) uint8 RGB, shape (128,) float64.

    Raises NoFaceError when dlib's detector (upsampling once) finds no face.
    """
    detector, predictor, net = _models()
    image = np.ascontiguousarray(image, dtype=np.uint8)
    boxes = detector(image, 1)
    if not boxes:
        raise NoFaceError("dlib found no face for the identity check")
    box = max(boxes, key=lambda r: r.area())
    return np.array(net.compute_face_descriptor(image, predictor(image, box)))


def identity_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between the face descriptors of two RGB images: < 0.6 is the same person for dlib."""
    return float(np.linalg.norm(face_descriptor(a) - face_descriptor(b)))
