"""The photo rig's detected face, cached per photo: the first video of a photo pays for MediaPipe, later ones skip it.

An avatar photo is used for many clips. Detecting its face (importing MediaPipe and running FaceMesh: about 1–2 s
of a talking video's process) gives the same landmarks every time, so the detected face is kept in facsynth's
cache folder (:func:`facsynth.cache.cache_dir`, ``faces/``) under a hash of the photo's pixels, the face index and
the facsynth version. A later rig of the same photo loads it (milliseconds) and builds the rest of the rig from it
(``render.photo.rig_photo(image, face=…)``), which is what rigging does after detection anyway: the frames are
identical. A file that cannot be read or does not hold a face of the expected shape is detected again and
rewritten; a cache folder that cannot be written only costs the detection next time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..cache import cache_dir
from ..errors import OutputError
from ..face.landmarks import N_LANDMARKS, Face, Pose
from ..version import facsynth_version
from .output import Renderer
from .photo import PhotoRig, photo_renderer, rig_photo, warn_several_faces

__all__ = ["cached_rig", "cached_photo_renderer", "rig_cache_path"]

#: Bump when what a cache file holds, or how a face is detected, changes without a version change.
_FORMAT = "face-v2"


def rig_cache_path(image: np.ndarray, face_index: int = 0) -> Path:
    """Where the detected face of ``image`` (np.ndarray [shape=(H, W, 3)] uint8 RGB) is cached: a hash of the
    pixels, the image's shape, ``face_index``, the facsynth version and the file format."""
    digest = hashlib.sha1(f"{_FORMAT} {facsynth_version()} {image.shape} {image.dtype} {face_index}".encode())
    digest.update(np.ascontiguousarray(image).data)
    return cache_dir() / "faces" / f"{digest.hexdigest()}.npz"


def cached_rig(image: np.ndarray, face_index: int = 0) -> PhotoRig:
    """``render.photo.rig_photo(image, face_index)``, with the face detection read from the cache when this photo
    was rigged before (and written there when it was not).

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB
    face_index : which face, by size (0 = largest)

    Raises what rig_photo raises (NoFaceError, ImageError); nothing is cached for a photo without a face.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        return rig_photo(image, face_index)  # rig_photo raises its ImageError
    path = rig_cache_path(image, face_index)
    stored = _read_face(path)
    if stored is not None:
        face, found = stored
        warn_several_faces(found, face_index)  # the same warning as on the run that detected it
        return dataclasses.replace(rig_photo(image, face_index, face=face), faces_found=found)
    rig = rig_photo(image, face_index)
    _write_face(path, rig.face, rig.faces_found)
    return rig


def cached_photo_renderer(image: np.ndarray, face_index: int = 0, *, relative: bool = False) -> Renderer:
    """The photo as a renderer (render.output.Renderer), like ``render.photo.photo_renderer``, rigged now through
    :func:`cached_rig` (so a photo without a face fails before any frame is asked for)."""
    return photo_renderer(image, face_index, relative=relative, rig=cached_rig(image, face_index))


def _read_face(path: Path) -> tuple[Face, int] | None:
    """The Face stored at ``path`` and how many faces its photo had; None when there is none, or it is unreadable
    or malformed."""
    try:
        with np.load(path, allow_pickle=False) as z:
            landmarks = z["landmarks"]
            box, rotation, translation, scale = z["box"], z["rotation"], z["translation"], z["scale"]
            found = int(z["faces_found"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # damaged: detected again and rewritten
    shapes_ok = (landmarks.shape == (N_LANDMARKS, 3) and landmarks.dtype == np.float32 and box.shape == (4,)
                 and rotation.shape == (3, 3) and translation.shape == (3,) and scale.shape == ())
    if not shapes_ok or not all(np.isfinite(a).all() for a in (landmarks, box, rotation, translation, scale)):
        return None
    return Face(landmarks, tuple(float(v) for v in box), Pose(rotation.astype(np.float64),
                                                              translation.astype(np.float64), float(scale))), found


def _write_face(path: Path, face: Face, found: int) -> None:
    """Store ``face`` and the number of faces ``found`` on its photo at ``path`` (atomically); a cache folder that
    cannot be written is left alone."""
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, landmarks=np.asarray(face.landmarks, np.float32), box=np.asarray(face.box, np.float64),
                         rotation=np.asarray(face.pose.rotation, np.float64),
                         translation=np.asarray(face.pose.translation, np.float64),
                         scale=np.float64(face.pose.scale), faces_found=np.int64(found))
    except (OutputError, OSError):
        pass  # read-only or full cache folder: the next rig detects the face again
